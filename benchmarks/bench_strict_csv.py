"""What the strict CSV reader and the formula-safe writer cost, beside plain pandas, in one run.

Run: python benchmarks/bench_strict_csv.py [rows]
A synthetic long annotation table (ids, raters, labels, 0/1 values, reasoning texts of which a
tenth start with '=' or '-') is written and read back; prints the best of 3 wall-clock seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import pandas as pd

    from edukit.annotations import read_annotations
    from edukit.corpora.csvfiles import read_csv
    from edukit.corpora.tables import write_table

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    df = pd.DataFrame(
        {
            "item_id": [str(i // 4) for i in range(rows)],
            "rater": [f"R{i % 4}" for i in range(rows)],
            "label": "general",
            "value": [i % 2 for i in range(rows)],
            "reasoning": [
                ("=" if i % 10 == 0 else "-" if i % 10 == 1 else "") + f"because {i}, see text"
                for i in range(rows)
            ],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        plain, safe = Path(tmp) / "plain.csv", Path(tmp) / "safe.csv"
        figures = {
            "write: pandas to_csv (baseline)": best(lambda: df.to_csv(plain, index=False)),
            "write: edukit write_table (escaped)": best(lambda: write_table(df, safe)),
            "read: pandas read_csv (baseline)": best(
                lambda: pd.read_csv(plain, dtype=str, keep_default_na=False)
            ),
            "read: edukit strict read_csv": best(lambda: read_csv(safe, dtype=str)),
            "read: edukit read_annotations": best(lambda: read_annotations(safe)),
        }
    print(f"{rows:,} rows")
    for name, seconds in figures.items():
        print(f"{name}: {seconds:.3f} s")


if __name__ == "__main__":
    main()
