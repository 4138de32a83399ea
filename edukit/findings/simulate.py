"""Coverage simulation: do the intervals hold the truth as often as they claim?

Each simulated corpus has true labels, a biased model labelling every item and a simple random
sample coded by a human. Two estimands:
- prevalence: the share of the corpus's items whose true label is 1;
- regression slope: outcome = a + b * (true group rate) + noise, with the model's group rates
  compressed and shifted (a model that under-detects); humans code a random set of groups.
For each, coverage and mean width of the 95% intervals by method (model only, human only, PPI).
Used by `benchmarks/bench_ppi_coverage.py` (1,000 corpora) and by the tests (a few hundred).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CoverageSettings:
    corpora: int = 500
    n_items: int = 5000
    n_coded: int = 300
    prevalence: float = 0.2
    sensitivity: float = 0.75  # P(model says 1 | truly 1)
    false_positive: float = 0.10  # P(model says 1 | truly 0)
    n_groups: int = 600
    n_coded_groups: int = 150
    slope: float = 2.0
    seed: int = 2026


@dataclass
class MethodCoverage:
    covered: float
    width: float


def prevalence_coverage(s: CoverageSettings) -> dict[str, MethodCoverage]:
    """Coverage of the corpus prevalence by the three methods' 95% intervals."""
    import numpy as np

    from edukit.findings.ppi import human_mean, model_mean, ppi_mean

    rng = np.random.default_rng(s.seed)
    hits = {m: [] for m in ("model", "human", "ppi")}
    widths = {m: [] for m in hits}
    for _ in range(s.corpora):
        y = (rng.random(s.n_items) < s.prevalence).astype(float)
        p1 = np.where(y == 1, s.sensitivity, s.false_positive)
        f = (rng.random(s.n_items) < p1).astype(float)
        idx = rng.choice(s.n_items, s.n_coded, replace=False)
        truth = y.mean()
        ests = {
            "model": model_mean(f),
            "human": human_mean(y[idx]),
            "ppi": ppi_mean(y[idx], f[idx], f),
        }
        for m, e in ests.items():
            hits[m].append(e.ci[0] <= truth <= e.ci[1])
            widths[m].append(e.ci[1] - e.ci[0])
    return {m: MethodCoverage(float(np.mean(hits[m])), float(np.mean(widths[m]))) for m in hits}


def slope_coverage(s: CoverageSettings) -> dict[str, MethodCoverage]:
    """Coverage of the true slope by naive OLS on model rates, OLS on the human-coded groups,
    and PPI++ least squares (model rates as predicted covariates)."""
    import numpy as np

    from edukit.findings.ppi import ppi_ols

    rng = np.random.default_rng(s.seed + 1)
    hits = {m: [] for m in ("model", "human", "ppi")}
    widths = {m: [] for m in hits}
    for _ in range(s.corpora):
        r = rng.beta(2, 5, s.n_groups)
        r_hat = np.clip(0.6 * r + 0.05 + rng.normal(0, 0.04, s.n_groups), 0, 1)
        y = 1.0 + s.slope * r + rng.normal(0, 0.3, s.n_groups)
        xu = np.column_stack([np.ones(s.n_groups), r_hat])
        idx = rng.choice(s.n_groups, s.n_coded_groups, replace=False)
        x_true = np.column_stack([np.ones(len(idx)), r[idx]])
        fits = {
            # naive: the model's rates as if true (lambda 0 on all groups = plain OLS, HC0)
            "model": ppi_ols(xu, y, xu, y, xu, y, lam=0.0),
            "human": ppi_ols(x_true, y[idx], xu[idx], y[idx], xu, y, lam=0.0),
            "ppi": ppi_ols(x_true, y[idx], xu[idx], y[idx], xu, y),
        }
        for m, fit in fits.items():
            lo, hi = fit.ci[1]
            hits[m].append(lo <= s.slope <= hi)
            widths[m].append(hi - lo)
    return {m: MethodCoverage(float(np.mean(hits[m])), float(np.mean(widths[m]))) for m in hits}
