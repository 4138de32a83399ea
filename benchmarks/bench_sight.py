"""SIGHT loading and long-table I/O speed (prints figures; no assertions).

/work/venv/bin/python benchmarks/bench_sight.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from edukit.annotations import read_annotations
from edukit.corpora.sight import read_sight, read_sight_videos
from edukit.corpora.tables import write_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDUKIT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "sight"


def timed(what: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"{what}: {time.perf_counter() - t:.2f} s")
    return out


def main() -> None:
    if SHARED.is_dir():
        s = timed(
            "read_sight sample_dataset.csv (289 comments, 85 wide columns)",
            lambda: read_sight(SHARED / "annotations" / "sample_dataset.csv"),
        )
        print(f"  -> {len(s.annotations):,} long rows")
        b = timed(
            "read_sight sight_dataset.csv (15,784 rows, space-separated)",
            lambda: read_sight(SHARED / "annotations" / "sight_dataset.csv"),
        )
        print(f"  -> {len(b.items):,} comments, {len(b.annotations):,} long rows")
        v = timed(
            "read_sight_videos (549 metadata + 288 transcripts)", lambda: read_sight_videos(SHARED)
        )
        print(f"  -> {len(v)} videos")
        base = s.annotations
    else:
        base = read_sight(ROOT / "datasets" / "sight" / "sample_dataset.csv").annotations
    big = pd.concat(
        [base.assign(item_id=base["item_id"] + f"-{i}") for i in range(60)], ignore_index=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("csv", "jsonl", "parquet"):
            path = Path(tmp) / f"long.{ext}"
            timed(f"write_table {len(big):,} long rows .{ext}", lambda p=path: write_table(big, p))
            back = timed(
                f"read_annotations {len(big):,} long rows .{ext}",
                lambda p=path: read_annotations(p),
            )
            assert len(back) == len(big)


if __name__ == "__main__":
    main()
