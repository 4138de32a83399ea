"""Human IRR vs human-model agreement per label, with bootstrap intervals (`edukit agree`).

`compare(...)` answers, per label: how consistent are the humans (`human_human`), how close is each
model to each human (`human_model`), their mean, the model against the human majority, and is the
model as good as a second human (`verdict`)? Across labels (at least 3) it correlates human IRR
with mean human-model agreement (the SIGHT paper's Figure 3). `raters_agreement(...)` gives one
coefficient per label over a set of raters.

Where things live: the typed category domain in `edukit.agreement.domain`; the estimator rules
(pairs, missing data, chance-term categories) in `edukit.agreement.label`; the human-vs-model
figures in `edukit.agreement.versus`; extras (AC1, specific agreement, confusion, accuracy and
macro-F1) in `edukit.agreement.extras`; result objects and JSON in `edukit.agreement.results`;
the coefficients in `edukit.agreement.coefficients`; intervals in `edukit.agreement.bootstrap`
(percentile, 1,000 seeded resamples of items, or of whole clusters).

Definitions
- Items are aligned by id. Each label has one typed domain (numeric, ordered by value; or text,
  unordered unless declared) decided from the compared raters' values plus `categories`.
- Gwet's AC1/AC2 and Fleiss' kappa use Gwet's estimator for any number of raters, a pair
  included: p_a over items rated at least twice, the chance term over every rated item. Alpha
  uses Krippendorff's pairable values; Cohen's kappa, percent agreement and the other pair extras
  use exactly the items both rated.
- human_human: the metric over the humans alone (Cohen: H1 vs H2; with more than two humans the
  mean pairwise kappa, Light's kappa); adding or removing a model never changes it.
- human_model: the metric between each model and each human.
- model_vs_majority: the model against the humans' strict majority (items rated by at least two
  humans where more than half of them agree; ties are left out).
- difference: mean human-model minus human-human agreement, both on the items every human and that
  model rated (`same_items` gives both terms), with a paired bootstrap interval.
- verdict, with margin d (default 0.1): "yes" when the interval's lower end is >= -d
  (non-inferior), "no" when its upper end is < -d, "inconclusive" otherwise; null with one human.
- Clusters: with `groups="auto"` (the default) a video_id / dialogue_id / conversation_id column
  in the annotations makes the bootstrap resample whole clusters (an item no row assigns one is
  its own cluster); `groups=None` turns it off.
- Binary labels (values 0/1): prevalence and positives per rater, AC1 and specific agreement.
- Multi-class labels: confusion matrices, per-class P/R/F1, accuracy and macro-F1 with intervals.
- Warnings: a model that rated only part of the humans' items (with the share), constant raters.
- Undefined values (one category, no shared items, a single rater) are NaN with a `reason`.

JSON (`Comparison.to_json()`, stable; NaN is null, with "reason" beside it)::

    {"metric", "level", "weights", "categories": null | [...], "categories_source",
     "n_boot", "seed", "groups": null | COLUMN, "resampling": "<in words>",
     "humans": [...], "models": [...], "margin": 0.1, "verdict_rule": "<the rule, in words>",
     "labels": {LABEL: {
        "kind": "binary" | "multiclass", "categories": [...],
        "domain": {"kind": "numeric" | "text", "ordered", "categories", "source"},
        "human_human": {"value", "ci": [lo, hi] | null, "n", "reason"?},
        "human_model": {MODEL: {HUMAN: {"value", "ci", "n"}}},
        "human_model_mean": {"value", "reason"?, "by_model": {MODEL: {"value", "ci", "n"}}},
        "model_vs_majority": {MODEL: {"value", "ci", "n"}},
        "difference": {MODEL: {"value", "ci", "n"}},
        "same_items": {MODEL: {"human_human": {...}, "human_model": {...}}},
        "verdict": {MODEL: "yes" | "no" | "inconclusive" | null},
        "n_rated": {RATER: n}, "n_human_items": n, "warnings": [...], "constant_raters": {},
        "positives", "prevalence", "ac1", "specific_agreement" (binary),
        "confusion": {MODEL: {HUMAN: {"labels", "matrix", "per_class"}}} (multiclass),
        "classification": {MODEL: {HUMAN: {"accuracy": {...}, "macro_f1": {...}}}} (multiclass)}},
     "correlation": {MODEL: {"n_labels", "pearson", "pearson_p", "spearman", "spearman_p",
                             "slope", "intercept", "labels", "caveat", "reason"?}}}

`RatersAgreement.to_json()`: {"metric", "level", "weights", "categories", "categories_source",
"n_boot", "seed", "groups", "resampling", "raters": [...],
"labels": {LABEL: {"value", "ci", "n", "reason"?, "domain"}}}.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import DEFAULT_N_BOOT
from edukit.agreement.label import (
    DEFAULT_MARGIN,
    LEVELS,
    METRIC_NAMES,
    LabelData,
    Options,
    check_options,
)
from edukit.agreement.matrix import labels_of, select_versions
from edukit.agreement.results import (
    FEW_POINTS_CAVEAT,
    Comparison,
    LabelComparison,
    RatersAgreement,
    verdict_rule,
)
from edukit.agreement.selection import selection_warnings
from edukit.agreement.versus import compare_label
from edukit.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CLUSTER_COLUMNS",
    "LEVELS",
    "METRIC_NAMES",
    "Comparison",
    "LabelComparison",
    "RatersAgreement",
    "check_options",
    "compare",
    "raters_agreement",
    "verdict_rule",
]

# columns that carry an item's cluster in the bundled corpora (SIGHT, MathDial, MRBench)
CLUSTER_COLUMNS = ("video_id", "dialogue_id", "conversation_id", "lesson_id")  # lesson: TalkMoves

Groups = str | Mapping[str, Any] | None


def compare(
    annotations: pd.DataFrame,
    humans: Sequence[str],
    models: Sequence[str],
    metric: str = "cohen",
    level: str = "nominal",
    weights: str | None = None,
    categories: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    version: str | Iterable[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    groups: Groups = "auto",
    labels: Sequence[str] | None = None,
    margin: float = DEFAULT_MARGIN,
    categories_source: str = "declared",
) -> Comparison:
    """Human-human vs human-model agreement per label, with bootstrap intervals.

    `annotations` is a long table (item_id, rater, label, value[, version]). `groups` resamples
    whole clusters: "auto" (a `CLUSTER_COLUMNS` column when present), a column name, a mapping
    item_id -> group, or None (items resampled independently). `categories` declares the domain
    (one list, or label -> list; `categories_source` says where it came from: "declared" or
    "rubric"). `margin` is the verdict's non-inferiority margin.
    """
    humans, models = list(humans), list(models)
    check_options(metric, level, weights, n_boot, margin)
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
    opts = Options(metric, level, weights, categories, n_boot, seed, margin, categories_source)
    results = {name: compare_label(df, name, humans, models, opts, group_map) for name in names}
    for name, notes in selection_warnings(annotations, [*humans, *models], names).items():
        results[name].warnings.extend(notes)
    correlation = {m: _correlation(results, m) for m in models}
    return Comparison(
        metric=metric,
        level=level,
        weights=weights,
        categories=_flat(categories),
        humans=humans,
        models=models,
        n_boot=n_boot,
        seed=seed,
        groups=group_name,
        labels=results,
        correlation=correlation,
        margin=margin,
        categories_source=categories_source if categories is not None else "observed",
    )


def raters_agreement(
    annotations: pd.DataFrame,
    raters: Sequence[str],
    metric: str = "fleiss",
    level: str = "nominal",
    weights: str | None = None,
    categories: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    version: str | Iterable[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    groups: Groups = "auto",
    labels: Sequence[str] | None = None,
    categories_source: str = "declared",
) -> RatersAgreement:
    """One coefficient per label over `raters` (Cohen's kappa needs exactly two).

    Two raters are a pair: the items both rated, except under Gwet's estimator (fleiss, ac1),
    whose chance term keeps every item either of them rated.
    """
    raters = list(raters)
    check_options(metric, level, weights, n_boot)
    if metric == "cohen" and len(raters) != 2:
        raise AgreementError(
            f"Cohen's kappa compares exactly two raters, got {len(raters)}: "
            "use --metric fleiss, alpha, ac1 or percent"
        )
    if len(raters) < 2:
        raise AgreementError("agreement needs at least two --raters")
    df, group_map, group_name, names = _prepare(annotations, raters, version, groups, labels)
    opts = Options(
        metric, level, weights, categories, n_boot, seed, DEFAULT_MARGIN, categories_source
    )
    out, domains = {}, {}
    for name in names:
        lab = LabelData(df, name, raters, opts, group_map)
        out[name] = lab.estimate(list(range(len(raters))))
        domains[name] = lab.domain
    return RatersAgreement(
        metric=metric,
        level=level,
        weights=weights,
        categories=_flat(categories),
        raters=raters,
        n_boot=n_boot,
        seed=seed,
        labels=out,
        domains=domains,
        groups=group_name,
        categories_source=categories_source if categories is not None else "observed",
    )


def cluster_column(columns: Iterable[str]) -> str | None:
    """The first of `CLUSTER_COLUMNS` among `columns` (the default cluster), else None."""
    cols = set(columns)
    return next((c for c in CLUSTER_COLUMNS if c in cols), None)


def _flat(categories: Any) -> list[Any] | None:
    if categories is None or isinstance(categories, Mapping):
        return None
    return list(categories)


def _prepare(
    annotations: pd.DataFrame,
    raters: Sequence[str],
    version: str | Iterable[str] | None,
    groups: Groups,
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


def _groups(df: pd.DataFrame, groups: Groups) -> tuple[Mapping[str, Any] | None, str | None]:
    if isinstance(groups, str) and groups == "auto":
        groups = cluster_column(df.columns)
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
        mapping = dict(zip(pairs["item_id"].astype(str), pairs[groups], strict=True))
        # An item no row gives a cluster (rated only by raters whose file lacks the column, e.g.
        # a model's moves on a turn the gold left untagged) is a cluster of its own.
        for item in df["item_id"].astype(str).unique():
            mapping.setdefault(item, ("item", item))
        return mapping, groups
    mapping = {str(k): v for k, v in dict(groups).items()}
    return mapping, getattr(groups, "name", "custom")


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
