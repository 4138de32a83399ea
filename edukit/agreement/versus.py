"""The human-vs-model comparison of one label: pairs, means, majority, difference, verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import Estimate, percentile_ci
from edukit.agreement.extras import binary_extras, classification, confusions
from edukit.agreement.label import LabelData, Options, mean_rows, undefined
from edukit.agreement.results import LabelComparison, verdict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def compare_label(
    df: pd.DataFrame,
    label: str,
    humans: list[str],
    models: list[str],
    opts: Options,
    group_map: Mapping[str, Any] | None,
) -> LabelComparison:
    """Every figure of one label (see `edukit.agreement.compare`)."""
    import numpy as np

    lab = LabelData(df, label, [*humans, *models], opts, group_map)
    hcols = list(range(len(humans)))
    # One human (e.g. gold moves): the model is compared with it; what needs two humans is NaN.
    single = len(humans) == 1
    if single:
        human_human = undefined("one human rater: human-human agreement needs two")
    else:
        # the humans alone: their agreement never depends on which models sit beside them
        human_human = LabelData(df, label, humans, opts, group_map).estimate(hcols)
    human_model: dict[str, dict[str, Estimate]] = {}
    means: dict[str, Estimate] = {}
    majority_est: dict[str, Estimate] = {}
    difference: dict[str, Estimate] = {}
    same_items: dict[str, dict[str, Estimate]] = {}
    verdicts: dict[str, str | None] = {}
    majority = _majority(lab.codes[:, hcols])
    human_rated = (~np.isnan(lab.codes[:, hcols])).any(axis=1)
    n_human_items = int(human_rated.sum())
    warnings: list[str] = []
    for j, model in enumerate(models):
        mcol = len(humans) + j
        per = {h: lab.estimate([i, mcol]) for i, h in enumerate(humans)}
        human_model[model] = per
        means[model] = _mean_estimate(lab, per, [[i, mcol] for i in hcols])
        if single:
            majority_est[model] = undefined("one human rater: the majority is that rater")
            difference[model] = undefined("one human rater: no human-human agreement to match")
            verdicts[model] = None
        else:
            majority_est[model] = _versus(lab, majority, mcol)
            difference[model], same_items[model] = _difference(lab, hcols, mcol)
            verdicts[model] = verdict(difference[model].ci, opts.margin)
        covered = int((human_rated & ~np.isnan(lab.codes[:, mcol])).sum())
        if n_human_items and covered < n_human_items:
            warnings.append(
                f"{model} rated {covered} of the {n_human_items} items the humans rated "
                f"({covered / n_human_items:.0%}): its figures rest on those items only"
            )
    n_rated = {r: int((~np.isnan(lab.codes[:, i])).sum()) for i, r in enumerate(lab.raters)}
    constant = {}
    for i, r in enumerate(lab.raters):
        col = lab.codes[:, i]
        used = np.unique(col[~np.isnan(col)])
        if len(used) == 1 and lab.k > 1 and n_rated[r] > 1:
            constant[r] = lab.categories[int(used[0])]
            warnings.append(
                f"{r} gave the same value ({constant[r]}) to all {n_rated[r]} items it rated: "
                "chance-corrected agreement with it is 0 or undefined"
            )
    result = LabelComparison(
        label=label,
        kind="binary" if lab.binary else "multiclass",
        domain=lab.domain,
        human_human=human_human,
        human_model=human_model,
        human_model_mean=means,
        model_vs_majority=majority_est,
        difference=difference,
        same_items=same_items,
        verdict=verdicts,
        n_rated=n_rated,
        n_human_items=n_human_items,
        warnings=warnings,
        constant=constant,
    )
    if lab.binary:
        binary_extras(lab, result, humans, models)
    else:
        result.confusion = confusions(lab, humans, models)
        result.classification = classification(lab, humans, models)
    return result


def _mean_estimate(lab: LabelData, per: dict[str, Estimate], pairs: list[list[int]]) -> Estimate:
    """Mean of a model's agreement with each human; interval from the same resamples."""
    import numpy as np

    values = [e.value for e in per.values()]
    value = float(np.mean(values)) if all(v == v for v in values) else math.nan
    reason = next((e.reason for e in per.values() if e.reason), None)
    n = max((e.n for e in per.values()), default=0)
    if lab.opts.n_boot == 0 or n == 0:
        return Estimate(value, None, n, reason)
    rows = [_samples(lab, cols) for cols in pairs]
    ci, n_undef = percentile_ci(mean_rows(rows))
    return Estimate(value, ci, n, reason, n_undef)


def _samples(
    lab: LabelData, cols: list[int], mask: np.ndarray | None = None, cats: list[int] | None = None
) -> np.ndarray:
    """Bootstrap samples of the metric over `cols` (items outside `mask` left out)."""
    import numpy as np

    if cats is None:
        cats = lab.comparison_codes(cols, None if mask is None else np.nonzero(mask)[0])
    s = lab.fast(lab.opts.metric, cols, mask, cats=cats)
    if s is not None:
        return s

    def stat(idx: np.ndarray) -> float:
        if mask is not None:
            idx = idx[mask[idx]]
        return lab.coefficient(cols, idx, cats=cats)[0] if len(idx) else math.nan

    return lab.resampler.apply(stat)


def _versus(lab: LabelData, reference: np.ndarray, col: int) -> Estimate:
    """The metric between a reference code vector (the human majority) and one rater."""
    import numpy as np

    m = lab.codes[:, col]
    both = ~(np.isnan(reference) | np.isnan(m))
    n = int(both.sum())
    if n == 0:
        return undefined("no item has both a human majority and a model rating")
    saved_codes, saved_values = lab.codes, lab.values
    # the majority joins the matrix as one more column, for this call only
    ref_values = np.full(len(reference), np.nan)
    ok = ~np.isnan(reference)
    ref_values[ok] = lab.positions[reference[ok].astype(int)]
    lab.codes = np.column_stack([saved_codes, reference])
    lab.values = np.column_stack([saved_values, ref_values])
    try:
        cols = [lab.codes.shape[1] - 1, col]
        cats = lab.comparison_codes(cols)
        value, reason = lab.coefficient(cols, cats=cats)
        if lab.opts.n_boot == 0:
            return Estimate(value, None, n, reason)
        samples = _samples(lab, cols, cats=cats)
    finally:
        lab.codes, lab.values = saved_codes, saved_values
    ci, n_undef = percentile_ci(samples)
    return Estimate(value, ci, n, reason, n_undef)


def _difference(
    lab: LabelData, hcols: list[int], mcol: int
) -> tuple[Estimate, dict[str, Estimate]]:
    """Mean human-model minus human-human on the items all of them rated (paired bootstrap).

    Also returns both terms on those items (`human_human`, `human_model`), so the difference can
    be read off the table.
    """
    import numpy as np

    common = (~np.isnan(lab.codes[:, [*hcols, mcol]])).all(axis=1)
    n = int(common.sum())
    if n == 0:
        e = undefined("no item rated by every human and the model")
        return e, {"human_human": e, "human_model": e}
    rows = np.nonzero(common)[0]
    hh_cats = lab.comparison_codes(hcols, rows)
    hm_cats = [lab.comparison_codes([h, mcol], rows) for h in hcols]
    hh, r1 = lab.coefficient(hcols, rows, cats=hh_cats)
    hm = [lab.coefficient([h, mcol], rows, cats=c) for h, c in zip(hcols, hm_cats, strict=True)]
    hm_value = float(np.mean([v for v, _ in hm]))
    value = hm_value - hh
    reason = r1 or next((r for _, r in hm if r), None)
    if lab.opts.n_boot == 0:
        terms = {
            "human_human": Estimate(hh, None, n, r1),
            "human_model": Estimate(hm_value, None, n, reason),
        }
        return Estimate(value, None, n, reason), terms
    hh_s = _samples(lab, hcols, common, hh_cats)
    hm_s = mean_rows(
        [_samples(lab, [h, mcol], common, c) for h, c in zip(hcols, hm_cats, strict=True)]
    )
    terms = {
        "human_human": Estimate(hh, *percentile_ci(hh_s)[:1], n, r1),
        "human_model": Estimate(hm_value, *percentile_ci(hm_s)[:1], n, reason),
    }
    ci, n_undef = percentile_ci(hm_s - hh_s)
    return Estimate(value, ci, n, reason, n_undef), terms


def _majority(codes: np.ndarray) -> np.ndarray:
    """Strict majority code per item among at least two ratings; NaN for ties and singletons."""
    import numpy as np

    rated = ~np.isnan(codes)
    n_rated = rated.sum(axis=1)
    k = int(np.nanmax(codes)) + 1 if rated.any() else 1
    counts = np.stack([(codes == c).sum(axis=1) for c in range(k)], axis=1)
    top = counts.argmax(axis=1)
    strict = (n_rated >= 2) & (counts[np.arange(len(codes)), top] * 2 > n_rated)
    return np.where(strict, top, np.nan)
