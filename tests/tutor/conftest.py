"""A real llama.cpp server for the tutor tests.

Same name and shape as the `realserver` fixture issue 12 adds to tests/conftest.py (base_url,
model, port, pid): once that is merged, this file can be deleted and the tests keep working.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REALSERVER = Path(os.environ.get("EDUKIT_REALSERVER", ROOT.parent / "shared" / "realserver"))


@dataclass
class RealServer:
    base_url: str
    model: str
    port: int
    pid: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def realserver():
    """llama-server with the tiny random-weight model on a free port; skips without it."""
    script = REALSERVER / "start.sh"
    if not (script.is_file() and (REALSERVER / "llama-server").is_file()):
        pytest.skip(f"the real llama-server is not at {REALSERVER}")
    server, last = None, ""
    for _ in range(3):  # another process may take the port before the server binds it
        port = _free_port()
        proc = subprocess.run(
            ["bash", os.fspath(script), str(port)], capture_output=True, text=True, timeout=60
        )
        if proc.returncode == 0:
            pid = int(proc.stdout.strip().splitlines()[-1])
            server = RealServer(f"http://127.0.0.1:{port}/v1", "tiny", port, pid)
            break
        last = proc.stderr.strip()
    if server is None:
        raise RuntimeError(f"llama-server did not start: {last}")
    yield server
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
