"""Shared fixtures: where the real corpora are, and an in-process CLI runner."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_require_resources.py runs tiny suites through it

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _redaction_key(tmp_path_factory):
    """The redaction secret (issue 22) in a temporary file, never in the tester's ~/.config."""
    key = tmp_path_factory.mktemp("redaction") / "redaction.key"
    old = os.environ.get("EDUKIT_REDACTION_KEY_FILE")
    os.environ["EDUKIT_REDACTION_KEY_FILE"] = str(key)
    yield key
    if old is None:
        os.environ.pop("EDUKIT_REDACTION_KEY_FILE", None)
    else:
        os.environ["EDUKIT_REDACTION_KEY_FILE"] = old


# --- CI: a skip for a missing resource is a failure (EDUKIT_REQUIRE_RESOURCES=1, set by .ci/run) --
# Every skip in this suite is about a missing resource (real corpora, llama-server, irrCAC,
# Chromium, Label Studio, ...), so with the variable set every skip fails, whoever wrote it and
# however (pytest.skip, importorskip, skipif). A skip that is not about a resource must be listed
# here, by a pattern its reason matches; none exists today.
REQUIRE_RESOURCES = "EDUKIT_REQUIRE_RESOURCES"
SKIPS_NOT_ABOUT_RESOURCES: tuple[str, ...] = ()


def _resources_required() -> bool:
    return os.environ.get(REQUIRE_RESOURCES, "").strip() not in ("", "0")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_skip(report) -> None:
    """Turn a skipped report into a failure saying which resource was missing."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return  # xfail/xpass are expectations about the code, not missing resources
    reason = _skip_reason(report)
    if any(re.search(pattern, reason) for pattern in SKIPS_NOT_ABOUT_RESOURCES):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"{REQUIRE_RESOURCES}=1 (CI): a test may not skip for a missing resource: {reason}"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if _resources_required():
        _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield  # a module-level importorskip skips the whole module at collection
    if _resources_required():
        _fail_skip(outcome.get_result())


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public corpora (../shared/data); tests that need them skip cleanly without."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA}")
    return SHARED_DATA


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run `edukit ARGS...` in process (through `edukit.cli.main`, as the console script does)."""
    from edukit.cli import main

    def run(*args: str | os.PathLike) -> CliResult:
        capsys.readouterr()
        code = main([os.fspath(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Injected before </body>: once the page has loaded, record whether every image decoded and how
# many rows each table has, where --dump-dom can read it.
_PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => i.complete && i.naturalWidth > 0);
  const rows = {};
  document.querySelectorAll('table').forEach((t, i) => {
    rows[t.id || ('table' + i)] = t.rows.length;
  });
  document.body.setAttribute('data-result', JSON.stringify({imgs, rows}));
});
</script></body>"""


@pytest.fixture
def render_in_chromium(tmp_path):
    """Open an HTML file in headless Chromium; return {"imgs": [loaded?...], "rows": {table: n}}."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium)")

    def render(html: Path) -> dict:
        probe = tmp_path / f"probe-{html.stem}.html"
        probe.write_text(Path(html).read_text().replace("</body>", _PROBE))
        cmd = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ]
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
        m = re.search(r'data-result="([^"]*)"', dom)
        assert m, f"the probe did not run: {dom[:300]}"
        return json.loads(m.group(1).replace("&quot;", '"'))

    return render


# --- the real llama.cpp server (../shared/realserver) -------------------------------------------
REALSERVER = Path(os.environ.get("EDUKIT_REALSERVER", ROOT.parent / "shared" / "realserver"))


@dataclass
class RealServer:
    """A running llama-server: `base_url` (ending in /v1), `model` ("tiny"), `port`, `pid`."""

    base_url: str
    model: str
    port: int
    pid: int

    def stop(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(self.pid, 0)
                import time

                time.sleep(0.05)
        except ProcessLookupError:
            return
        # reaped by init when the start script exits; the server is gone or will be


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_realserver(*args: str) -> RealServer:
    """Start llama-server on a free 127.0.0.1 port (extra llama-server `args`); skip without it."""
    script = REALSERVER / "start.sh"
    if not (script.is_file() and (REALSERVER / "llama-server").is_file()):
        pytest.skip(f"the real llama-server is not at {REALSERVER}")
    last = ""
    for _ in range(3):  # another process may take the free port before the server binds it
        port = _free_port()
        proc = subprocess.run(
            ["bash", os.fspath(script), str(port), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode == 0:
            pid = int(proc.stdout.strip().splitlines()[-1])
            return RealServer(f"http://127.0.0.1:{port}/v1", "tiny", port, pid)
        last = proc.stderr.strip()
    raise RuntimeError(f"llama-server did not start: {last}")


@pytest.fixture(scope="session")
def realserver():
    """llama.cpp's llama-server with the tiny random-weight model, shared by the session.

    Its answers are nonsense, but its request validation, json_schema decoding, logprobs, `n`,
    usage and error shapes are real. Skips cleanly when ../shared/realserver is absent.
    """
    server = start_realserver()
    yield server
    server.stop()


@pytest.fixture
def realserver_factory():
    """Start extra llama-servers with their own arguments (e.g. `-np 4`); stopped afterwards."""
    started: list[RealServer] = []

    def start(*args: str) -> RealServer:
        server = start_realserver(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def kill_9_after():
    """`kill_9_after(proc, server, n)`: once `server` has received `n` chat requests (within 90 s,
    `proc` still running), kill -9 the CLI process `proc` and wait for it to be gone."""

    def kill(proc: subprocess.Popen, server, n: int) -> None:
        deadline = time.monotonic() + 90
        while len(server.chat_requests) < n and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

    return kill
