"""Figures beside the main coefficient: binary extras and multi-class classification tables.

Every extra of a pair uses exactly the items both raters rated (the pair rule of
`edukit.agreement.label`), except Gwet's AC1, whose chance term keeps every item either rater
rated (Gwet's estimator). Binary labels: prevalence and positives per rater, Gwet's AC1 and
positive / negative specific agreement (Cicchetti & Feinstein 1990). Multi-class labels: the
confusion matrix (rows human, columns model), per-class precision / recall / F1, and overall
accuracy and macro-F1 (scikit-learn, over the classes either rater used on the shared items) with
bootstrap intervals from the same resamples as the main coefficient.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import Estimate, percentile_ci, table_statistic
from edukit.agreement.label import LabelData, undefined
from edukit.agreement.results import LabelComparison, num, plain

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def binary_extras(
    lab: LabelData, result: LabelComparison, humans: list[str], models: list[str]
) -> None:
    """Prevalence, positive counts, AC1 and specific agreement for a 0/1 label."""
    import numpy as np

    from edukit.agreement import coefficients as co

    pos_code = next((i for i, c in enumerate(lab.categories) if c == 1), None)
    for i, r in enumerate(lab.raters):
        col = lab.codes[:, i]
        rated = col[~np.isnan(col)]
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
        return lab.estimate([a, b], metric="ac1")

    def specific_pair(a: int, b: int) -> dict[str, Estimate]:
        x, y = lab.codes[:, a], lab.codes[:, b]
        both = ~(np.isnan(x) | np.isnan(y))
        n = int(both.sum())
        if n == 0:
            e = undefined("no shared items")
            return {"positive": e, "negative": e}
        pos, neg = co.specific_agreement(
            x[both].astype(int), y[both].astype(int), positive=pos_code
        )
        out = {}
        for name, val, key in (("positive", pos, "pos"), ("negative", neg, "neg")):
            ci, und = (None, 0)
            if lab.opts.n_boot:
                stat = table_statistic(key, lab.k, positive=pos_code)
                ci, und = percentile_ci(stat(lab.boot_tables(a, b)))
            out[name] = Estimate(float(val.value), ci, n, val.reason, und)
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
    if not hh_pairs:
        result.ac1.pop("human_human")
        result.specific.pop("human_human")


def confusions(lab: LabelData, humans: list[str], models: list[str]) -> dict[str, dict[str, Any]]:
    """Confusion matrix (rows human, columns model) and per-class P/R/F1, model vs each human."""
    import numpy as np

    from edukit.agreement import coefficients as co

    out: dict[str, dict[str, Any]] = {}
    names = [plain(c) for c in lab.categories]
    for j, m in enumerate(models):
        out[m] = {}
        for i, h in enumerate(humans):
            x, y = lab.codes[:, i], lab.codes[:, len(humans) + j]
            both = ~(np.isnan(x) | np.isnan(y))
            a = [int(v) for v in x[both]]
            b = [int(v) for v in y[both]]
            cm, per_class = co.confusion(a, b, labels=list(range(lab.k)))
            out[m][h] = {
                "labels": [str(c) for c in names],
                "matrix": [[int(v) for v in row] for row in cm.to_numpy()],
                "per_class": {
                    str(names[int(idx)]): _per_class_json(row) for idx, row in per_class.iterrows()
                },
            }
    return out


def classification(
    lab: LabelData, humans: list[str], models: list[str]
) -> dict[str, dict[str, dict[str, Estimate]]]:
    """Accuracy and macro-F1 of each model against each human, with bootstrap intervals."""
    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    for j, m in enumerate(models):
        out[m] = {}
        for i, h in enumerate(humans):
            out[m][h] = _accuracy_f1(lab, i, len(humans) + j)
    return out


def _accuracy_f1(lab: LabelData, a: int, b: int) -> dict[str, Estimate]:
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score

    x, y = lab.codes[:, a], lab.codes[:, b]
    both = ~(np.isnan(x) | np.isnan(y))
    n = int(both.sum())
    if n == 0:
        e = undefined("no shared items")
        return {"accuracy": e, "macro_f1": e}
    xa, yb = x[both].astype(int), y[both].astype(int)
    used = np.union1d(xa, yb)
    acc = float(accuracy_score(xa, yb))
    f1 = float(f1_score(xa, yb, labels=used, average="macro", zero_division=0))
    acc_ci = f1_ci = None
    acc_und = f1_und = 0
    if lab.opts.n_boot:
        t = lab.boot_tables(a, b)
        acc_ci, acc_und = percentile_ci(table_statistic("percent", lab.k)(t))
        f1_ci, f1_und = percentile_ci(macro_f1_tables(t, used))
    return {
        "accuracy": Estimate(acc, acc_ci, n, None, acc_und),
        "macro_f1": Estimate(f1, f1_ci, n, None, f1_und),
    }


def macro_f1_tables(tables: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Macro-F1 (scikit-learn's, zero_division=0) over `classes` of each k x k table."""
    import numpy as np

    tp = tables[:, classes, classes]
    den = tables.sum(axis=2)[:, classes] + tables.sum(axis=1)[:, classes]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(den > 0, 2 * tp / den, 0.0)
    n = tables.sum(axis=(1, 2))
    return np.where(n > 0, f1.mean(axis=1), np.nan)


def _per_class_json(row: pd.Series) -> dict[str, Any]:
    """Precision, recall, F1 (null with a reason when undefined) and an integer support."""
    out: dict[str, Any] = {k: num(row[k]) for k in ("precision", "recall", "f1")}
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
