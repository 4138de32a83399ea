"""`edukit prices` and the dry run's unknown-price line (issue 18)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "config"


def test_prices_prints_the_dated_table_and_where_the_override_is_read(cli, config_home, repo_root):
    packaged = json.loads((repo_root / "edukit" / "data" / "prices.json").read_text())
    r = cli("prices")
    assert r.code == 0, r.err
    assert r.out.startswith(f"Built-in prices in USD per 1M tokens, checked {packaged['checked']}")
    rows = {line.split()[0]: line.split()[1:] for line in r.out.splitlines() if line[:2] == "  "}
    for model, price in packaged["models"].items():
        if price is None:
            assert "no price: cost unknown" in " ".join(rows[model]), model
        else:
            assert rows[model][:2] == [f"{price['input']:.2f}", f"{price['output']:.2f}"], model
    where = config_home / "edukit" / "prices.toml"
    assert f"Your prices: {where} (or prices.json) is read when it exists; none there now" in r.out


def test_prices_shows_the_users_own_prices(cli, config_home):
    (config_home / "edukit").mkdir(parents=True)
    (config_home / "edukit" / "prices.toml").write_text(
        '[models."my-vllm-model"]\ninput = 0.0\noutput = 0.0\n'
        '[models."gpt-4o-mini"]\ninput = 0.1\noutput = 0.5\n'
    )
    r = cli("prices")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert "  my-vllm-model     0.00     0.00  (yours)" in lines
    assert "  gpt-4o-mini       0.10     0.50  (yours)" in lines
    assert f"Your prices: {config_home / 'edukit' / 'prices.toml'} (read;" in r.out


def test_prices_reports_a_broken_override_on_one_line(cli, config_home):
    (config_home / "edukit").mkdir(parents=True)
    (config_home / "edukit" / "prices.toml").write_text('[models."m"]\ninput = "free"\n')
    r = cli("prices")
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "prices.toml:" in r.err


def test_the_readme_documents_the_price_file_format(repo_root):
    readme = (repo_root / "README.md").read_text()
    assert "~/.config/edukit/prices.toml" in readme and "[models." in readme


def test_dry_run_names_the_unpriced_model_once(cli, config_home):
    r = cli(
        "annotate",
        "sample:mathdial",
        "--rubric",
        "mathdial-moves",
        "--model",
        "my-model",
        "--dry-run",
    )
    assert r.code == 0, r.err
    assert r.out.count("no price for my-model") == 1
    assert "unknown" in r.out and "$" not in r.out
    priced = cli(
        "annotate",
        "sample:mathdial",
        "--rubric",
        "mathdial-moves",
        "--model",
        "gpt-4o-mini",
        "--dry-run",
    )
    assert "estimated cost $" in priced.out and "no price" not in priced.out
