"""Fixtures for the tutor tests: the fake OpenAI server and problems (the real llama-server is
tests/conftest.py's shared `realserver`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
