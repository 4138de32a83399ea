"""`edukit compare` against llama.cpp's real llama-server: two instances on two ports are two
models; 2 strategies x 2 models on the bundled SIGHT sample, resumable after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from edukit.resources import bundled


def _plan(tmp_path, a, b):
    plan = tmp_path / "sweep.yaml"
    lines = ["arms:"]
    for model, server in (("A", a), ("B", b)):
        for strategy in ("zero-shot", "few-shot"):
            lines += [
                f"  - name: {strategy}-{model}",
                f"    strategy: {strategy}",
                f"    model: {server.model}",
                f"    base_url: {server.base_url}",
            ]
    plan.write_text("\n".join(lines) + "\n")
    return plan


def _q(db, sql):
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def _args(plan, db, *extra):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    return [
        "compare",
        sample,
        "--gold",
        sample,
        "--humans",
        "H1,H2",
        "--rubric",
        "sight",
        "--plan",
        plan,
        "--run-db",
        db,
        "--limit",
        "1",
        "--n-boot",
        "50",
        "-q",
        *extra,
    ]


def test_two_models_two_strategies_resume_and_kill_9(realserver_factory, tmp_path, cli, repo_root):
    a, b = realserver_factory(), realserver_factory()
    plan = _plan(tmp_path, a, b)
    db, out = tmp_path / "r.sqlite", tmp_path / "c.json"
    env = {**os.environ, "OPENAI_API_KEY": "unused"}
    proc = subprocess.Popen(
        [sys.executable, str(repo_root / "cli.py"), *map(str, _args(plan, db))],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        if db.exists():
            try:
                if _q(db, "SELECT COUNT(*) FROM responses")[0][0] >= 10:
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {k for (k,) in _q(db, "SELECT key FROM responses WHERE status = 'ok'")}
    attempts_before = _q(db, "SELECT COUNT(*) FROM attempts")[0][0]
    assert 10 <= len(done_before) < 36  # killed mid-sweep (4 arms x 1 item x 9 labels)

    r = cli(*_args(plan, db, "--json", out))
    assert r.code == 0, r.err
    j = json.loads(out.read_text())
    assert set(j["arms"]) == {"zero-shot-A", "few-shot-A", "zero-shot-B", "few-shot-B"}
    for arm in j["arms"].values():
        assert len(arm["labels"]) == 9
        assert arm["tokens"]["input"] > 0
    keys = {k for (k,) in _q(db, "SELECT DISTINCT key FROM requests")}
    assert len(keys) == 36  # two servers, two prompts: no request is shared
    ok = {k for (k,) in _q(db, "SELECT key FROM responses WHERE status = 'ok'")}
    assert keys <= ok
    resent = {k for (k,) in _q(db, f"SELECT key FROM attempts LIMIT -1 OFFSET {attempts_before}")}
    assert resent and not resent & done_before  # only what was missing was sent
    # a re-run sends nothing
    attempts = _q(db, "SELECT COUNT(*) FROM attempts")[0][0]
    r = cli(*_args(plan, db))
    assert r.code == 0, r.err
    assert _q(db, "SELECT COUNT(*) FROM attempts")[0][0] == attempts


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
