"""Time the full SIGHT Table 3 (9 labels x 3 prompt sets) with 1,000-resample bootstrap intervals.

Run: /work/venv/bin/python benchmarks/bench_agreement.py [path/to/sight]
Needs ../shared/data/sight (or the path given); prints wall-clock seconds per step.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

LABELS = [
    "general", "confusion", "pedagogy", "setup", "gratitude",
    "personal_experience", "clarification", "non_english", "na",
]  # fmt: skip


def main() -> None:
    root = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2] / "shared/data/sight"
    )
    from edukit.agreement.compare import compare
    from edukit.annotations import read_annotations
    from edukit.report import write_html

    t0 = time.perf_counter()
    total_compare = 0.0
    for prompts in ("bin_zeroshot", "bin_kshot", "bin_kshot_reasoning"):
        ann = read_annotations(
            root / "annotations" / "sample_dataset.csv", prompts=root / "prompts" / prompts
        )
        t = time.perf_counter()
        c = compare(ann, ["H1", "H2"], ["openaichat"], labels=LABELS, n_boot=1000, seed=0)
        dt = time.perf_counter() - t
        total_compare += dt
        print(f"{prompts}: compare 9 labels, 1000 resamples: {dt:.2f} s")
        for name, grp in (("items", None), ("video_id groups", "video")):
            if grp:
                from edukit.corpora.sight import read_sight

                items = read_sight(root / "annotations" / "sample_dataset.csv").items
                groups = dict(zip(items["item_id"], items["video_id"], strict=True))
                t = time.perf_counter()
                compare(ann, ["H1", "H2"], ["openaichat"], labels=LABELS, groups=groups)
                print(f"{prompts}: same, resampling {name}: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    write_html(c, "/tmp/edukit_bench_report.html")
    print(f"HTML report (3 plots): {time.perf_counter() - t:.2f} s")
    print(f"compare total (3 prompt sets): {total_compare:.2f} s")
    print(f"everything incl. reading files: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
