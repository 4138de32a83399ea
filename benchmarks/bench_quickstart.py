"""Wall-clock of `edukit quickstart` (target < 60 s) and of the offline baseline at scale.

Run: `python benchmarks/bench_quickstart.py [--items N]`. Prints its figures; nothing is asserted.
The quickstart runs in a fresh interpreter, as a user's first command would (imports included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

CMD = [sys.executable, "-c", "from edukit.cli import main; main()", "quickstart"]
WORDS = ["i", "am", "so", "lost", "thanks", "great", "lecture", "why", "does", "this", "step"]


def quickstart_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [*CMD, "--dir", tmp, "--quiet"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def baseline_seconds(n: int) -> tuple[float, float]:
    """Train on n synthetic comments, annotate n more (one binary and one 3-class label)."""
    import numpy as np
    import pandas as pd

    from edukit.annotate.baseline import train_and_annotate

    rng = np.random.default_rng(0)
    words = np.array(WORDS)
    texts = [" ".join(rng.choice(words, 12)) for _ in range(2 * n)]
    items = pd.DataFrame({"item_id": [str(i) for i in range(2 * n)], "text": texts})
    train = pd.concat(
        [
            pd.DataFrame(
                {
                    "item_id": items["item_id"][:n],
                    "rater": "H1",
                    "label": "confusion",
                    "value": rng.integers(0, 2, n),
                }
            ),
            pd.DataFrame(
                {
                    "item_id": items["item_id"][:n],
                    "rater": "H1",
                    "label": "move",
                    "value": rng.choice(["focus", "probing", "telling"], n),
                }
            ),
        ]
    ).assign(version="")
    start = time.perf_counter()
    out = train_and_annotate(items, train, train_rater="H1")
    took = time.perf_counter() - start
    assert len(out) == 2 * n
    return took, 2 * n / took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    print(f"edukit quickstart (fresh process, offline): {quickstart_seconds():.1f} s")
    took, rate = baseline_seconds(args.items)
    print(
        f"baseline: train on {args.items:,} + annotate {args.items:,} items x 2 labels: "
        f"{took:.1f} s ({rate:,.0f} predictions/s)"
    )


if __name__ == "__main__":
    main()
