"""TalkMoves loader: all 567 lesson workbooks of the real corpus (target < 60 s).

Times one full `load_talkmoves` (every workbook read, tags parsed, roles, history, the datasheet
joined, the gold long table) and, for the engine choice, the raw `pandas.read_excel` of every
workbook with `calamine` and with `openpyxl` (the latter on a slice and extrapolated unless
`--full-openpyxl`). Wall-clock time depends on the load of the shared 2-core machine, so the
process CPU time is printed too. Skips with a message when ../shared/data/talkmoves is absent.
Run: `python benchmarks/bench_talkmoves.py [--repeat 2] [--openpyxl-files 60]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--openpyxl-files", type=int, default=60)
    ap.add_argument("--full-openpyxl", action="store_true")
    args = ap.parse_args()
    root = SHARED / "talkmoves"
    if not (root / "Subset 2").is_dir():
        sys.exit(f"TalkMoves not available at {root}: nothing to measure")
    import pandas as pd

    from edukit.corpora.talkmoves import lesson_files, load_talkmoves

    files = [f for _, f in lesson_files(root)]
    best = None
    for _ in range(args.repeat):
        tm, wall, cpu = timed(lambda: load_talkmoves(root))
        best = min(best or (wall, cpu), (wall, cpu))
        print(
            f"load_talkmoves: {len(tm.lessons)} lessons, {len(tm.utterances):,} sentences, "
            f"{len(tm.annotations):,} gold codes in {wall:.1f} s wall, {cpu:.1f} s CPU"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"best: {best[0]:.1f} s wall, {best[1]:.1f} s CPU; peak RSS {peak:.0f} MiB")

    def read_all(engine: str, subset: list[Path]) -> int:
        return sum(len(pd.read_excel(f, sheet_name=0, engine=engine, dtype=object)) for f in subset)

    rows, wall, cpu = timed(lambda: read_all("calamine", files))
    print(
        f"read_excel calamine: {len(files)} files, {rows:,} rows in {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU"
    )
    subset = files if args.full_openpyxl else files[:: max(1, len(files) // args.openpyxl_files)]
    rows, wall, cpu = timed(lambda: read_all("openpyxl", subset))
    scale = len(files) / len(subset)
    print(
        f"read_excel openpyxl: {len(subset)} files, {rows:,} rows in {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU; x{scale:.1f} for all files: ~{wall * scale:.0f} s wall, "
        f"~{cpu * scale:.0f} s CPU"
    )


if __name__ == "__main__":
    main()
