"""Resuming conversations against the fake server: kill -9 mid-conversation, failed turns."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from edukit.annotate.store import dumps


def _args(problems, server, db, out, *extra):
    return [
        "tutor", "interactive", "run", problems, "--tutor-model", "fake-tutor",
        "--tutor-base-url", server.base_url, "--student-model", "fake-student",
        "--student-base-url", server.base_url, "--max-turns", "3", "--limit", "4",
        "--run-db", db, "--out", out, "--quiet", *extra,
    ]  # fmt: skip


def _finished_prompts(db) -> set[str]:
    """The messages of every request whose answer is committed in the run store."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT r.messages FROM requests r JOIN responses s ON s.key = r.key"
            " WHERE s.status = 'ok'"
        ).fetchall()
    return {dumps(json.loads(m)) for (m,) in rows}


def _sent_prompts(server) -> list[str]:
    return [dumps(b["messages"]) for b in server.chat_requests]


def test_kill_9_mid_conversation_resumes_without_resending_finished_turns(
    cli, problems, repo_root, tmp_path, slow_fake_server, kill_9_after
):
    server = slow_fake_server
    db, out = tmp_path / "runs.sqlite", tmp_path / "chats.jsonl"
    args = [os.fspath(a) for a in _args(problems, server, db, out, "--concurrency", "2")]
    proc = subprocess.Popen(
        [sys.executable, os.fspath(repo_root / "cli.py"), *args],
        env=dict(os.environ),  # the fixtures' key
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # 4 conversations: requests 1-4 are the students' first turns, 5-8 the tutors' first
    # replies; the 11th is inside the second round
    kill_9_after(proc, server, 11)
    assert not out.exists()
    first = _sent_prompts(server)
    finished = _finished_prompts(db)
    assert 8 <= len(finished) < 24  # killed mid-conversation, with finished turns saved

    server.reset_log()
    r = cli(*args)
    assert r.code == 0, r.err
    second = _sent_prompts(server)
    assert not set(second) & finished  # no finished turn is sent again
    assert len(second) == 24 - len(finished)
    assert len(set(first) & set(second)) <= 2  # only what was in flight is asked again
    assert f"\n{24 - len(finished)} requests sent\n" in r.out

    # the resumed conversations equal those of an uninterrupted run
    clean_out = tmp_path / "clean.jsonl"
    clean = cli(*_args(problems, server, tmp_path / "clean.sqlite", clean_out))
    assert clean.code == 0, clean.err
    assert out.read_text() == clean_out.read_text()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [len(r["fake-tutor"].split("<EOM>")) for r in rows] == [7] * 4


def test_a_failed_turn_stops_its_conversation_until_the_next_run(
    cli, problems, tmp_path, monkeypatch, fake_server
):
    from edukit.annotate import client

    monkeypatch.setattr(client, "MAX_RETRIES", 0)  # the 500 is final in this run
    server = fake_server
    db, out = tmp_path / "runs.sqlite", tmp_path / "chats.jsonl"
    args = _args(problems, server, db, out, "--concurrency", "1")
    server.faults = ["500"]  # the very first request: the first student's first turn
    r = cli(*args)
    assert r.code == 3  # like annotate: the run ended with work left
    assert "3 of 4 conversations finished" in r.out
    assert "1 conversations stopped at a failed turn (HTTP 500: internal error); re-run" in r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["fake-tutor"] is None and all(row["fake-tutor"] for row in rows[1:])
    assert "\n19 requests sent\n" in r.out  # 1 failed + 3 conversations x 6 turns

    server.reset_log()
    again = cli(*args)
    assert again.code == 0, again.err
    assert len(server.chat_requests) == 6  # the failed conversation's six turns only
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows[0]["fake-tutor"].split("<EOM>")) == 7


def test_bad_problems_are_one_line_before_any_request(cli, fake_server, tmp_path):
    problems = tmp_path / "p.csv"
    problems.write_text("question,ground_truth\n2+2?,4\n", encoding="utf-8")
    r = cli(*_args(problems, fake_server, tmp_path / "r.sqlite", tmp_path / "o.jsonl"))
    assert r.code == 2
    assert r.err.startswith(f"Error: {problems}: missing column(s) 'student_incorrect_solution'")
    assert len(r.err.strip().splitlines()) == 1
    problems.write_text(
        "question,ground_truth,student_incorrect_solution\n2+2?,4,5\n3+3?,6,\n", encoding="utf-8"
    )
    r = cli(*_args(problems, fake_server, tmp_path / "r.sqlite", tmp_path / "o.jsonl"))
    assert r.code == 2
    assert r.err.strip() == f"Error: {problems}:3: column 'student_incorrect_solution' is empty"
    assert fake_server.chat_requests == []


def test_an_unreachable_tutor_stops_with_one_line_and_keeps_the_students_turns(
    cli, problems, fake_server, tmp_path, monkeypatch
):
    import socket

    from edukit.annotate import client

    monkeypatch.setattr(client, "MAX_RETRIES", 0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    db, out = tmp_path / "runs.sqlite", tmp_path / "o.jsonl"
    args = [a if a != fake_server.base_url else dead for a in _args(problems, fake_server, db, out)]
    args[args.index("--student-base-url") + 1] = fake_server.base_url
    r = cli(*args)
    assert r.code == 2
    assert r.err.startswith("Error: http://127.0.0.1:") and "cannot reach the endpoint" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert len(_finished_prompts(db)) == 4  # the students' first turns are saved


def test_costs_are_counted_per_model(problems, fake_server, tmp_path):
    from edukit.annotate.cost import estimate_cost
    from edukit.tutor.interactive import Endpoint, read_problems, run_interactive

    result = run_interactive(
        read_problems(problems),
        Endpoint("gpt-5", fake_server.base_url),
        Endpoint("gpt-5-mini", fake_server.base_url),
        rounds=2,
        limit=3,
        run_db=tmp_path / "runs.sqlite",
        quiet=True,
        source=problems,
    )
    usage: dict[str, list[int]] = {"gpt-5": [0, 0], "gpt-5-mini": [0, 0]}
    for body, (tin, tout) in zip(fake_server.chat_requests, fake_server.served_usage, strict=True):
        usage[body["model"]][0] += tin
        usage[body["model"]][1] += tout
    for role, model in (("tutor", "gpt-5"), ("student", "gpt-5-mini")):
        side = result.sides[role]
        assert (side.model, side.sent) == (model, 6)
        assert [side.input_tokens, side.output_tokens] == usage[model]
        assert side.cost == estimate_cost(model, *usage[model]) > 0
    assert result.sides["tutor"].cost != result.sides["student"].cost
