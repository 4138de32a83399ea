"""Start-up time of `edukit --help` (target < 0.5 s): median wall time over N fresh processes.

The child processes' CPU time (user + system) is printed too: it moves far less than wall time
when other jobs load the shared machine.

Runs the installed console script next to this Python (or on PATH), else
`python -c "from edukit.cli import main; ..."`.
Run: `python benchmarks/bench_startup.py [--runs 10]`.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def command() -> list[str]:
    """The `edukit --help` command line to time."""
    script = Path(sys.executable).with_name("edukit")
    if script.exists():
        return [str(script), "--help"]
    found = shutil.which("edukit")
    if found:
        return [found, "--help"]
    return [sys.executable, "-c", "from edukit.cli import main; main(['--help'])"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    cmd = command()
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache once
    times, cpus = [], []
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"command: {' '.join(cmd)}")
    print(
        f"runs: {args.runs}  median: {statistics.median(times):.3f} s  "
        f"min: {min(times):.3f} s  max: {max(times):.3f} s  (target < 0.5 s)"
    )
    print(f"CPU time per process: median {statistics.median(cpus):.3f} s  max {max(cpus):.3f} s")


if __name__ == "__main__":
    main()
