"""MathDial parser throughput: utterances/s on the test split replicated 100x (target >= 100,000).

Uses ../shared/data/mathdial/test.csv when present, else the bundled synthetic sample. The
replicated file is built in a temporary folder; the figure includes reading the CSV.
Run: `python benchmarks/bench_mathdial.py [--copies 100] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
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
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            md = read_mathdial(path)
            best = min(best, time.perf_counter() - t0)
        n = len(md.utterances)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"source: {src} x{args.copies} ({size / 1e6:.1f} MB)")
    print(f"dialogues: {len(md.dialogues):,}  utterances: {n:,}")
    print(f"peak RSS: {peak:,.0f} MiB (the history column repeats each turn's earlier turns)")
    print(
        f"best of {args.repeat}: {best:.2f} s  ->  {n / best:,.0f} utterances/s (target >= 100,000)"
    )


if __name__ == "__main__":
    main()
