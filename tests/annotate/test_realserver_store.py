"""The run store against a real llama.cpp server (../shared/realserver): its 200 bodies pass the
edge validation, every HTTP call is an attempt row, the key is in no file, two endpoints are two
identities. Skipped cleanly when the server is not there."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

REALSERVER = Path(__file__).resolve().parents[3] / "shared" / "realserver"


@pytest.fixture
def llama(kit):
    """A real llama-server on a free port, requiring the test key; its base URL."""
    start = REALSERVER / "start.sh"
    if not start.exists():
        pytest.skip(f"real server not found at {REALSERVER}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run(
        [str(start), str(port), "--api-key", kit.secret],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        pytest.skip(f"real server did not start: {out.stderr.strip()}")
    pid = int(out.stdout.strip().splitlines()[-1])
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        subprocess.run(["kill", str(pid)], check=False)


def test_real_server_answers_are_recorded_call_by_call(
    cli, llama, binary_rubric_path, tmp_path, kit
):
    items_csv = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items_csv, index=False)
    db, out = tmp_path / "r.sqlite", tmp_path / "o.csv"
    args = ["annotate", items_csv, "--rubric", binary_rubric_path, "--model", "tiny"]
    args += ["--base-url", llama, "--run-db", db, "--quiet", "--out", out, "--timeout", "60"]
    r = cli(*args)
    # the random-weight model's answers may be invalid or meet the server's known 500: the run
    # still ends with a summary, never a traceback, and says whether items are left
    assert r.code in (0, 3), r.err
    assert "Traceback" not in r.err and "6 pending" not in r.out
    sent = int(r.out.split(" requests sent")[0].rsplit(" ", 1)[1])
    with sqlite3.connect(db) as con:
        calls = con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        answered = con.execute(
            "SELECT COUNT(*), SUM(input_tokens) FROM attempts WHERE http_status = 200"
        ).fetchone()
        malformed = con.execute(
            "SELECT COUNT(*) FROM attempts WHERE error LIKE 'malformed%'"
        ).fetchone()[0]
    assert calls == sent > 0
    assert answered[0] > 0 and answered[1] > 0  # llama.cpp's bodies (with `timings`) are read
    assert malformed == 0
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert kit.secret.encode() not in f.read_bytes(), f
    # the same server under another name is another endpoint: its own requests
    other = llama.replace("127.0.0.1", "localhost")
    r2 = cli(*[other if a == llama else a for a in args])
    assert r2.code in (0, 3) and " 0 requests sent" not in r2.out
