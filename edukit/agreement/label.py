"""One label's ratings, typed domain and estimator rules: where every coefficient is computed.

The estimator rules live here and nowhere else:
- Gwet's coefficients (AC1/AC2) and Fleiss' kappa use Gwet's own estimator whatever the number
  of raters, two included (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-3, and
  his irrCAC software): p_a over the items with >= 2 ratings, the chance term (pi_k) over every
  item with >= 1 rating, so an item one rater of a pair skipped still counts in the chance term;
- Krippendorff's alpha uses his pairable values; Cohen's kappa, percent agreement and the pair
  extras (specific agreement, confusion tables) use exactly the items both raters rated;
- chance terms use the declared domain, else the categories the raters of that comparison used on
  the items it uses (so human-human values never depend on the models); the category set is fixed
  at the point estimate and kept for every bootstrap resample;
- weights come from category values (ranks 1..q for a declared text order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import (
    Estimate,
    Resampler,
    group_index,
    pair_table,
    percentile_ci,
    table_statistic,
)
from edukit.agreement.domain import NUMERIC, Domain, decide
from edukit.agreement.matrix import rating_matrix
from edukit.errors import AgreementError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

METRIC_NAMES = ("cohen", "fleiss", "alpha", "ac1", "percent")
# Gwet's estimator: the chance term over every rated item, for any number of raters
GWET_RULE = ("fleiss", "ac1")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
DEFAULT_MARGIN = 0.1


@dataclass(frozen=True)
class Options:
    metric: str
    level: str
    weights: str | None
    categories: Sequence[Any] | Mapping[str, Sequence[Any]] | None
    n_boot: int
    seed: int
    margin: float = DEFAULT_MARGIN
    categories_source: str = "declared"

    def declared(self, label: str) -> Sequence[Any] | None:
        """The declared categories of `label` (one list for all labels, or per label)."""
        if self.categories is None:
            return None
        if isinstance(self.categories, Mapping):
            return self.categories.get(label)
        return self.categories


def check_options(
    metric: str, level: str, weights: str | None, n_boot: int, margin: float = DEFAULT_MARGIN
) -> None:
    """Raise `AgreementError` for an unknown metric, level or weights, or a bad n_boot / margin."""
    if metric not in METRIC_NAMES:
        raise AgreementError(f"unknown metric {metric!r}: use one of {', '.join(METRIC_NAMES)}")
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if weights not in (None, "linear", "quadratic"):
        raise AgreementError(f"unknown weights {weights!r}: use linear or quadratic")
    if weights is not None and metric not in ("cohen", "ac1"):
        raise AgreementError(f"weights apply to cohen and ac1, not {metric}")
    if level != "nominal" and metric != "alpha":
        raise AgreementError(
            f"--level applies to alpha, not {metric} (use --weights for cohen and ac1)"
        )
    if n_boot < 0:
        raise AgreementError("the number of bootstrap resamples cannot be negative")
    if not (margin >= 0 and math.isfinite(margin)):
        raise AgreementError(f"the margin must be a number >= 0, got {margin}")


def _order_need(opts: Options) -> str | None:
    """What in the options needs ordered categories (None: nothing does)."""
    if opts.weights is not None:
        name = {"cohen": "weighted kappa", "ac1": "AC2"}.get(opts.metric, opts.metric)
        return f"{name} ({opts.weights} weights)"
    if opts.metric == "alpha" and opts.level != "nominal":
        return f"{opts.level} alpha"
    return None


class LabelData:
    """One label's matrix, typed domain, codes and resampler (statistics share its resamples)."""

    def __init__(
        self,
        df: pd.DataFrame,
        label: str,
        raters: Sequence[str],
        opts: Options,
        group_map: Mapping[str, Any] | None,
    ) -> None:
        import numpy as np

        self.label = label
        self.raters = list(raters)
        self.opts = opts
        self.matrix = rating_matrix(df, label, self.raters)
        declared = opts.declared(label)
        source = opts.categories_source if declared is not None else "observed"
        self.domain: Domain = decide(self.matrix, label, declared, source)
        need = _order_need(opts)
        if need:
            self.domain.require_order(need)
        if opts.metric == "alpha" and opts.level in ("interval", "ratio"):
            self.domain.require_numbers(f"{opts.level} alpha")
        self.codes = self.domain.codes(self.matrix)
        self.k = self.domain.q
        pos = self.domain.positions()
        # what the coefficient functions see: values (numeric) or codes (text), with the order
        self.positions = pos if pos is not None else np.arange(self.k, dtype=float)
        self.values = np.full(self.codes.shape, np.nan)
        ok = ~np.isnan(self.codes)
        self.values[ok] = self.positions[self.codes[ok].astype(int)]
        items = [str(i) for i in self.matrix.index]
        self.gidx, self.n_groups = group_index(items, group_map)
        self.resampler = Resampler(self.gidx, self.n_groups, opts.n_boot, opts.seed)
        self.binary = (
            self.domain.kind == NUMERIC
            and self.k <= 2
            and all(c in (0, 1) for c in self.domain.categories)
        )
        self._tables: dict[tuple, np.ndarray] = {}

    @property
    def categories(self) -> list[Any]:
        return list(self.domain.categories)

    # -- the comparison's rows and categories
    def rows_of(
        self, cols: Sequence[int], rows: np.ndarray | None = None, metric: str | None = None
    ) -> np.ndarray:
        """Row indices a comparison uses: >= 1 rating for Gwet's estimator (fleiss, ac1) and for
        three or more raters; the items both rated for a pair under the other metrics."""
        import numpy as np

        rows = np.arange(len(self.codes)) if rows is None else np.asarray(rows)
        rated = ~np.isnan(self.codes[rows][:, list(cols)])
        need = 2 if len(cols) == 2 and (metric or self.opts.metric) not in GWET_RULE else 1
        return rows[rated.sum(axis=1) >= need]

    def comparison_codes(
        self, cols: Sequence[int], rows: np.ndarray | None = None, metric: str | None = None
    ) -> list[int]:
        """Category codes entering chance terms: the declared domain, else those used here."""
        import numpy as np

        if self.domain.declared:
            return list(range(self.k))
        x = self.codes[self.rows_of(cols, rows, metric)][:, list(cols)]
        return [int(c) for c in np.unique(x[~np.isnan(x)])]

    # -- point values from edukit.agreement.coefficients
    def coefficient(
        self,
        cols: Sequence[int],
        rows: np.ndarray | None = None,
        cats: Sequence[int] | None = None,
        metric: str | None = None,
    ) -> tuple[float, str | None]:
        from edukit.agreement import coefficients as co

        metric = metric or self.opts.metric
        o = self.opts
        if metric == "cohen" and len(cols) > 2:
            return light(self, cols, rows)
        use = self.rows_of(cols, rows, metric)
        if cats is None:
            cats = self.comparison_codes(cols, rows, metric)
        x = self.values[use][:, list(cols)]
        cv = [float(self.positions[c]) for c in cats]
        weights = o.weights if metric == o.metric else None
        if metric == "cohen":
            c = co.cohen_kappa(x[:, 0], x[:, 1], weights=weights, categories=cv)
        elif metric == "fleiss":
            c = co.fleiss_kappa(x, categories=cv)
        elif metric == "alpha":
            c = co.krippendorff_alpha(x, level=o.level, categories=cv)
        elif metric == "ac1":
            c = co.gwet_ac1(x, categories=cv, weights=weights)
        else:
            c = co.percent_agreement(x, categories=cv)
        return float(c.value), c.reason

    def n_items(self, cols: Sequence[int], rows: np.ndarray | None = None) -> int:
        """Items the comparison uses (for a pair: both rated; else >= 2 ratings)."""
        import numpy as np

        x = self.codes[:, list(cols)] if rows is None else self.codes[rows][:, list(cols)]
        return int(((~np.isnan(x)).sum(axis=1) >= 2).sum())

    def estimate(self, cols: Sequence[int], metric: str | None = None) -> Estimate:
        """The metric over raters `cols`, with its interval."""
        import numpy as np

        metric = metric or self.opts.metric
        n = self.n_items(cols)
        if n == 0:
            return undefined("no items rated by two of these raters")
        cats = self.comparison_codes(cols, metric=metric)
        value, reason = self.coefficient(cols, cats=cats, metric=metric)
        if self.opts.n_boot == 0:
            return Estimate(value, None, n, reason)
        samples = self.fast(metric, cols, cats=cats)
        if samples is None:
            samples = self.resampler.apply(
                lambda idx: (
                    self.coefficient(cols, idx, cats=cats, metric=metric)[0] if len(idx) else np.nan
                )
            )
        ci, n_undef = percentile_ci(samples)
        return Estimate(value, ci, n, reason, n_undef)

    def fast(
        self,
        metric: str,
        cols: Sequence[int],
        mask: np.ndarray | None = None,
        cats: Sequence[int] | None = None,
    ):
        """Vectorised bootstrap samples for pairwise table statistics (None if not available)."""
        weights = self.opts.weights if metric == self.opts.metric else None
        if len(cols) != 2 and metric != "cohen":
            return None
        if metric in GWET_RULE and self._has_single_ratings(cols, mask):
            return None  # a pair's contingency table holds only the items both rated
        q = len(cats) if cats is not None else self.k
        stat = table_statistic(metric, self.k, weights, positions=self.positions, q=q)
        if stat is None:
            return None
        pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1 :]]
        return mean_rows([stat(self.boot_tables(a, b, mask)) for a, b in pairs])

    def _has_single_ratings(self, cols: Sequence[int], mask: np.ndarray | None) -> bool:
        import numpy as np

        n_rated = (~np.isnan(self.codes[:, list(cols)])).sum(axis=1)
        if mask is not None:
            n_rated = n_rated[mask]
        return bool((n_rated == 1).any())

    def boot_tables(self, a: int, b: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Resampled contingency tables of raters a and b (cached: kappa, AC1... share them)."""
        key = (a, b, self.codes.shape[1], None if mask is None else mask.tobytes())
        if key not in self._tables:
            self._tables[key] = self.resampler.tables(self.table(a, b, mask))
        return self._tables[key]

    def table(self, a: int, b: int, mask: np.ndarray | None = None) -> np.ndarray:
        import numpy as np

        x, y = self.codes[:, a], self.codes[:, b]
        if mask is not None:
            x, y = np.where(mask, x, np.nan), np.where(mask, y, np.nan)
        return pair_table(x, y, self.gidx, self.n_groups, self.k)


def light(lab: LabelData, cols: Sequence[int], rows: np.ndarray | None) -> tuple[float, str | None]:
    """Mean pairwise Cohen's kappa (Light's kappa) over more than two raters."""
    vals, reasons = [], []
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            v, r = lab.coefficient([a, b], rows)
            vals.append(v)
            reasons.append(r)
    ok = [v for v in vals if v == v]
    if len(ok) < len(vals):
        return math.nan, next((r for r in reasons if r), "a pairwise kappa is undefined")
    return sum(ok) / len(ok), None


def mean_rows(rows: list[np.ndarray]) -> np.ndarray:
    import numpy as np

    return np.mean(np.vstack(rows), axis=0)


def undefined(reason: str) -> Estimate:
    return Estimate(math.nan, None, 0, reason)
