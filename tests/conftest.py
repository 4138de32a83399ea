"""Shared fixtures: where the real corpora are, and an in-process CLI runner."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


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
