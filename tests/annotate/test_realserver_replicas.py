"""Replicas against two real llama-server instances (each `--parallel 4`), issue 26."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from edukit.resources import bundled

ROOT = Path(__file__).resolve().parents[2]

SIGHT = bundled("datasets", "mathdial", "test.csv")
RUBRIC = bundled("rubrics", "mathdial-moves.yaml")  # one short answer per item


def _cmd(db, servers, *extra):
    cmd = [sys.executable, os.fspath(ROOT / "cli.py"), "annotate", os.fspath(SIGHT), "--rubric"]
    cmd += [os.fspath(RUBRIC), "--model", "tiny", "--run-db", os.fspath(db), "-q"]
    for s in servers:
        cmd += ["--base-url", s.base_url]
    return [*cmd, *extra]


def _calls(db) -> dict[str, int]:
    try:
        with sqlite3.connect(db, timeout=5) as con:
            rows = con.execute(
                "SELECT endpoint, COUNT(*) FROM attempts WHERE status = 'ok' GROUP BY endpoint"
            ).fetchall()
    except sqlite3.Error:  # not created yet
        return {}
    return dict(rows)


def test_two_llama_servers_as_replicas(realserver_factory, tmp_path):
    a, b = realserver_factory("--parallel", "4"), realserver_factory("--parallel", "4")
    db = tmp_path / "r.sqlite"
    env = {**os.environ, "OPENAI_API_KEY": "unused"}
    done = subprocess.run(
        _cmd(db, [a, b], "--limit", "10", "--concurrency", "8"),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"10 of 10 items done; \d+ ok, 0 invalid, 0 API errors, 0 pending", done.stdout
    )
    calls = _calls(db)
    assert set(calls) == {a.base_url, b.base_url} and min(calls.values()) >= 3, calls
    again = subprocess.run(
        _cmd(db, [b, a], "--limit", "10"), capture_output=True, text=True, timeout=60, env=env
    )
    assert again.returncode == 0 and " 0 requests sent" in again.stdout, again.stdout


def test_killing_a_replica_mid_run_loses_nothing(realserver_factory, tmp_path):
    a, b = realserver_factory("--parallel", "4"), realserver_factory("--parallel", "4")
    db = tmp_path / "r.sqlite"
    env = {**os.environ, "OPENAI_API_KEY": "unused"}
    proc = subprocess.Popen(
        _cmd(db, [a, b], "--limit", "40", "--concurrency", "8"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while _calls(db).get(b.base_url, 0) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    os.kill(b.pid, signal.SIGKILL)  # mid-run, with calls in flight
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert re.search(r"(\d+) of \1 items done; \d+ ok, 0 invalid, 0 API errors, 0 pending", out), (
        out
    )
    assert f"replica {b.base_url}: " in out and "drained" in out
    with sqlite3.connect(db) as con:
        (n,) = con.execute("SELECT COUNT(DISTINCT seq) FROM annotations").fetchone()
        (asked,) = con.execute("SELECT COUNT(DISTINCT seq) FROM requests").fetchone()
    assert n == asked >= 25  # every item with text, once
    again = subprocess.run(
        _cmd(db, [a, b], "--limit", "40"), capture_output=True, text=True, timeout=60, env=env
    )
    assert again.returncode == 0 and " 0 requests sent" in again.stdout, again.stdout
