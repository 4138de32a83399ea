"""MathDial parser throughput: utterances/s on the test split replicated 100x (target >= 100,000).

Uses ../shared/data/mathdial/test.csv when present, else the bundled synthetic sample. The
replicated file is built in a temporary folder; each timed call is a full `read_mathdial` (CSV
read, turn split, `history` column, both DataFrames). Wall-clock time depends on the load of the
shared machine, so the process CPU time of the same call is printed too. Peak memory is the
process's maximum RSS, with one result alive at a time.
Run: `python benchmarks/bench_mathdial.py [--copies 100] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import tempfile
import time
from pathlib import Path

from edukit.corpora.mathdial import read_mathdial
from edukit.resources import bundled

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def replicate(src: Path, copies: int, dest: Path) -> Path:
    """Write `src`'s header then its records `copies` times to `dest`."""
    header, _, body = src.read_text(encoding="utf-8").partition("\n")
    body = body.rstrip("\n")
    dest.write_text(header + "\n" + "\n".join([body] * copies) + "\n", encoding="utf-8")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    src = SHARED / "mathdial" / "test.csv"
    if not src.is_file():
        src = bundled("datasets", "mathdial", "test.csv")
    with tempfile.TemporaryDirectory() as tmp:
        path = replicate(src, args.copies, Path(tmp) / "test.csv")
        size = path.stat().st_size
        walls, cpus = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            md = read_mathdial(path)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            n_dialogues, n = len(md.dialogues), len(md.utterances)
            history_mb = sum(map(len, md.utterances["history"])) / 1e6
            del md
            gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    wall, cpu = min(walls), min(cpus)
    print(f"source: {src} x{args.copies} ({size / 1e6:.1f} MB)")
    print(
        f"dialogues: {n_dialogues:,}  utterances: {n:,}  history column: {history_mb:,.0f} M chars"
    )
    print(f"peak RSS: {peak:,.0f} MiB (one result alive at a time)")
    print("wall-clock: " + ", ".join(f"{w:.2f}" for w in walls) + " s")
    print(
        f"best of {args.repeat}: {wall:.2f} s wall -> {n / wall:,.0f} utterances/s; "
        f"{cpu:.2f} s CPU -> {n / cpu:,.0f} utterances/s (target >= 100,000)"
    )


if __name__ == "__main__":
    main()
