"""Fixtures for the tutor tests: a real llama.cpp server, the fake OpenAI server, problems.

`realserver` has the name and shape of the fixture issue 12 adds to tests/conftest.py (base_url,
model, port, pid): once that is merged, it can be deleted here and the tests keep working.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
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


KEY = "sk-tutor-test-key"


def load_fake():
    """tests/annotate/fake_openai.py (tests run with --import-mode=importlib: load by path)."""
    if "fake_openai" in sys.modules:
        return sys.modules["fake_openai"]
    spec = importlib.util.spec_from_file_location(
        "fake_openai", ROOT / "tests" / "annotate" / "fake_openai.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))  # no price file


@pytest.fixture
def problems(repo_root) -> Path:
    """The bundled synthetic MathDial sample (12 problems)."""
    return repo_root / "datasets" / "mathdial" / "test.csv"


@pytest.fixture
def fake_server():
    """The fake OpenAI-compatible server (tests/annotate/fake_openai.py); stopped afterwards."""
    server = load_fake().FakeOpenAI(api_key=KEY).start()
    yield server
    server.stop()


@pytest.fixture
def slow_fake_server():
    """The fake server answering after 0.15 s, so that a run can be killed mid-way."""
    server = load_fake().FakeOpenAI(api_key=KEY, latency=0.15).start()
    yield server
    server.stop()
