"""Issue 21 (points 3, 4, 12, 13): honest ends of `tutor interactive run`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time


def _args(problems, server, db, out, *extra):
    return [
        "tutor", "interactive", "run", problems, "--tutor-model", "fake-tutor",
        "--tutor-base-url", server.base_url, "--student-model", "fake-student",
        "--student-base-url", server.base_url, "--max-turns", "3", "--limit", "4",
        "--run-db", db, "--out", out, "--quiet", *extra,
    ]  # fmt: skip


def test_ctrl_c_says_interrupted_and_exits_130_then_resumes(
    cli, problems, repo_root, tmp_path, slow_fake_server
):
    server = slow_fake_server
    db, out = tmp_path / "runs.sqlite", tmp_path / "chats.jsonl"
    args = [os.fspath(a) for a in _args(problems, server, db, out, "--concurrency", "2")]
    proc = subprocess.Popen(
        [sys.executable, os.fspath(repo_root / "cli.py"), *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(server.chat_requests) < 6 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    m = re.fullmatch(
        r"Interrupted: (\d+) turns saved in (.+); re-run the same command to resume\.", lines[0]
    )
    assert m and m.group(2) == str(db), lines
    assert "stopped at a failed turn" not in err and "Done." not in stdout
    r = cli(*args)  # the resumed run finishes
    assert r.code == 0, r.err
    assert "4 of 4 conversations finished" in r.out


def _system(body) -> str:
    return next((m["content"] for m in body["messages"] if m["role"] == "system"), "")


def _is_tutor(body) -> bool:
    return "You play" not in _system(body)  # the student's system prompt starts so


def test_a_lone_surrogate_in_a_turn_is_invalid_not_a_traceback(
    cli, problems, tmp_path, fake_server
):
    import sqlite3

    fake_server.reply = lambda body: "Let us look \ud800 again." if _is_tutor(body) else None
    db, out = tmp_path / "runs.sqlite", tmp_path / "chats.jsonl"
    r = cli(*_args(problems, fake_server, db, out))
    assert "Traceback" not in r.err and "UnicodeEncodeError" not in r.err, r.err
    assert r.code == 3, r.err
    with sqlite3.connect(db) as con:
        statuses = {s for (s,) in con.execute("SELECT status FROM responses")}
    assert "invalid" in statuses
