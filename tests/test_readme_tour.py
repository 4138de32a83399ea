"""The README tour runs as a pip user runs it: from the built wheel, in an empty folder.

The wheel is built from a copy of the checkout and installed (without dependencies, which the
running environment already has) into a fresh virtualenv. Every ```bash block after the first two
(the fresh-machine commands that `.ci/run` runs) is run with `bash -e`, and every ```python block
with the virtualenv's python, in one empty folder, in README order, so later blocks see the files
earlier ones wrote. A ```text block that follows a bash block
(with only prose between) lists lines its output must contain. ```console blocks are not run.

- Commands that talk to a model (`edukit annotate` without `--dry-run`) go to the stand-in server
  `tests/annotate/fake_openai.py` through `--base-url`.
- `edukit datasets fetch NAME --dest DIR` becomes a link to the real corpus in ../shared/data
  (no network); without ../shared, that block and every later block naming DIR are skipped.
- Output lines are compared with whitespace and table borders collapsed; run ids, timestamps and
  durations are compared by shape; a `...` line marks an excerpt.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))
FRESH_MACHINE_BLOCKS = 2  # the first two bash blocks: .ci/run's commands
BLOCK_TIMEOUT = 300
_FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.S | re.M)
_FETCH = re.compile(r"^edukit datasets fetch (\S+) --dest (\S+)\s*$", re.M)
_IGNORED_IN_COPY = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv*"
)


@dataclass
class Block:
    """A ```bash (or ```python) block of the README and the output lines shown after it."""

    kind: str
    code: str
    line: int  # where the block starts in README.md
    expected: list[str] = field(default_factory=list)


def tour_blocks(text: str) -> list[Block]:
    """The blocks to run: bash blocks after the fresh-machine ones, and python blocks."""
    blocks: list[Block] = []
    previous: Block | None = None
    n_bash = 0
    for m in _FENCE.finditer(text):
        kind, code = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if kind == "text" and previous is not None:
            previous.expected = code.splitlines()
        previous = None
        if kind == "bash":
            n_bash += 1
            if n_bash <= FRESH_MACHINE_BLOCKS:
                continue
        if kind in ("bash", "python"):
            previous = Block(kind, code, line)
            blocks.append(previous)
    return blocks


def normalise(line: str) -> str:
    """A line as compared: volatile parts by shape, table borders and runs of spaces collapsed."""
    line = re.sub(r"\b[0-9a-f]{16}\b", "<run id>", line)
    line = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<time>", line)
    line = re.sub(r"\(\d+(?:\.\d+)? s\)", "(<seconds>)", line)
    line = re.sub(r"\bin \d+(?:\.\d+)? s;", "in <seconds>;", line)  # redact's "... in 0.2 s; wrote"
    line = re.sub(r"[│┃]", " ", line)
    return " ".join(line.split())


def missing_lines(expected: list[str], output: str) -> list[str]:
    """The expected lines that no output line contains (after `normalise`)."""
    shown = [normalise(line) for line in output.splitlines()]
    missing = []
    for line in expected:
        want = normalise(line)
        if want in ("", "...") or any(want in got for got in shown):
            continue
        missing.append(line)
    return missing


def for_this_machine(code: str, base_url: str, shared: Path | None) -> tuple[str, list[str]]:
    """The block with model calls sent to `base_url` and fetches replaced by links to `shared`.

    Returns the code and the fetched folders (DIR of every `datasets fetch NAME --dest DIR`).
    """
    dests = [m.group(2) for m in _FETCH.finditer(code)]
    if shared is not None:
        code = _FETCH.sub(
            lambda m: f'mkdir -p "$(dirname {m[2]})" && ln -sfn {shared / m[1]} {m[2]}', code
        )
    code = re.sub(r"--base-url\s+\S+", f"--base-url {base_url}", code)
    lines = []
    for line in code.splitlines():
        if "edukit annotate" in line and "--dry-run" not in line and "--base-url" not in line:
            line = f"{line} --base-url {base_url}"
        lines.append(line)
    return "\n".join(lines) + "\n", dests


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv holding edukit installed from a wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    shutil.copytree(ROOT, source, ignore=_IGNORED_IN_COPY)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, source)
    (wheel,) = dist.glob("edukit-*.whl")
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / "bin" / "python"
    # The dependencies come from the environment running the tests (a virtualenv in CI): its
    # site-packages go after the fresh one's, so the wheel's edukit is the one imported.
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_edukit_test_deps.pth").write_text("\n".join(outer) + "\n")
    # --ignore-installed: the outer environment may hold edukit too (CI installs the checkout),
    # which pip would otherwise take as already satisfied and install nothing
    _run(
        *pip, "--python", python, "install", "--ignore-installed", "--no-deps", "--no-index", wheel
    )
    where = _run(python, "-c", "import edukit; print(edukit.__file__)", cwd=tmp)
    assert Path(where).is_relative_to(venv), f"edukit imported from {where}, not the wheel"
    return venv


def _run(*cmd: str | os.PathLike, cwd: Path | None = None) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r.stdout.strip()


@pytest.fixture(scope="module")
def model_server():
    path = ROOT / "tests" / "annotate" / "fake_openai.py"
    spec = importlib.util.spec_from_file_location("edukit_readme_fake_openai", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.FakeOpenAI().start()
    yield server
    server.stop()


def test_tour_blocks_are_found():
    blocks = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 10 and all(b.kind in ("bash", "python") for b in blocks)
    assert any("edukit annotate" in b.code and "--dry-run" not in b.code for b in blocks)
    assert sum(1 for b in blocks if b.expected) >= 6


def test_output_matching():
    shown = "│ general   │ 161 │ 0.60 [0.44, 0.73] │\nRun 0123456789abcdef: 3 ok (4.5 s)"
    assert missing_lines([" general  161   0.60 [0.44, 0.73]", "...", ""], shown) == []
    assert missing_lines(["Run fedcba9876543210: 3 ok (12 s)"], shown) == []
    assert missing_lines(["Run fedcba9876543210: 4 ok"], shown) == ["Run fedcba9876543210: 4 ok"]
    redacted = (
        "Redacted 2 of 3 items (NAME 2) with profile rules (0123456789abcdef) in 0.0 s; wrote r.csv"
    )
    assert missing_lines([redacted.replace("0.0 s", "1.4 s")], redacted) == []
    assert missing_lines([redacted.replace("2 of 3", "3 of 3")], redacted) != []


@dataclass
class Outcome:
    """What running one block gave: `problem` is None when it ran and printed what is shown."""

    where: str
    needs_corpus: bool
    ran: bool
    problem: str | None = None


@pytest.fixture(scope="module")
def tour(installed, model_server, tmp_path_factory) -> list[Outcome]:
    """Every tour block run once, in order, in one empty folder."""
    blocks = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    tmp = tmp_path_factory.mktemp("tour")
    work, home = tmp / "work", tmp / "home"
    work.mkdir()
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "EDUKIT_", "XDG_CONFIG", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{installed / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        VIRTUAL_ENV=str(installed),
        PYTHONDONTWRITEBYTECODE="1",
    )
    shared = SHARED_DATA if SHARED_DATA.is_dir() else None
    fetched: list[str] = []  # folders the README fetches real corpora into
    outcomes = []
    for block in blocks:
        where = f"README.md:{block.line}"
        if block.kind == "python":
            cmd = [str(installed / "bin" / "python"), "-c", block.code]
            needs_corpus = False
        else:
            code, dests = for_this_machine(block.code, model_server.base_url, shared)
            fetched += dests
            needs_corpus = any(d in block.code for d in fetched)
            cmd = ["bash", "-e", "-o", "pipefail", "-c", code]
        if needs_corpus and shared is None:
            outcomes.append(Outcome(where, needs_corpus, ran=False))
            continue
        r = subprocess.run(
            cmd, cwd=work, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT
        )
        output = r.stdout + r.stderr
        problem = None
        if r.returncode != 0:
            problem = f"{where}: exit code {r.returncode}\n{output[-2000:]}"
        elif missing := missing_lines(block.expected, output):
            problem = (
                f"{where}: the README shows lines the commands did not print:\n  "
                + "\n  ".join(missing)
                + f"\noutput:\n{output[-3000:]}"
            )
        outcomes.append(Outcome(where, needs_corpus, ran=True, problem=problem))
    return outcomes


def test_readme_tour_runs_from_the_installed_wheel(tour):
    offline = [o for o in tour if not o.needs_corpus]
    assert len(offline) >= 10 and all(o.ran for o in offline)
    problems = [o.problem for o in offline if o.problem]
    assert not problems, "\n\n".join(problems)


def test_readme_tour_on_the_real_corpora(tour):
    real = [o for o in tour if o.needs_corpus]
    assert len(real) >= 3  # fetch, load/info, agree, Table 3
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA}")
    problems = [o.problem for o in real if o.problem]
    assert not problems, "\n\n".join(problems)
