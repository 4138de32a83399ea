"""Krippendorff's alpha on 1,000,000 items x 3 raters: wall time and peak memory.

Run: /work/venv/bin/python benchmarks/bench_alpha.py [n_items]
Also times one call of each coefficient on a 2,000 x 3 matrix (the bootstrap's unit of work).
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np


def ratings(n: int, raters: int = 3, k: int = 5, missing: float = 0.1, seed: int = 0) -> np.ndarray:
    """Correlated ordinal ratings (a true category plus noise) with random gaps."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    noise = rng.integers(-1, 2, (n, raters)) * (rng.random((n, raters)) < 0.3)
    x = np.clip(truth[:, None] + noise, 0, k - 1).astype(float)
    x[rng.random((n, raters)) < missing] = np.nan
    return x


def timed(f, *args, **kwargs):
    tracemalloc.start()
    start = time.perf_counter()
    result = f(*args, **kwargs)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    from edukit.agreement.coefficients import METRICS, krippendorff_alpha

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    x = ratings(n)
    print(f"Krippendorff's alpha, {n:,} items x 3 raters, 5 categories, 10% missing")
    for level in ("nominal", "ordinal", "interval", "ratio"):
        result, seconds, peak = timed(krippendorff_alpha, x, level=level)
        print(
            f"  {level:8s} alpha={result.value:.4f} n_items={result.n_items:,} "
            f"time={seconds:.2f}s peak={peak / 2**20:.0f} MiB"
        )

    small = ratings(2_000, seed=1)
    print("one call on 2,000 items x 3 raters (mean of 50):")
    for name, f in METRICS.items():
        m = small[:, :2] if name == "cohen" else small
        f(m)  # warm imports
        start = time.perf_counter()
        for _ in range(50):
            f(m)
        print(f"  {name:8s} {(time.perf_counter() - start) / 50 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
