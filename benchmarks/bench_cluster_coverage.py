"""Coverage of 95% bootstrap intervals for nested data: items resampled vs whole clusters.

Simulates studies of 20 videos x 30 comments rated by two raters; prevalence and rater accuracy
vary by video, so comments of one video are not independent. For each study, human-human Cohen's
kappa gets an interval from `raters_agreement` resampling comments (`groups=None`) and resampling
videos (`groups="video_id"`); coverage is the share of intervals holding the population kappa
(estimated once from 4,000 videos).

Run: python benchmarks/bench_cluster_coverage.py [n_studies=200]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


def simulate(rng: np.random.Generator, videos: int, per_video: int) -> pd.DataFrame:
    prevalence = rng.beta(1.0, 2.0, videos)
    accuracy = rng.uniform(0.65, 0.99, videos)
    rows = []
    for v in range(videos):
        truth = rng.random(per_video) < prevalence[v]
        for rater in ("H1", "H2"):
            right = rng.random(per_video) < accuracy[v]
            said = np.where(right, truth, ~truth).astype(int)
            rows += [(f"v{v}c{i}", rater, "x", int(s), f"v{v}") for i, s in enumerate(said)]
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "video_id"])


def main() -> None:
    from sklearn.metrics import cohen_kappa_score

    from edukit.agreement.compare import raters_agreement

    n_studies = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = np.random.default_rng(2026)
    big = simulate(rng, 4000, 30)
    wide = big.pivot(index="item_id", columns="rater", values="value")
    truth = cohen_kappa_score(wide["H1"], wide["H2"])
    hits = {"items": 0, "videos": 0}
    widths = {"items": [], "videos": []}
    t0 = time.perf_counter()
    for s in range(n_studies):
        df = simulate(rng, 20, 30)
        for name, groups in (("items", None), ("videos", "video_id")):
            e = raters_agreement(
                df, ["H1", "H2"], metric="cohen", n_boot=1000, seed=s, groups=groups
            ).labels["x"]
            lo, hi = e.ci
            hits[name] += lo <= truth <= hi
            widths[name].append(hi - lo)
    dt = time.perf_counter() - t0
    print(
        f"population kappa {truth:.3f}; {n_studies} studies of 20 videos x 30 comments, {dt:.0f} s"
    )
    for name in hits:
        print(
            f"resampling {name}: coverage {hits[name] / n_studies:.1%} of nominal 95%, "
            f"median width {np.median(widths[name]):.3f}"
        )


if __name__ == "__main__":
    main()
