"""Token estimates, price arithmetic, the batch discount and user price files."""

from __future__ import annotations

import json

import pytest

from edukit.annotate.cost import estimate_cost, estimate_tokens, load_prices
from edukit.errors import InputError

# The worked example of OpenAI's cookbook "How to count tokens with tiktoken"
# (github.com/openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb):
# the API counts 129 prompt tokens for gpt-3.5-turbo and gpt-4, 124 for gpt-4o.
COOKBOOK = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate "
        "jargon into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client "
        "deliverable.",
    },
]


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path, monkeypatch):
    # The developer's own ~/.config/edukit/prices.toml must not change these results.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_estimate_tokens_text_and_messages():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2  # characters / 4, rounded up
    # 3 reply priming + 4 per message + ceil(5/4) content
    assert estimate_tokens([{"role": "user", "content": "hello"}]) == 3 + 4 + 2
    parts = [{"role": "user", "content": [{"type": "text", "text": "hello"}]}]
    assert estimate_tokens(parts) == 9
    assert estimate_tokens({"type": "object"}) == 5  # compact JSON, 17 characters


def test_estimate_tokens_documented_error_on_the_cookbook_example():
    est = estimate_tokens(COOKBOOK)
    assert est == 160
    # The documented error: an overestimate of +24% (cl100k, 129) and +29% (o200k, 124).
    assert round(est / 129 - 1, 2) == 0.24
    assert round(est / 124 - 1, 2) == 0.29


def test_packaged_table_is_dated_and_prices_arithmetic():
    prices = load_prices()
    assert prices.checked == "2026-03-01" and prices.batch_discount == 0.5
    assert len(prices.files) == 1
    # gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens
    assert estimate_cost("gpt-4o-mini", 1_000_000, 0, prices=prices) == pytest.approx(0.15)
    assert estimate_cost("gpt-4o-mini", 2_000, 500, prices=prices) == pytest.approx(0.0006)
    assert estimate_cost("gpt-4.1", 1_000, 500, prices=prices) == pytest.approx(0.006)
    # A dated snapshot falls back to its base model.
    assert estimate_cost("gpt-4o-2024-08-06", 1_000_000, 1_000_000) == pytest.approx(12.5)


def test_batch_discount():
    assert estimate_cost("gpt-4.1-mini", 1_000_000, 1_000_000) == pytest.approx(2.0)
    assert estimate_cost("gpt-4.1-mini", 1_000_000, 1_000_000, batch=True) == pytest.approx(1.0)


def test_unknown_and_local_models_have_unknown_cost():
    assert estimate_cost("my-finetune", 1000, 1000) is None
    assert estimate_cost("local:tfidf-logreg", 1000, 1000) is None
    assert estimate_cost("llama3.1:8b", 0, 0) is None


def test_override_file_toml_and_user_config(tmp_path):
    toml = tmp_path / "prices.toml"
    toml.write_text(
        'checked = "2026-05-01"\nbatch_discount = 0.25\n\n'
        '[models."gpt-4o-mini"]\ninput = 1.0\noutput = 2.0\n\n'
        '[models."llama3.1:8b"]\ninput = 0.0\noutput = 0.0\n'
    )
    prices = load_prices(toml)
    assert prices.checked == "2026-05-01" and prices.files[-1] == str(toml)
    assert estimate_cost("gpt-4o-mini", 1_000_000, 1_000_000, prices=prices) == pytest.approx(3.0)
    assert estimate_cost(
        "gpt-4o-mini", 1_000_000, 1_000_000, batch=True, prices=prices
    ) == pytest.approx(2.25)
    assert estimate_cost("llama3.1:8b", 10, 10, prices=prices) == 0.0
    assert estimate_cost("gpt-4o", 1_000_000, 0, prices=prices) == pytest.approx(2.5)  # kept
    # Without a path, $XDG_CONFIG_HOME/edukit/prices.toml is read.
    user = tmp_path / "config" / "edukit"
    user.mkdir(parents=True)
    (user / "prices.toml").write_text(toml.read_text())
    assert load_prices().checked == "2026-05-01"


def test_override_file_json(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"gpt-4o": {"input": 5, "output": 20}}}))
    assert estimate_cost("gpt-4o", 1_000_000, 0, prices=load_prices(path)) == pytest.approx(5.0)


def test_bad_config_names_file_line_and_key(tmp_path):
    path = tmp_path / "prices.toml"
    path.write_text('[models."gpt-4o"]\ninput = 2.0\noutput = 8.0\ninptu = 3\n')
    with pytest.raises(InputError) as err:
        load_prices(path)
    assert str(err.value) == (
        f"{path}:4: key 'models.gpt-4o.inptu': extra inputs are not permitted"
    )
    path.write_text("batch_discount = 1.5\n")
    with pytest.raises(InputError, match=r"prices.toml:1: key 'batch_discount'"):
        load_prices(path)
    path.write_text('[models."gpt-4o"]\ninput = "cheap"\noutput = 1\n')
    with pytest.raises(InputError, match=r"prices.toml:2: key 'models.gpt-4o.input'"):
        load_prices(path)
    path.write_text('checked = "x"\nmodels = [\nx\n')
    with pytest.raises(InputError, match=r"prices.toml:3: not valid TOML"):
        load_prices(path)
    with pytest.raises(InputError, match=r"missing.toml: price file not found"):
        load_prices(tmp_path / "missing.toml")
