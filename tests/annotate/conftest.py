"""Fixtures for the annotation engine: the local OpenAI-compatible server, rubrics and items."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
SECRET = "sk-test-SECRET-4f9a1c77e2"  # the API key the tests use; it must never be written


def _load_fake():
    # tests run with --import-mode=importlib, so load the server module by path
    if "fake_openai" in sys.modules:
        return sys.modules["fake_openai"]
    spec = importlib.util.spec_from_file_location("fake_openai", HERE / "fake_openai.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = module
    spec.loader.exec_module(module)
    return module


fake_openai = _load_fake()

BINARY_RUBRIC = """\
name: tiny
version: "1"
task: binary
instructions: You label comments that students wrote under a maths lecture.
labels:
  - name: confusion
    definition: The student says they do not understand something.
    version: "c1"
  - name: gratitude
    definition: The student thanks the teacher.
"""

SINGLE_RUBRIC = """\
name: moves
version: "2"
task: single
target: move
instructions: You classify a teacher's utterance in a tutoring dialogue.
labels:
  - name: focus
    definition: Seeking strategy, guiding focus, recalling information.
  - name: probing
    definition: Asking for explanation, seeking self-correction.
  - name: telling
    definition: Revealing the strategy or the answer.
  - name: generic
    definition: Greetings, fillers and other general talk.
output:
  reasoning: true
"""


@pytest.fixture
def fake_server():
    """A running fake server expecting the test key; stopped afterwards."""
    server = fake_openai.FakeOpenAI(api_key=SECRET).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _api_key(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # no user price file leaks in; tests that need one write it here
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    # the ladder memory is per endpoint and per process; each test starts afresh
    from edukit.annotate import client

    client._LADDER.clear()


@pytest.fixture
def binary_rubric_path(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(BINARY_RUBRIC)
    return path


@pytest.fixture
def single_rubric_path(tmp_path) -> Path:
    path = tmp_path / "moves.yaml"
    path.write_text(SINGLE_RUBRIC)
    return path


@pytest.fixture
def binary_rubric(binary_rubric_path):
    from edukit.rubric import load_rubric

    return load_rubric(binary_rubric_path)


@pytest.fixture
def single_rubric(single_rubric_path):
    from edukit.rubric import load_rubric

    return load_rubric(single_rubric_path)


def make_items(n: int):
    import pandas as pd

    return pd.DataFrame(
        {
            "item_id": [str(1000 + i) for i in range(n)],
            "text": [
                f"Comment number {i}: why is the derivative of x^{i} what it is?" for i in range(n)
            ],
        }
    )


@pytest.fixture
def items_csv(tmp_path) -> Path:
    path = tmp_path / "items.csv"
    make_items(12).to_csv(path, index=False)
    return path


def expected_rows(rubric, items) -> dict[tuple[str, str], object]:
    """(item_id, label) -> the value the fake server answers, decoded by the rubric."""
    from edukit.annotate.engine import iter_items

    out = {}
    for item in iter_items(items):
        for req in rubric.requests(item):
            obj = fake_openai.expected_answer(req.messages, req.schema)
            for d in rubric.decode(req, obj):
                out[(req.item_id, d.label)] = d.value
    return out


def request_ids(server) -> list[str]:
    """One identity per chat request the server received: its system message and item text."""
    out = []
    for body in server.chat_requests:
        msgs = body["messages"]
        system = next((m["content"] for m in msgs if m["role"] == "system"), "")
        out.append(json.dumps([system, fake_openai.first_user_text(msgs)]))
    return out


def annotate_args(items_csv, rubric, server, db, *extra) -> list:
    """`edukit annotate` arguments: the fake model at `server`, run store `db`, no progress bar."""
    return [
        "annotate",
        items_csv,
        "--rubric",
        rubric,
        "--model",
        "fake-model",
        "--base-url",
        server.base_url,
        "--run-db",
        db,
        "--quiet",
        *extra,
    ]


@pytest.fixture
def set_prices(tmp_path, monkeypatch):
    """`set_prices(model)`: the user's price file makes every input token of `model` cost $1 and
    output free (budgets are easy to read)."""

    def price(model: str) -> None:
        cfg = tmp_path / "cfg" / "edukit"
        cfg.mkdir(parents=True)
        (cfg / "prices.toml").write_text(
            f'checked = "2026-01-01"\n[models."{model}"]\ninput = 1000000.0\noutput = 0.0\n'
        )
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))

    return price


@pytest.fixture
def kit():
    """Helpers for tests (conftest modules cannot be imported under --import-mode=importlib)."""
    return SimpleNamespace(
        fake=fake_openai,
        secret=SECRET,
        make_items=make_items,
        expected_rows=expected_rows,
        request_ids=request_ids,
        annotate_args=annotate_args,
    )
