"""Human IRR vs human-model agreement per label, with bootstrap intervals (`edukit agree`).

`compare(...)` answers, per label: how consistent are the humans (`human_human`), how close is each
model to each human (`human_model`), their mean, the model against the human majority, and is the
model as good as a second human? Across labels it correlates human IRR with mean human-model
agreement (the SIGHT paper's Figure 3). `raters_agreement(...)` gives one coefficient per label
over a set of raters. Coefficients come from `edukit.agreement.coefficients`; intervals from
`edukit.agreement.bootstrap` (percentile, 1,000 seeded resamples of items or of groups).

Definitions
- Items are aligned by id; each pair uses exactly the items both raters annotated.
- human_human: the metric over the humans (Cohen: H1 vs H2; with more than two humans the mean
  pairwise Cohen's kappa, Light's kappa). human_model: the metric between each model and each human.
- model_vs_majority: the model against the humans' strict majority (items rated by at least two
  humans where more than half of them agree; ties are left out).
- difference: mean human-model minus human-human agreement, both computed on the items every
  human and that model rated, with a paired bootstrap interval (the same resampled items for both).
  `as_good_as_humans` is true when the upper end of that 95% interval is >= 0: the data do not show
  the model agreeing with the humans less than they agree with each other. (It is not a proof of
  equivalence: a wide interval passes too; read it with the interval.)
- Binary labels (values 0/1): prevalence and positive counts per rater, Gwet's AC1 and positive /
  negative specific agreement beside the metric (kappa's prevalence paradox hits rare labels).
- Multi-class labels: confusion matrix model vs each human, per-class precision/recall/F1.
- Undefined values (one category, no shared items, a single rater) are NaN with a `reason`.

JSON (`Comparison.to_json()`, stable; NaN is null, with "reason" beside it)::

    {"metric": "cohen", "level": "nominal", "weights": null, "categories": null | [...],
     "categories_source": "declared" | "observed", "n_boot": 1000, "seed": 0, "groups": null,
     "humans": ["H1", "H2"], "models": ["M"], "as_good_as_humans_rule": "<the rule, in words>",
     "labels": {LABEL: {
        "kind": "binary" | "multiclass", "categories": [...],
        "human_human": {"value", "ci": [lo, hi] | null, "n", "reason"?},
        "human_model": {MODEL: {HUMAN: {"value", "ci", "n"}}},
        "human_model_mean": {"value", "reason"?, "by_model": {MODEL: {"value", "ci", "n"}}},
        "model_vs_majority": {MODEL: {"value", "ci", "n"}},
        "difference": {MODEL: {"value", "ci", "n"}},
        "as_good_as_humans": {MODEL: true | false | null},
        "n_rated": {RATER: n}, "positives": {RATER: n} (binary), "prevalence": {RATER: p} (binary),
        "ac1": {"human_human": {...}, "human_model": {MODEL: {HUMAN: {...}}}} (binary),
        "specific_agreement": {"human_human": {"positive": {...}, "negative": {...}},
                               "human_model": {MODEL: {HUMAN: {"positive", "negative"}}}} (binary),
        "confusion": {MODEL: {HUMAN: {"labels", "matrix", "per_class": {CLASS: {"precision",
                      "recall", "f1", "support", "reason"?}}}}} (multiclass)}},
     "correlation": {MODEL: {"n_labels", "pearson", "pearson_p", "spearman", "spearman_p",
                             "slope", "intercept", "labels", "caveat", "reason"?}}}

`RatersAgreement.to_json()`: {"metric", "level", "weights", "categories", "categories_source",
"n_boot", "seed", "raters": [...], "labels": {LABEL: {"value", "ci", "n", "reason"?}}}.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import (
    DEFAULT_N_BOOT,
    Estimate,
    Resampler,
    group_index,
    pair_table,
    percentile_ci,
    table_statistic,
)
from edukit.agreement.matrix import encode, labels_of, rating_matrix, select_versions
from edukit.errors import AgreementError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

METRIC_NAMES = ("cohen", "fleiss", "alpha", "ac1", "percent")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
AS_GOOD_RULE = (
    "true when the upper end of the paired 95% bootstrap interval of (mean human-model minus "
    "human-human agreement, on the items every human and the model rated) is >= 0: the data do "
    "not show the model agreeing with the humans less than they agree with each other. Not a test "
    "of equivalence: a wide interval passes too, so read the flag with labels.LABEL.difference"
)
FEW_POINTS_CAVEAT = (
    "Each point is one label, so the correlation rests on {n} points: it is descriptive, its "
    "p-value is fragile and one label can move it; read it with the per-label intervals."
)


@dataclass
class LabelComparison:
    """Every figure `compare` computes for one label (see the module docstring)."""

    label: str
    kind: str
    categories: list[Any]
    human_human: Estimate
    human_model: dict[str, dict[str, Estimate]]
    human_model_mean: dict[str, Estimate]
    model_vs_majority: dict[str, Estimate]
    difference: dict[str, Estimate]
    as_good_as_humans: dict[str, bool | None]
    n_rated: dict[str, int]
    positives: dict[str, int] = field(default_factory=dict)
    prevalence: dict[str, float] = field(default_factory=dict)
    ac1: dict[str, Any] = field(default_factory=dict)
    specific: dict[str, Any] = field(default_factory=dict)
    confusion: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def mean_value(self) -> float:
        """Mean human-model agreement over every (model, human) pair with a defined value."""
        vals = [e.value for per in self.human_model.values() for e in per.values()]
        vals = [v for v in vals if v == v]
        return sum(vals) / len(vals) if vals else math.nan

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "categories": [_plain(c) for c in self.categories],
            "human_human": self.human_human.to_json(),
            "human_model": {
                m: {h: e.to_json() for h, e in per.items()} for m, per in self.human_model.items()
            },
            "human_model_mean": self._mean_json(),
            "model_vs_majority": {m: e.to_json() for m, e in self.model_vs_majority.items()},
            "difference": {m: e.to_json() for m, e in self.difference.items()},
            "as_good_as_humans": dict(self.as_good_as_humans),
            "n_rated": dict(self.n_rated),
        }
        if self.kind == "binary":
            out["positives"] = dict(self.positives)
            out["prevalence"] = {r: _num(p) for r, p in self.prevalence.items()}
            out["ac1"] = _clean(self.ac1)
            out["specific_agreement"] = _clean(self.specific)
        if self.confusion:
            out["confusion"] = self.confusion
        return out

    def _mean_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _num(self.mean_value)}
        if out["value"] is None:
            reasons = [e.reason for per in self.human_model.values() for e in per.values()]
            out["reason"] = next((r for r in reasons if r), "no human-model value is defined")
        out["by_model"] = {m: e.to_json() for m, e in self.human_model_mean.items()}
        return out


@dataclass
class Comparison:
    """Result of `compare`: per-label results and the across-label correlation."""

    metric: str
    level: str
    weights: str | None
    categories: list[Any] | None
    humans: list[str]
    models: list[str]
    n_boot: int
    seed: int
    groups: str | None
    labels: dict[str, LabelComparison]
    correlation: dict[str, dict[str, Any]]

    @property
    def categories_source(self) -> str:
        return "declared" if self.categories is not None else "observed"

    def to_json(self) -> dict[str, Any]:
        """The documented, stable JSON shape (module docstring); NaN becomes null."""
        return {
            "metric": self.metric,
            "level": self.level,
            "weights": self.weights,
            "categories": None if self.categories is None else [_plain(c) for c in self.categories],
            "categories_source": self.categories_source,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "groups": self.groups,
            "humans": list(self.humans),
            "models": list(self.models),
            "as_good_as_humans_rule": AS_GOOD_RULE,
            "labels": {name: lab.to_json() for name, lab in self.labels.items()},
            "correlation": {m: _clean(c) for m, c in self.correlation.items()},
        }

    def table(self) -> pd.DataFrame:
        """Table 3 shape: one row per label; human-human and human-model columns with CIs."""
        import pandas as pd

        rows = []
        for name, lab in self.labels.items():
            row: dict[str, Any] = {
                "label": name,
                "n": lab.human_human.n,
                "human_human": lab.human_human.value,
                "human_human_ci": lab.human_human.ci,
            }
            for m in self.models:
                e = lab.human_model_mean[m]
                row[f"{m}"] = e.value
                row[f"{m}_ci"] = e.ci
                row[f"{m}_vs_majority"] = lab.model_vs_majority[m].value
                row[f"{m}_difference"] = lab.difference[m].value
                row[f"{m}_difference_ci"] = lab.difference[m].ci
                row[f"{m}_as_good"] = lab.as_good_as_humans[m]
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class RatersAgreement:
    """Result of `raters_agreement`: one coefficient per label over the given raters."""

    metric: str
    level: str
    weights: str | None
    categories: list[Any] | None
    raters: list[str]
    n_boot: int
    seed: int
    labels: dict[str, Estimate]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "level": self.level,
            "weights": self.weights,
            "categories": None if self.categories is None else [_plain(c) for c in self.categories],
            "categories_source": "declared" if self.categories is not None else "observed",
            "n_boot": self.n_boot,
            "seed": self.seed,
            "raters": list(self.raters),
            "labels": {name: e.to_json() for name, e in self.labels.items()},
        }


# --- the public functions -------------------------------------------------------------------


def compare(
    annotations: pd.DataFrame,
    humans: Sequence[str],
    models: Sequence[str],
    metric: str = "cohen",
    level: str = "nominal",
    weights: str | None = None,
    categories: Sequence[Any] | None = None,
    version: str | Iterable[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    groups: str | Mapping[str, Any] | pd.Series | None = None,
    labels: Sequence[str] | None = None,
) -> Comparison:
    """Human-human vs human-model agreement per label, with bootstrap intervals.

    `annotations` is a long table (item_id, rater, label, value[, version]). `groups` resamples
    whole groups: a column of `annotations` (e.g. "video_id") or a mapping item_id -> group.
    """
    humans, models = list(humans), list(models)
    check_options(metric, level, weights, n_boot)
    if not humans:
        raise AgreementError("name at least one human rater (or gold standard) with --humans")
    if not models:
        raise AgreementError("name at least one model with --models")
    overlap = set(humans) & set(models)
    if overlap:
        raise AgreementError(f"rater(s) {', '.join(sorted(overlap))} are both human and model")
    df, group_map, group_name, names = _prepare(
        annotations, [*humans, *models], version, groups, labels
    )
    opts = _Opts(metric, level, weights, categories, n_boot, seed)
    results = {name: _compare_label(df, name, humans, models, opts, group_map) for name in names}
    correlation = {m: _correlation(results, m) for m in models}
    return Comparison(
        metric=metric,
        level=level,
        weights=weights,
        categories=list(categories) if categories is not None else None,
        humans=humans,
        models=models,
        n_boot=n_boot,
        seed=seed,
        groups=group_name,
        labels=results,
        correlation=correlation,
    )


def raters_agreement(
    annotations: pd.DataFrame,
    raters: Sequence[str],
    metric: str = "fleiss",
    level: str = "nominal",
    weights: str | None = None,
    categories: Sequence[Any] | None = None,
    version: str | Iterable[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    groups: str | Mapping[str, Any] | pd.Series | None = None,
    labels: Sequence[str] | None = None,
) -> RatersAgreement:
    """One coefficient per label over `raters` (Cohen's kappa needs exactly two)."""
    raters = list(raters)
    check_options(metric, level, weights, n_boot)
    if metric == "cohen" and len(raters) != 2:
        raise AgreementError(
            f"Cohen's kappa compares exactly two raters, got {len(raters)}: "
            "use --metric fleiss, alpha, ac1 or percent"
        )
    if len(raters) < 2:
        raise AgreementError("agreement needs at least two --raters")
    df, group_map, _, names = _prepare(annotations, raters, version, groups, labels)
    opts = _Opts(metric, level, weights, categories, n_boot, seed)
    out = {}
    for name in names:
        lab = _Label(df, name, raters, opts, group_map)
        out[name] = lab.estimate(list(range(len(raters))))
    return RatersAgreement(
        metric=metric,
        level=level,
        weights=weights,
        categories=list(categories) if categories is not None else None,
        raters=raters,
        n_boot=n_boot,
        seed=seed,
        labels=out,
    )


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opts:
    metric: str
    level: str
    weights: str | None
    categories: Sequence[Any] | None
    n_boot: int
    seed: int


def check_options(metric: str, level: str, weights: str | None, n_boot: int) -> None:
    """Raise `AgreementError` for an unknown metric, level or weights, or a negative n_boot."""
    if metric not in METRIC_NAMES:
        raise AgreementError(f"unknown metric {metric!r}: use one of {', '.join(METRIC_NAMES)}")
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if weights not in (None, "linear", "quadratic"):
        raise AgreementError(f"unknown weights {weights!r}: use linear or quadratic")
    if weights is not None and metric not in ("cohen", "ac1"):
        raise AgreementError(f"weights apply to cohen and ac1, not {metric}")
    if n_boot < 0:
        raise AgreementError("the number of bootstrap resamples cannot be negative")


def _prepare(
    annotations: pd.DataFrame,
    raters: Sequence[str],
    version: str | Iterable[str] | None,
    groups: str | Mapping[str, Any] | pd.Series | None,
    labels: Sequence[str] | None,
) -> tuple[pd.DataFrame, Mapping[str, Any] | None, str | None, list[str]]:
    """One version per rater and label, the raters checked, the groups and the labels to compare."""
    _check_raters(annotations, raters)
    # Only the raters being compared matter: another rater's versions must not stop the run.
    df = select_versions(annotations[annotations["rater"].isin(raters)], version)
    group_map, group_name = _groups(df, groups)
    names = list(labels) if labels is not None else labels_of(df, raters)
    if not names:
        raise AgreementError(f"no label is rated by all of {', '.join(raters)}")
    return df, group_map, group_name, names


def _check_raters(df: pd.DataFrame, raters: Sequence[str]) -> None:
    present = set(df["rater"])
    absent = [r for r in raters if r not in present]
    if absent:
        raise AgreementError(
            f"no ratings from {', '.join(absent)} (raters present: {', '.join(sorted(present))})"
        )


def _groups(
    df: pd.DataFrame, groups: str | Mapping[str, Any] | pd.Series | None
) -> tuple[Mapping[str, Any] | None, str | None]:
    if groups is None:
        return None, None
    if isinstance(groups, str):
        if groups not in df.columns:
            raise AgreementError(f"no column {groups!r} to group items by")
        pairs = df[["item_id", groups]].dropna().drop_duplicates()
        clash = pairs["item_id"].duplicated()
        if clash.any():
            item = pairs.loc[clash, "item_id"].iloc[0]
            raise AgreementError(f"item {item!r} has several {groups!r} values")
        return dict(zip(pairs["item_id"].astype(str), pairs[groups], strict=True)), groups
    mapping = {str(k): v for k, v in dict(groups).items()}
    return mapping, "custom"


class _Label:
    """One label's matrix, codes and resampler (all statistics share its resamples)."""

    def __init__(
        self,
        df: pd.DataFrame,
        label: str,
        raters: Sequence[str],
        opts: _Opts,
        group_map: Mapping[str, Any] | None,
    ) -> None:
        self.label = label
        self.raters = list(raters)
        self.opts = opts
        self.matrix = rating_matrix(df, label, self.raters)
        self.codes, self.categories = encode(self.matrix, opts.categories)
        self.k = len(self.categories)
        items = [str(i) for i in self.matrix.index]
        self.gidx, self.n_groups = group_index(items, group_map)
        self.resampler = Resampler(self.gidx, self.n_groups, opts.n_boot, opts.seed)
        self.binary = self.k <= 2 and all(_is01(c) for c in self.categories)
        self._tables: dict[tuple, np.ndarray] = {}

    # -- point values from edukit.agreement.coefficients, on code matrices
    def coefficient(
        self, cols: Sequence[int], rows: np.ndarray | None = None
    ) -> tuple[float, str | None]:
        from edukit.agreement import coefficients as co

        x = self.codes[:, list(cols)] if rows is None else self.codes[rows][:, list(cols)]
        cats = list(range(self.k))
        m, o = self.opts.metric, self.opts
        if m == "cohen":
            if len(cols) != 2:
                return _light(self, cols, rows)
            a, b = x[:, 0], x[:, 1]
            both = ~(_nan(a) | _nan(b))
            c = co.cohen_kappa(a[both], b[both], weights=o.weights, categories=cats)
        elif m == "fleiss":
            c = co.fleiss_kappa(x, categories=cats)
        elif m == "alpha":
            if o.level in ("interval", "ratio"):
                x, cats = self.numeric(x), [float(c) for c in self.categories]
            c = co.krippendorff_alpha(x, level=o.level, categories=cats)
        elif m == "ac1":
            c = co.gwet_ac1(x, categories=cats, weights=o.weights)
        else:
            c = co.percent_agreement(x, categories=cats)
        return float(c.value), c.reason

    def numeric(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        try:
            values = np.array([float(c) for c in self.categories])
        except (TypeError, ValueError):
            raise AgreementError(
                f"label {self.label!r}: level {self.opts.level} needs numeric values, "
                f"got {', '.join(map(str, self.categories))}"
            ) from None
        out = np.full(x.shape, np.nan)
        ok = ~_nan(x)
        out[ok] = values[x[ok].astype(int)]
        return out

    def n_items(self, cols: Sequence[int], rows: np.ndarray | None = None) -> int:
        x = self.codes[:, list(cols)] if rows is None else self.codes[rows][:, list(cols)]
        return int(((~_nan(x)).sum(axis=1) >= 2).sum())

    def estimate(self, cols: Sequence[int]) -> Estimate:
        """The metric over raters `cols`, with its interval."""
        import numpy as np

        n = self.n_items(cols)
        if n == 0:
            return _undefined("no items rated by two of these raters")
        value, reason = self.coefficient(cols)
        if self.opts.n_boot == 0:
            return Estimate(value, None, n, reason)
        samples = self.fast(self.opts.metric, cols)
        if samples is None:
            samples = self.resampler.apply(
                lambda idx: self.coefficient(cols, idx)[0] if len(idx) else np.nan
            )
        ci, undefined = percentile_ci(samples)
        return Estimate(value, ci, n, reason, undefined)

    def fast(self, metric: str, cols: Sequence[int], mask: np.ndarray | None = None):
        """Vectorised bootstrap samples for pairwise table statistics (None if not available)."""
        weights = self.opts.weights if metric == self.opts.metric else None
        stat = table_statistic(metric, self.k, weights)
        if stat is None or (len(cols) != 2 and metric != "cohen"):
            return None
        pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1 :]]
        return _mean_rows([stat(self.boot_tables(a, b, mask)) for a, b in pairs])

    def boot_tables(self, a: int, b: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Resampled contingency tables of raters a and b (cached: kappa, AC1... share them)."""
        key = (a, b, self.codes.shape[1], None if mask is None else mask.tobytes())
        if key not in self._tables:
            self._tables[key] = self.resampler.tables(self.table(a, b, mask))
        return self._tables[key]

    def table(self, a: int, b: int, mask: np.ndarray | None = None) -> np.ndarray:
        x, y = self.codes[:, a], self.codes[:, b]
        if mask is not None:
            x, y = _masked(x, mask), _masked(y, mask)
        return pair_table(x, y, self.gidx, self.n_groups, self.k)


def _light(lab: _Label, cols: Sequence[int], rows: np.ndarray | None) -> tuple[float, str | None]:
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


def _compare_label(
    df: pd.DataFrame,
    label: str,
    humans: list[str],
    models: list[str],
    opts: _Opts,
    group_map: Mapping[str, Any] | None,
) -> LabelComparison:

    lab = _Label(df, label, [*humans, *models], opts, group_map)
    hcols = list(range(len(humans)))
    # One human (e.g. gold moves): the model is compared with it; what needs two humans is NaN.
    single = len(humans) == 1
    human_human = (
        _undefined("one human rater: human-human agreement needs two")
        if single
        else lab.estimate(hcols)
    )
    human_model: dict[str, dict[str, Estimate]] = {}
    means: dict[str, Estimate] = {}
    majority_est: dict[str, Estimate] = {}
    difference: dict[str, Estimate] = {}
    as_good: dict[str, bool | None] = {}
    majority = _majority(lab.codes[:, hcols])
    for j, model in enumerate(models):
        mcol = len(humans) + j
        per = {h: lab.estimate([i, mcol]) for i, h in enumerate(humans)}
        human_model[model] = per
        means[model] = _mean_estimate(lab, per, [[i, mcol] for i in hcols])
        if single:
            majority_est[model] = _undefined("one human rater: the majority is that rater")
            difference[model] = _undefined("one human rater: no human-human agreement to match")
        else:
            majority_est[model] = _versus(lab, majority, mcol)
            difference[model] = _difference(lab, hcols, mcol)
        ci = difference[model].ci
        as_good[model] = None if ci is None else bool(ci[1] >= 0)
    n_rated = {r: int((~_nan(lab.codes[:, i])).sum()) for i, r in enumerate(lab.raters)}
    result = LabelComparison(
        label=label,
        kind="binary" if lab.binary else "multiclass",
        categories=lab.categories,
        human_human=human_human,
        human_model=human_model,
        human_model_mean=means,
        model_vs_majority=majority_est,
        difference=difference,
        as_good_as_humans=as_good,
        n_rated=n_rated,
    )
    if lab.binary:
        _binary_extras(lab, result, humans, models)
    else:
        result.confusion = _confusions(lab, humans, models)
    return result


def _mean_estimate(lab: _Label, per: dict[str, Estimate], pairs: list[list[int]]) -> Estimate:
    """Mean of a model's agreement with each human; interval from the same resamples."""
    import numpy as np

    values = [e.value for e in per.values()]
    value = float(np.mean(values)) if all(v == v for v in values) else math.nan
    reason = next((e.reason for e in per.values() if e.reason), None)
    n = max((e.n for e in per.values()), default=0)
    if lab.opts.n_boot == 0 or n == 0:
        return Estimate(value, None, n, reason)
    rows = []
    for cols in pairs:
        s = lab.fast(lab.opts.metric, cols)
        if s is None:
            s = lab.resampler.apply(lambda idx, c=cols: lab.coefficient(c, idx)[0])
        rows.append(s)
    ci, undefined = percentile_ci(_mean_rows(rows))
    return Estimate(value, ci, n, reason, undefined)


def _versus(lab: _Label, reference: np.ndarray, col: int) -> Estimate:
    """The metric between a reference code vector (the human majority) and one rater."""
    import numpy as np

    m = lab.codes[:, col]
    both = ~(_nan(reference) | _nan(m))
    n = int(both.sum())
    if n == 0:
        return _undefined("no item has both a human majority and a model rating")
    saved = lab.codes  # the majority joins the matrix as one more column, for this call only
    lab.codes = np.column_stack([saved, reference])
    try:
        value, reason = lab.coefficient([lab.codes.shape[1] - 1, col])
        if lab.opts.n_boot == 0:
            return Estimate(value, None, n, reason)
        samples = lab.fast(lab.opts.metric, [lab.codes.shape[1] - 1, col])
        if samples is None:
            samples = lab.resampler.apply(
                lambda idx: lab.coefficient([lab.codes.shape[1] - 1, col], idx)[0]
            )
    finally:
        lab.codes = saved
    ci, undefined = percentile_ci(samples)
    return Estimate(value, ci, n, reason, undefined)


def _difference(lab: _Label, hcols: list[int], mcol: int) -> Estimate:
    """Mean human-model minus human-human on the items all of them rated (paired bootstrap)."""
    import numpy as np

    common = (~_nan(lab.codes[:, [*hcols, mcol]])).all(axis=1)
    n = int(common.sum())
    if n == 0:
        return _undefined("no item rated by every human and the model")
    rows = np.nonzero(common)[0]
    hh, r1 = lab.coefficient(hcols, rows)
    hm = [lab.coefficient([h, mcol], rows) for h in hcols]
    value = float(np.mean([v for v, _ in hm])) - hh
    reason = r1 or next((r for _, r in hm if r), None)
    if lab.opts.n_boot == 0:
        return Estimate(value, None, n, reason)
    metric = lab.opts.metric
    hh_s = lab.fast(metric, hcols, common)
    hm_s = [lab.fast(metric, [h, mcol], common) for h in hcols]
    if hh_s is None or any(s is None for s in hm_s):
        # generic path: resample all items, keep the common ones of each resample
        def stat(idx: np.ndarray) -> float:
            idx = idx[common[idx]]
            if not len(idx):
                return math.nan
            h = lab.coefficient(hcols, idx)[0]
            return float(np.mean([lab.coefficient([c, mcol], idx)[0] for c in hcols])) - h

        samples = lab.resampler.apply(stat)
    else:
        samples = _mean_rows(hm_s) - hh_s
    ci, undefined = percentile_ci(samples)
    return Estimate(value, ci, n, reason, undefined)


def _majority(codes: np.ndarray) -> np.ndarray:
    """Strict majority code per item among at least two ratings; NaN for ties and singletons."""
    import numpy as np

    rated = ~_nan(codes)
    n_rated = rated.sum(axis=1)
    k = int(np.nanmax(codes)) + 1 if rated.any() else 1
    counts = np.stack([(codes == c).sum(axis=1) for c in range(k)], axis=1)
    top = counts.argmax(axis=1)
    strict = (n_rated >= 2) & (counts[np.arange(len(codes)), top] * 2 > n_rated)
    return np.where(strict, top, np.nan)


def _binary_extras(
    lab: _Label, result: LabelComparison, humans: list[str], models: list[str]
) -> None:
    """Prevalence, positive counts, AC1 and specific agreement for a 0/1 label."""
    import numpy as np

    from edukit.agreement import coefficients as co

    pos_code = next((i for i, c in enumerate(lab.categories) if _is01(c) and float(c) == 1.0), None)
    for i, r in enumerate(lab.raters):
        col = lab.codes[:, i]
        rated = col[~_nan(col)]
        # no positive category observed (every rating 0): prevalence 0, not undefined
        positives = int((rated == pos_code).sum()) if pos_code is not None else 0
        result.positives[r] = positives
        result.prevalence[r] = positives / len(rated) if len(rated) else math.nan
    if lab.k < 2:
        reason = "a single category was observed: AC1 and specific agreement are undefined"
        result.ac1 = {"reason": reason}
        result.specific = {"reason": reason}
        return

    def ac1_pair(a: int, b: int) -> Estimate:
        x, y = lab.codes[:, a], lab.codes[:, b]
        both = ~(_nan(x) | _nan(y))
        n = int(both.sum())
        if n == 0:
            return _undefined("no shared items")
        c = co.gwet_ac1(np.column_stack([x[both], y[both]]), categories=list(range(lab.k)))
        ci, und = (None, 0)
        if lab.opts.n_boot:
            stat = table_statistic("ac1", lab.k)
            ci, und = percentile_ci(stat(lab.boot_tables(a, b)))
        return Estimate(float(c.value), ci, n, c.reason, und)

    def specific_pair(a: int, b: int) -> dict[str, Estimate]:
        x, y = lab.codes[:, a], lab.codes[:, b]
        both = ~(_nan(x) | _nan(y))
        n = int(both.sum())
        if n == 0:
            e = _undefined("no shared items")
            return {"positive": e, "negative": e}
        pos, neg = co.specific_agreement(
            x[both].astype(int), y[both].astype(int), positive=pos_code
        )
        out = {}
        for name, val, key in (("positive", pos, "pos"), ("negative", neg, "neg")):
            v, reason = _value_reason(val)
            ci, und = (None, 0)
            if lab.opts.n_boot:
                stat = table_statistic(key, lab.k, positive=pos_code)
                ci, und = percentile_ci(stat(lab.boot_tables(a, b)))
            out[name] = Estimate(v, ci, n, reason, und)
        return out

    h = list(range(len(humans)))
    hh_pairs = [(a, b) for i, a in enumerate(h) for b in h[i + 1 :]]
    hh_ac1 = {f"{humans[a]}-{humans[b]}": ac1_pair(a, b) for a, b in hh_pairs}
    hh_spec = {f"{humans[a]}-{humans[b]}": specific_pair(a, b) for a, b in hh_pairs}
    result.ac1 = {
        "human_human": hh_ac1[next(iter(hh_ac1))] if len(hh_ac1) == 1 else hh_ac1,
        "human_model": {
            m: {hum: ac1_pair(i, len(humans) + j) for i, hum in enumerate(humans)}
            for j, m in enumerate(models)
        },
    }
    result.specific = {
        "human_human": hh_spec[next(iter(hh_spec))] if len(hh_spec) == 1 else hh_spec,
        "human_model": {
            m: {hum: specific_pair(i, len(humans) + j) for i, hum in enumerate(humans)}
            for j, m in enumerate(models)
        },
    }


def _confusions(lab: _Label, humans: list[str], models: list[str]) -> dict[str, dict[str, Any]]:
    """Confusion matrix (rows human, columns model) and per-class P/R/F1, model vs each human."""
    from edukit.agreement import coefficients as co

    out: dict[str, dict[str, Any]] = {}
    names = [_plain(c) for c in lab.categories]
    for j, m in enumerate(models):
        out[m] = {}
        for i, h in enumerate(humans):
            x, y = lab.codes[:, i], lab.codes[:, len(humans) + j]
            both = ~(_nan(x) | _nan(y))
            a = [names[int(v)] for v in x[both]]
            b = [names[int(v)] for v in y[both]]
            cm, per_class = co.confusion(a, b, labels=names)
            out[m][h] = {
                "labels": [str(c) for c in names],
                "matrix": [[int(v) for v in row] for row in cm.to_numpy()],
                "per_class": {str(idx): _per_class_json(row) for idx, row in per_class.iterrows()},
            }
    return out


def _per_class_json(row: pd.Series) -> dict[str, Any]:
    """Precision, recall, F1 (null with a reason when undefined) and an integer support."""
    out: dict[str, Any] = {k: _num(row[k]) for k in ("precision", "recall", "f1")}
    out["support"] = int(row["support"])
    why = []
    if out["precision"] is None:
        why.append("precision: the model never chose this class")
    if out["recall"] is None:
        why.append("recall: the human never chose this class")
    if out["f1"] is None and not why:
        why.append("f1: precision and recall are both 0")
    if why:
        out["reason"] = "; ".join(why)
    return out


def _correlation(results: dict[str, LabelComparison], model: str) -> dict[str, Any]:
    """Pearson, Spearman and a least-squares line of mean human-model on human IRR, per model."""
    import numpy as np
    from scipy import stats

    xs, ys, names = [], [], []
    for name, lab in results.items():
        x, y = lab.human_human.value, lab.human_model_mean[model].value
        if x == x and y == y:
            xs.append(x)
            ys.append(y)
            names.append(name)
    out: dict[str, Any] = {
        "n_labels": len(xs),
        "labels": names,
        "x": xs,
        "y": ys,
        "pearson": math.nan,
        "pearson_p": math.nan,
        "spearman": math.nan,
        "spearman_p": math.nan,
        "slope": math.nan,
        "intercept": math.nan,
        "caveat": FEW_POINTS_CAVEAT.format(n=len(xs)),
    }
    if len(xs) < 3:
        out["reason"] = f"{len(xs)} label(s) with defined values: a correlation needs 3"
        return out
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        out["reason"] = "human IRR or human-model agreement is the same for every label"
        return out
    p = stats.pearsonr(xs, ys)
    s = stats.spearmanr(xs, ys)
    slope, intercept = np.polyfit(xs, ys, 1)
    out.update(
        pearson=float(p.statistic),
        pearson_p=float(p.pvalue),
        spearman=float(s.statistic),
        spearman_p=float(s.pvalue),
        slope=float(slope),
        intercept=float(intercept),
    )
    return out


# --- small helpers ----------------------------------------------------------------------------


def _nan(x: Any) -> Any:
    import numpy as np

    return np.isnan(x)


def _masked(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.where(mask, x, np.nan)


def _mean_rows(rows: list[np.ndarray]) -> np.ndarray:
    import numpy as np

    return np.mean(np.vstack(rows), axis=0)


def _undefined(reason: str) -> Estimate:
    return Estimate(math.nan, None, 0, reason)


def _value_reason(c: Any) -> tuple[float, str | None]:
    if hasattr(c, "value"):
        return float(c.value), getattr(c, "reason", None)
    v = float(c)
    return v, (None if v == v else "undefined (no rating in this category)")


def _is01(c: Any) -> bool:
    try:
        return float(c) in (0.0, 1.0)
    except (TypeError, ValueError):
        return False


def _num(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def _plain(v: Any) -> Any:
    """numpy scalars to Python; NaN to None."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, Estimate):
        return obj.to_json()
    return _plain(obj)
