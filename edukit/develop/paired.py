"""Paired differences between two arms on the items both rated, with Holm's adjustment.

The difference of arms a and b on a label is b's mean human-model agreement minus a's (the
`agree` metric, e.g. Cohen's kappa, averaged over the humans), both computed on exactly the items
both arms rated (each human pair further on the items that human rated). Its interval is a paired
percentile bootstrap: one set of resamples of items, or of whole clusters (video, dialogue) as in
`edukit agree`, evaluates both arms, so what the two arms share cancels out.

Multiplicity (Holm 1979, "A simple sequentially rejective multiple test procedure", Scand. J.
Statist. 6:65-70): over the m differences shown, sorted by their bootstrap p-value (twice the
smaller share of resamples on either side of zero), the difference of rank r (0-based) is tested
at level alpha / (m - r): its reported interval `ci` is the percentile interval at confidence
1 - alpha / (m - r), and it is declared (`better` = the higher arm) only when that interval
excludes zero and every difference ranked before it was declared too (step-down). `ci_95` is the
unadjusted 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import percentile_ci
from edukit.agreement.label import LabelData, Options
from edukit.agreement.results import num

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass
class Difference:
    """b minus a on one label (see the module docstring)."""

    label: str
    a: str
    b: str
    value: float
    n: int
    samples: Any = None  # bootstrap samples of the difference (None without bootstrap)
    p: float = math.nan
    ci: tuple[float, float] | None = None  # at the Holm level of its rank
    ci_95: tuple[float, float] | None = None
    level: float | None = None  # the confidence level of `ci`
    better: str = "neither"
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        def pair(ci):
            return None if ci is None else [num(ci[0]), num(ci[1])]

        out = {
            "label": self.label,
            "a": self.a,
            "b": self.b,
            "value": num(self.value),
            "ci": pair(self.ci),
            "better": self.better,
            "n": int(self.n),
            "level": self.level,
            "ci_95": pair(self.ci_95),
            "p": num(self.p),
        }
        if self.reason:
            out["reason"] = self.reason
        return out


def multiplicity_note(alpha: float, m: int) -> str:
    """The rule, in words, stated beside every difference table."""
    return (
        f"Paired differences (b minus a, mean human-model agreement on the items both arms "
        f"rated) with paired bootstrap intervals; multiplicity: Holm's step-down adjustment over "
        f"the {m} difference(s) shown at family-wise level {alpha:g}: each interval is at its "
        f"Holm level, and 'better' names an arm only when that interval excludes zero"
    )


def better_of(ci: tuple[float, float] | None) -> str:
    """`b` when the interval lies above zero, `a` below zero, `neither` when it touches it."""
    if ci is None or not (ci[0] == ci[0] and ci[1] == ci[1]):
        return "neither"
    if ci[0] > 0:
        return "b"
    if ci[1] < 0:
        return "a"
    return "neither"


def pairs_of(arms: Sequence[str], baseline: str | None) -> list[tuple[str, str]]:
    """Every pair (a, b) in arm order, or (baseline, arm) for each other arm."""
    if baseline is not None:
        return [(baseline, b) for b in arms if b != baseline]
    return [(a, b) for i, a in enumerate(arms) for b in arms[i + 1 :]]


def paired_difference(
    annotations: pd.DataFrame,
    label: str,
    humans: Sequence[str],
    a: str,
    b: str,
    opts: Options,
    group_map: Mapping[str, Any] | None,
) -> Difference:
    """b minus a on `label`, on the items both arms rated, with its bootstrap samples."""
    import numpy as np

    lab = LabelData(annotations, label, [*humans, a, b], opts, group_map)
    ia, ib = len(humans), len(humans) + 1
    both = ~np.isnan(lab.codes[:, ia]) & ~np.isnan(lab.codes[:, ib])
    n = int(both.sum())
    if n == 0:
        return Difference(label, a, b, math.nan, 0, reason="no item rated by both arms")
    rows = np.nonzero(both)[0]
    values, samples = {}, {}
    for arm in (ia, ib):
        vals, boots = [], []
        for h in range(len(humans)):
            cols = [h, arm]
            cats = lab.comparison_codes(cols, rows)
            vals.append(lab.coefficient(cols, rows, cats=cats)[0])
            if opts.n_boot:
                boots.append(_samples(lab, cols, both, cats))
        values[arm] = float(np.mean(vals))
        samples[arm] = np.mean(np.vstack(boots), axis=0) if boots else None
    value = values[ib] - values[ia]
    reason = None if value == value else "the agreement of an arm is undefined on these items"
    diff = samples[ib] - samples[ia] if opts.n_boot else None
    return Difference(label, a, b, value, n, diff, reason=reason)


def _samples(lab: LabelData, cols: list[int], mask: np.ndarray, cats: list[int]) -> np.ndarray:
    """Bootstrap samples of the metric over `cols`, items outside `mask` left out."""
    s = lab.fast(lab.opts.metric, cols, mask, cats=cats)
    if s is not None:
        return s

    def stat(idx: np.ndarray) -> float:
        idx = idx[mask[idx]]
        return lab.coefficient(cols, idx, cats=cats)[0] if len(idx) else math.nan

    return lab.resampler.apply(stat)


def bootstrap_p(samples: np.ndarray | None) -> float:
    """Two-sided bootstrap p-value: twice the smaller share of defined resamples <= 0 or >= 0."""
    import numpy as np

    if samples is None:
        return math.nan
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return math.nan
    return float(min(1.0, 2 * min((s <= 0).mean(), (s >= 0).mean())))


def holm(differences: list[Difference], alpha: float = 0.05) -> list[Difference]:
    """Set each difference's p, Holm-level interval and `better` (see the module docstring)."""
    for d in differences:
        d.p = bootstrap_p(d.samples)
        if d.samples is not None:
            d.ci_95 = percentile_ci(d.samples)[0]
    m = len(differences)
    order = sorted(
        range(m),
        key=lambda i: (math.inf if differences[i].p != differences[i].p else differences[i].p, i),
    )
    declaring = True
    for rank, i in enumerate(order):
        d = differences[i]
        level = 1 - alpha / (m - rank)
        d.level = level
        if d.samples is None:
            d.better = "neither"
            continue
        d.ci = percentile_ci(d.samples, level)[0]
        side = better_of(d.ci)
        declaring = declaring and side != "neither"
        d.better = side if declaring else "neither"
    return differences
