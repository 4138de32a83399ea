"""Issue 12 through the CLI: the quirks of real model servers, each as a fake-server mode."""

from __future__ import annotations

import json
import math
import sqlite3

import pandas as pd
import pytest

MOVES_RUBRIC = """\
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
defaults:
  temperature: 0
  max_tokens: 60
"""


@pytest.fixture
def moves(tmp_path):
    path = tmp_path / "moves.yaml"
    path.write_text(MOVES_RUBRIC)
    return path


@pytest.fixture
def quirky(kit):
    servers = []

    def start(*quirks: str, **kw):
        servers.append(kit.fake.FakeOpenAI(api_key=kit.secret, quirks=quirks, **kw).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def items_file(tmp_path, kit, n=6):
    path = tmp_path / "items.csv"
    kit.make_items(n).to_csv(path, index=False)
    return path


def run(cli, items, rubric, server, db, *extra, model="m"):
    args = ["annotate", items, "--rubric", rubric, "--model", model, "--base-url"]
    return cli(*args, server.base_url, "--run-db", db, "-q", *extra)


def expected(kit, rubric_path, items_path):
    from edukit.rubric import load_rubric

    rubric = load_rubric(rubric_path)
    return kit.expected_rows(rubric, pd.read_csv(items_path, dtype=str))


def got(out_csv):
    df = pd.read_csv(out_csv, dtype={"item_id": str})
    return {(r.item_id, r.label): r.value for r in df.itertuples()}


def responses(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT status, mode, raw FROM responses").fetchall()


def kinds(server):
    return [(b.get("response_format") or {}).get("type") for b in server.chat_requests]


# case 1: HTTP 500 to json_schema (llama-cpp-python) ----------------------------------------------
def test_500_on_json_schema_steps_down_once_and_is_remembered(cli, quirky, moves, tmp_path, kit):
    server = quirky("json_schema_500")
    items = items_file(tmp_path, kit)
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    first = run(cli, items, moves, server, db, "--limit", "3", "--concurrency", "1")
    assert first.code == 0, first.err
    # json_schema, the engine's retry of the same rung, then json_object answers: learned once
    assert kinds(server) == ["json_schema"] * 2 + ["json_object"] * 3
    assert first.err.count("refused response_format json_schema (500") == 1
    assert "3 ok, 0 invalid, 0 API errors" in first.out
    # remembered in the run store: resuming sends the other items straight to json_object
    server.reset_log()
    second = run(cli, items, moves, server, db, "--out", out)
    assert second.code == 0, second.err
    assert kinds(server) == ["json_object"] * 3
    assert got(out) == expected(kit, moves, items)
    assert {m for _, m, _ in responses(db)} == {"json_object"}
    shown = cli("runs", "show", json.loads(_run_id(db)), "--run-db", db)
    assert "learned: the server refused response_format json_schema (500" in shown.out
    server.reset_log()
    assert run(cli, items, moves, server, db).code == 0 and server.chat_requests == []


def _run_id(db):
    with sqlite3.connect(db) as con:
        return json.dumps(con.execute("SELECT id FROM runs").fetchone()[0])


def test_errors_unrelated_to_the_format_never_step_down_and_fail_fast(
    cli, quirky, moves, tmp_path, kit
):
    server = quirky()
    server.faults = ["bad_param"] * 50
    items = items_file(tmp_path, kit, 12)
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--concurrency", "1")
    assert res.code == 2
    assert "failed 5 requests in a row the same way" in res.err
    assert kit.fake.TEMPERATURE_MESSAGE in res.err
    assert kinds(server) == ["json_schema"] * 5  # never json_object: not the format's fault
    assert "Traceback" not in res.err


# case 2: response_format ignored, JSON in prose (transformers serve)
def test_ignored_format_reads_the_last_valid_json_and_records_mode_text(
    cli, quirky, moves, tmp_path, kit
):
    server = quirky("ignore_format")
    items = items_file(tmp_path, kit)
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    res = run(cli, items, moves, server, db, "--out", out)
    assert res.code == 0, res.err
    assert got(out) == expected(kit, moves, items)  # not the draft that comes first
    assert {m for _, m, _ in responses(db)} == {"text"}  # the mode obtained, not requested
    assert res.err.count("ignored response_format json_schema") == 1


def test_ignored_format_without_json_steps_down_to_text_with_the_schema(
    cli, quirky, moves, tmp_path, kit
):
    """A model that volunteers no JSON: the first answer shows the format is ignored, the run
    asks in plain text with the schema in the prompt from then on (re-asks included)."""
    server = quirky("ignore_format_plain")
    items = items_file(tmp_path, kit)
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    res = run(cli, items, moves, server, db, "--out", out, "--concurrency", "1")
    assert res.code == 0, res.err
    assert "6 ok, 0 invalid" in res.out
    assert got(out) == expected(kit, moves, items)
    assert kinds(server) == ["json_schema"] + [None] * 6  # one answer in words, then text
    assert res.err.count("ignored response_format json_schema") == 1
    assert {m for _, m, _ in responses(db)} == {"text"}


# case 3: reasoning models (think blocks, reasoning_content)
@pytest.mark.parametrize("quirk", ["think", "reasoning_content"])
def test_reasoning_drafts_are_never_the_answer(cli, quirky, moves, tmp_path, kit, quirk):
    server = quirky(quirk)
    items = items_file(tmp_path, kit)
    out = tmp_path / "out.csv"
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--out", out)
    assert res.code == 0, res.err
    assert got(out) == expected(kit, moves, items)
    assert len(server.chat_requests) == 6  # no re-asks


# case 4: max_tokens rejected (o-series, gpt-5) ----------------------------------------------------
def test_max_tokens_rejected_is_learned_once(cli, quirky, moves, tmp_path, kit):
    server = quirky("max_tokens_rejected")
    items = items_file(tmp_path, kit)
    out = tmp_path / "out.csv"
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--out", out, "--concurrency", "1")
    assert res.code == 0, res.err
    assert got(out) == expected(kit, moves, items)
    sent = [("max_tokens" in b, "max_completion_tokens" in b) for b in server.chat_requests]
    assert sent == [(True, False)] + [(False, True)] * 6  # one refusal, then the right name
    assert kinds(server) == ["json_schema"] * 7  # the format was never blamed
    assert res.err.count("refuses max_tokens") == 1


@pytest.mark.parametrize("model", ["o3-mini", "gpt-5", "openai/o1"])
def test_max_completion_tokens_known_for_new_model_families(
    cli, quirky, moves, tmp_path, kit, model
):
    server = quirky("max_tokens_rejected")
    items = items_file(tmp_path, kit, 2)
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", model=model)
    assert res.code == 0, res.err
    assert all("max_completion_tokens" in b and "max_tokens" not in b for b in server.chat_requests)
    assert len(server.chat_requests) == 2


# case 5: usage null
def test_usage_null_is_estimated_marked_and_enforced(cli, quirky, moves, tmp_path, kit):
    server = quirky("usage_null")
    items = items_file(tmp_path, kit, 40)
    db = tmp_path / "r.sqlite"
    res = run(cli, items, moves, server, db, "--concurrency", "1", model="gpt-4o-mini")
    assert res.code == 0, res.err
    assert "(estimated: the server reported no token usage)" in res.out
    assert "cost ~$0.0" in res.out and "tokens ~" in res.out
    assert "$0.0000 " not in res.out.replace("~$", "")
    shown = cli("runs", "show", json.loads(_run_id(db)), "--run-db", db)
    assert "(estimated: 40 responses came without token usage)" in shown.out
    # --max-cost stops the run on the estimate (a budget a few requests spend)
    server.reset_log()
    items2 = items_file(tmp_path / "b", kit, 40) if (tmp_path / "b").mkdir() is None else None
    res2 = run(
        cli,
        items2,
        moves,
        server,
        tmp_path / "r2.sqlite",
        "--max-cost",
        "0.00005",
        "--concurrency",
        "1",
        model="gpt-4o-mini",
    )
    assert "reached --max-cost" in res2.out
    assert 0 < len(server.chat_requests) < 40


# case 6 and 14: logprob confidence from the CLI, aligned, product over a label's tokens
def test_logprobs_from_the_cli_aligned_through_whitespace_and_pieces(
    cli, quirky, moves, tmp_path, kit
):
    server = quirky("logprob_space")
    items = items_file(tmp_path, kit)
    out = tmp_path / "out.csv"
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--logprobs", "--out", out)
    assert res.code == 0, res.err
    assert all(b.get("logprobs") is True for b in server.chat_requests)
    df = pd.read_csv(out, dtype={"item_id": str})
    for row in df.itertuples():
        pieces = math.ceil(len(row.value) / 3)  # the fake splits words into 3-letter tokens
        want = math.exp(sum(kit.fake.split_token_logprob(i) for i in range(pieces)))
        assert row.confidence == pytest.approx(want), row.value


def test_rubric_defaults_logprobs(cli, quirky, moves, tmp_path, kit):
    server = quirky()
    rubric = tmp_path / "lp.yaml"
    rubric.write_text(MOVES_RUBRIC + "  logprobs: true\n")
    out = tmp_path / "out.csv"
    res = run(
        cli, items_file(tmp_path, kit, 2), rubric, server, tmp_path / "r.sqlite", "--out", out
    )
    assert res.code == 0, res.err
    assert all(b.get("logprobs") is True for b in server.chat_requests)
    assert pd.read_csv(out)["confidence"].notna().all()


def test_temperature_overrides_the_rubric(cli, quirky, moves, tmp_path, kit):
    server = quirky()
    items = items_file(tmp_path, kit, 2)
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--temperature", "0.7")
    assert res.code == 0, res.err
    assert {b["temperature"] for b in server.chat_requests} == {0.7}


# case 7: --samples
def test_samples_use_n_and_warn_at_temperature_0(cli, quirky, moves, tmp_path, kit):
    server = quirky()
    items = items_file(tmp_path, kit, 3)
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--samples", "3")
    assert res.code == 0, res.err
    assert "--samples 3 at temperature 0 gives 3 identical answers" in res.err
    assert [b.get("n") for b in server.chat_requests] == [3] * 3
    assert "3 ok" in res.out or "9 ok" in res.out
    server.reset_log()
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--samples", "3")
    assert server.chat_requests == []


def test_samples_fall_back_when_n_is_ignored(cli, quirky, moves, tmp_path, kit):
    server = quirky("no_n")
    items = items_file(tmp_path, kit, 3)
    args = ("--samples", "3", "--temperature", "0.8", "--concurrency", "1")
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", *args)
    assert res.code == 0, res.err
    assert "Warning" not in res.err
    assert [b.get("n") for b in server.chat_requests] == [3] + [None] * 8
    assert res.err.count("ignored n=3") == 1


# case 13: empty items
def test_empty_items_are_skipped_with_a_count(cli, quirky, moves, tmp_path, kit):
    server = quirky()
    df = kit.make_items(5)
    df.loc[1, "text"] = ""
    df.loc[3, "text"] = "   "
    items = tmp_path / "items.csv"
    df.to_csv(items, index=False)
    out = tmp_path / "out.csv"
    res = run(cli, items, moves, server, tmp_path / "r.sqlite", "--out", out)
    assert res.code == 0, res.err
    assert len(server.chat_requests) == 3
    assert "2 empty items skipped (no text, not sent)" in res.out
    assert set(pd.read_csv(out, dtype={"item_id": str})["item_id"]) == {"1000", "1002", "1004"}
    dry = cli("annotate", items, "--rubric", moves, "--model", "m", "--dry-run")
    assert "3 requests" in dry.out


# case 11: quickstart shows the server's reason
def test_quickstart_stops_early_with_the_servers_reason(cli, quirky, tmp_path, kit):
    server = quirky()
    server.faults = ["bad_param"] * 1000
    res = cli(
        "quickstart",
        "--dir",
        tmp_path / "qs",
        "--quiet",
        "--model",
        "m",
        "--base-url",
        server.base_url,
    )
    assert res.code == 2
    assert kit.fake.TEMPERATURE_MESSAGE in res.err
    assert len(server.chat_requests) < 20
