"""Hostile-input tests run the CLI in a child process bounded in CPU time and memory.

A bomb that escapes a bound then fails the test (killed, or over the limit) instead of taking
the machine; inputs are hashed before and after to prove they were not touched.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CPU_SECONDS = 60
MEMORY_BYTES = 3 * 1024**3  # address space: pandas + pyarrow start at ~1 GB of it
WALL_SECONDS = 120


@dataclass
class Run:
    code: int
    out: str
    err: str

    def assert_one_error(self, *fragments: str) -> str:
        """Exit 2, exactly one `Error:` line (containing the fragments), no traceback."""
        assert self.code == 2, (self.code, self.out, self.err)
        assert "Traceback" not in self.err + self.out, self.err
        errors = [line for line in self.err.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, self.err
        for fragment in fragments:
            assert fragment in errors[0], errors[0]
        return errors[0]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


@pytest.fixture
def bounded(tmp_path):
    """`bounded(*args)`: run `edukit ARGS` in tmp_path under CPU and memory limits."""

    def run(*args: str | os.PathLike) -> Run:
        code = "import sys; from edukit.cli import main; sys.exit(main(sys.argv[1:]))"
        env = {**os.environ, "OPENAI_API_KEY": "sk-test", "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run(
            [sys.executable, "-c", code, *map(os.fspath, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=WALL_SECONDS,
            preexec_fn=_limits,
            env=env,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


def digest(*paths: Path) -> dict[str, str]:
    """sha256 of every file under `paths` (files or folders), to prove inputs unchanged."""
    out = {}
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            out[os.fspath(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out
