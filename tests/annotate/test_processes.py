"""Everyday accidents with real processes (issue 13): Ctrl-C, two terminals on one run, a full
disk. The CLI runs as a subprocess, as a user starts it."""

from __future__ import annotations

import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pandas as pd
import pytest


@pytest.fixture
def setup(tmp_path, kit, single_rubric_path, repo_root):
    items_csv = tmp_path / "items.csv"
    kit.make_items(30).to_csv(items_csv, index=False)
    db = tmp_path / "runs.sqlite"

    def args(server, *extra):
        return kit.annotate_args(
            items_csv, single_rubric_path, server, db, "--concurrency", "4", *extra
        )

    def start(server, *extra, **popen):
        env = {**os.environ, "OPENAI_API_KEY": kit.secret}
        return subprocess.Popen(
            [sys.executable, str(repo_root / "cli.py"), *map(str, args(server, *extra))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )

    return args, start, db


def _wait_for(predicate, proc, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _annotations(db) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM annotations").fetchone()[0]


def test_ctrl_c_saves_what_landed_says_so_in_one_line_and_resumes(setup, kit, cli):
    args, start, db = setup
    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.3).start()
    try:
        proc = start(server)
        _wait_for(lambda: len(server.chat_requests) >= 8, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1 and "Traceback" not in err, err
        m = re.fullmatch(
            r"Interrupted: (\d+) annotations saved in (.+); re-run the same command to resume\.",
            lines[0],
        )
        assert m and m.group(2) == str(db), lines
        saved = int(m.group(1))
        # the answers in flight landed during the grace period: nothing sent was lost
        assert saved == _annotations(db) == len(server.chat_requests) < 30
        first = kit.request_ids(server)
        server.reset_log()
        r = cli(*args(server))
        assert r.code == 0 and "Done." in r.out
        both = Counter(first + kit.request_ids(server))
        assert len(both) == 30 and set(both.values()) == {1}  # nothing sent twice
    finally:
        server.stop()


def test_a_second_ctrl_c_stops_at_once(setup, kit):
    _, start, db = setup
    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=30).start()  # nothing lands
    try:
        proc = start(server)
        _wait_for(lambda: len(server.chat_requests) >= 4, proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - began < 4  # not the 5 s grace period, nor the 30 s answers
        assert proc.returncode == 130 and "Traceback" not in err
        assert err.strip() == (
            f"Interrupted: 0 annotations saved in {db}; re-run the same command to resume."
        )
    finally:
        server.stop()


def test_two_processes_on_one_run_send_each_request_once(setup, kit):
    _, start, db = setup
    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.5).start()
    try:
        # a second terminal on the same run, or a job array: both start together
        first, second = start(server), start(server)
        out1, err1 = first.communicate(timeout=120)
        out2, err2 = second.communicate(timeout=120)
        assert first.returncode == 0 and second.returncode == 0, err1 + err2
        assert "Traceback" not in err1 + err2 and "locked" not in err1 + err2
        assert "Done." in out1 and "Done." in out2
        ids = Counter(kit.request_ids(server))
        assert len(ids) == 30 and set(ids.values()) == {1}  # every request sent exactly once
        # both processes did part of the work
        sent = [int(re.search(r"(\d+) requests sent", o).group(1)) for o in (out1, out2)]
        assert sum(sent) == 30 and min(sent) > 0
        assert _annotations(db) == 30
    finally:
        server.stop()


def test_a_full_disk_stops_with_one_line_and_loses_nothing_committed(setup, kit, cli):
    args, start, db = setup
    server = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    try:
        # no file may grow past 400 kB (a full disk, as the process sees it): the run store's
        # write-ahead log reaches it after a few commits
        limit = 400_000
        proc = start(
            server,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
        )
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, out + err
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1 and "Traceback" not in err, err
        m = re.fullmatch(
            rf"Error: {re.escape(str(db))}: cannot write to the run store \(.+\); the (\d+) "
            r"annotation rows committed before it are safe in it\. Free disk space or make the "
            r"file and its directory writable, then re-run the same command to resume",
            lines[0],
        )
        assert m, lines
        saved = int(m.group(1))
        assert 0 < saved == _annotations(db) < 30
        first = len(server.chat_requests)
        server.reset_log()
        out_csv = db.parent / "out.csv"
        r = cli(*args(server, "--out", out_csv))
        assert r.code == 0 and "Done." in r.out
        # nothing committed was sent again; at most what was in flight (4) is repeated
        assert len(server.chat_requests) == 30 - saved <= 30 - first + 4
        assert len(pd.read_csv(out_csv)) == 30
    finally:
        server.stop()
