"""Score tutors and judges on MRBench: the paper's DAMR table and the BEA 2025 shared task metrics.

- DAMR (desired annotation match rate; Maurya et al., NAACL 2025, Table 3): per tutor and
  dimension, the percentage of the tutor's responses whose label is the desired one: `Yes` for
  Mistake_Identification, Mistake_Location, Providing_Guidance, Actionability, Coherence and
  Humanlikeness, `No` for Revealing_of_the_Answer, `Encouraging` for Tutor_Tone (or, with
  `tone="non-offensive"`, `Encouraging` or `Neutral`).
- BEA 2025 shared task on pedagogical ability assessment (Kochmar et al., BEA 2025): exact
  3-class macro-F1 and accuracy, and lenient ones where `Yes` and `To some extent` are one class.
  Macro-F1 is scikit-learn's `f1_score(average="macro")`: the mean F1 over the union of the
  classes in gold and predictions (a class never predicted nor in gold does not count).
- Weighted Cohen's kappa over the rubric's declared category order (`edukit.agreement`), the
  confusion matrix, and percentile bootstrap intervals that resample whole conversations
  (`edukit.agreement.bootstrap`, cluster bootstrap: responses to one dialogue share its history).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.corpora.mrbench import CATEGORIES, DIMENSIONS, FILE_KEY, MRBench
from edukit.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DESIRED: dict[str, tuple[str, ...]] = {
    **{d: ("Yes",) for d in DIMENSIONS},
    "Revealing_of_the_Answer": ("No",),
    "Tutor_Tone": ("Encouraging",),
}
NON_OFFENSIVE_TONE = ("Encouraging", "Neutral")
TONES = ("encouraging", "non-offensive")
LENIENT_FROM, LENIENT_TO = "To some extent", "Yes"
COVERAGE = 0.9  # a judge that labelled fewer of the gold-labelled responses gets a warning
STATISTICS = ("exact_macro_f1", "exact_accuracy", "lenient_macro_f1", "lenient_accuracy", "kappa")


def desired_values(tone: str = "encouraging") -> dict[str, tuple[str, ...]]:
    """The desired label of each dimension; `tone="non-offensive"` accepts Neutral tone too."""
    if tone not in TONES:
        raise InputError(f"unknown tone variant {tone!r}: use {' or '.join(TONES)}")
    return {**DESIRED, "Tutor_Tone": NON_OFFENSIVE_TONE} if tone == "non-offensive" else DESIRED


def has_lenient(dimension: str) -> bool:
    """Whether a dimension has the Yes / To some extent / No scale the lenient metrics merge."""
    return set(CATEGORIES.get(dimension, ())) == {"Yes", "To some extent", "No"}


def lenient(values: Sequence[str]) -> list[str]:
    """`To some extent` merged into `Yes` (the shared task's lenient evaluation)."""
    return [LENIENT_TO if v == LENIENT_FROM else v for v in values]


def bea_metrics(gold: Sequence[str], predicted: Sequence[str], *, lenient_too: bool = True) -> dict:
    """Exact and lenient macro-F1 and accuracy (scikit-learn) of `predicted` against `gold`."""
    from sklearn.metrics import accuracy_score, f1_score

    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    out: dict[str, float | None] = dict.fromkeys(STATISTICS[:4])
    if not len(gold):
        return out
    out["exact_macro_f1"] = float(f1_score(gold, predicted, average="macro", zero_division=0))
    out["exact_accuracy"] = float(accuracy_score(gold, predicted))
    if lenient_too:
        g, p = lenient(gold), lenient(predicted)
        out["lenient_macro_f1"] = float(f1_score(g, p, average="macro", zero_division=0))
        out["lenient_accuracy"] = float(accuracy_score(g, p))
    return out


# ----------------------------------------------------------------------------- vectorised forms


def macro_f1_tables(tables: np.ndarray) -> np.ndarray:
    """Macro-F1 of (..., k, k) gold-by-predicted tables, over classes present in either margin.

    Equal to scikit-learn's `f1_score(average="macro", zero_division=0)` on the rows the table
    counts (tested); used for the bootstrap, where every resample is one table.
    """
    import numpy as np

    t = np.asarray(tables, dtype=float)
    tp = np.diagonal(t, axis1=-2, axis2=-1)
    margins = t.sum(-1) + t.sum(-2)  # 2tp + fp + fn per class
    present = margins > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(present, 2 * tp / np.where(present, margins, 1), 0.0)
        return f1.sum(-1) / present.sum(-1)


def accuracy_tables(tables: np.ndarray) -> np.ndarray:
    """Accuracy of (..., k, k) tables (NaN for an empty table)."""
    import numpy as np

    t = np.asarray(tables, dtype=float)
    n = t.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diagonal(t, axis1=-2, axis2=-1).sum(-1) / n


def merge_matrix(categories: Sequence[str]) -> np.ndarray:
    """k x k' 0/1 matrix mapping each category to its lenient class (`M.T @ t @ M` merges)."""
    import numpy as np

    merged = list(dict.fromkeys(lenient(categories)))
    m = np.zeros((len(categories), len(merged)))
    for i, c in enumerate(lenient(categories)):
        m[i, merged.index(c)] = 1
    return m


# ----------------------------------------------------------------------------- results


@dataclass
class DamrCell:
    """One tutor x dimension cell: responses with the desired label, out of those labelled."""

    matches: int
    n: int

    @property
    def damr(self) -> float | None:
        return 100.0 * self.matches / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        d = self.damr
        return {"damr": None if d is None else round(d, 4), "matches": self.matches, "n": self.n}


@dataclass
class DimensionScore:
    """A judge against gold on one dimension."""

    dimension: str
    categories: list[str]
    n: int  # responses with a gold label and a prediction
    n_missing: int  # gold-labelled responses without a prediction
    metrics: dict[str, float | None]
    ci: dict[str, tuple[float, float] | None]
    confusion: list[list[int]]  # rows gold, columns predicted, in `categories` order
    majority: dict[str, Any]  # the majority-class floor on the same responses: class, metrics
    notes: list[str] = field(default_factory=list)
    n_clusters: int = 0  # conversations among the scored responses (the bootstrap's units)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: _r(v) for k, v in self.metrics.items()}
        out.update(
            {
                "n": self.n,
                "n_missing_predictions": self.n_missing,
                "n_conversations": self.n_clusters,
                "ci": {k: None if v is None else [_r(v[0]), _r(v[1])] for k, v in self.ci.items()},
                "categories": self.categories,
                "confusion": {"rows": "gold", "columns": "predicted", "matrix": self.confusion},
                "majority_floor": {k: _r(v) for k, v in self.majority.items()},
            }
        )
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass
class TutorScore:
    """What `edukit tutor score` computes: DAMR tables and, with predictions, the judge's scores."""

    source: str
    tutors: list[str]
    dimensions: list[str]
    tone: str
    damr: dict[str, dict[str, DamrCell]]
    best: dict[str, list[str]]
    rater: str | None = None
    judge_damr: dict[str, dict[str, DamrCell]] | None = None
    judge_best: dict[str, list[str]] | None = None
    scores: dict[str, DimensionScore] | None = None
    n_boot: int = 0
    seed: int = 0
    weights: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        desired = desired_values(self.tone)
        out: dict[str, Any] = {
            "source": self.source,
            "desired": {d: list(desired[d]) for d in self.dimensions},
            "tone_variant": self.tone,
            "tutors": _damr_json(self.damr),
            "best": self.best,
        }
        if self.scores is not None:
            out["judge"] = {
                "rater": self.rater,
                "tutors": _damr_json(self.judge_damr or {}),
                "best": self.judge_best,
            }
            out["dimensions"] = {d: s.to_json() for d, s in self.scores.items()}
            out["bootstrap"] = {
                "n_boot": self.n_boot,
                "seed": self.seed,
                "clusters": "conversation_id",
                "level": 0.95,
            }
            out["kappa_weights"] = self.weights or "none"
        if self.warnings:
            out["warnings"] = self.warnings
        return out


def _r(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    return v


def _damr_json(table: Mapping[str, Mapping[str, DamrCell]]) -> dict[str, Any]:
    return {t: {d: c.to_json() for d, c in row.items()} for t, row in table.items()}


# ----------------------------------------------------------------------------- computing


def damr_table(
    annotations: pd.DataFrame,
    tutor_of: Mapping[str, str] | pd.Series,
    *,
    tutors: Sequence[str] | None = None,
    dimensions: Sequence[str] | None = None,
    tone: str = "encouraging",
) -> dict[str, dict[str, DamrCell]]:
    """Per tutor and dimension, the DAMR cell of one rater's labels (a long table).

    `tutor_of` maps item ids to tutors; tutors keep the order given (default: first seen).
    """
    desired = desired_values(tone)
    tutor_of = dict(tutor_of)
    ann = annotations[annotations["item_id"].astype(str).isin(tutor_of)]
    tutors = list(tutors) if tutors is not None else list(dict.fromkeys(tutor_of.values()))
    dims = (
        list(dimensions)
        if dimensions is not None
        else [d for d in DIMENSIONS if d in set(ann["label"])]
    )
    counts: dict[tuple[str, str], list[int]] = {}
    for item, label, value in zip(ann["item_id"], ann["label"], ann["value"], strict=True):
        if label not in desired:
            continue
        cell = counts.setdefault((tutor_of[str(item)], label), [0, 0])
        cell[0] += value in desired[label]
        cell[1] += 1
    return {t: {d: DamrCell(*counts.get((t, d), [0, 0])) for d in dims} for t in tutors}


def best_tutors(table: Mapping[str, Mapping[str, DamrCell]]) -> dict[str, list[str]]:
    """Per dimension, the tutor(s) with the highest DAMR (all of them on a tie)."""
    best: dict[str, list[str]] = {}
    dims = list(dict.fromkeys(d for row in table.values() for d in row))
    for d in dims:
        values = {t: row[d].damr for t, row in table.items() if row[d].damr is not None}
        if values:
            top = max(values.values())
            best[d] = [t for t, v in values.items() if math.isclose(v, top)]
    return best


def select_predictions(
    predictions: pd.DataFrame, rater: str | None, dimensions: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """One rater's predictions: labels canonical (`humanlikeness` -> `Humanlikeness`), values
    spelled as the data spells them (matched case-insensitively), one row per item and label."""
    import pandas as pd

    df = predictions.copy()
    df["rater"] = df["rater"].astype(str)
    raters = [r for r in dict.fromkeys(df["rater"]) if r != "gold"]
    if rater is None:
        if len(raters) != 1:
            raise InputError(
                "the predictions hold "
                + (f"raters {', '.join(raters)}: choose one with --rater" if raters else "no rater")
            )
        rater = raters[0]
    elif rater not in set(df["rater"]):
        raise InputError(f"no predictions by rater {rater!r} (raters: {', '.join(raters)})")
    df = df[df["rater"] == rater].copy()
    to_canon = {FILE_KEY.get(d, d).casefold(): d for d in DIMENSIONS}
    to_canon.update({d.casefold(): d for d in DIMENSIONS})
    df["label"] = [to_canon.get(str(label).casefold(), str(label)) for label in df["label"]]
    df = df[df["label"].isin(dimensions)]
    values = []
    for label, value in zip(df["label"], df["value"], strict=True):
        spelled = {c.casefold(): c for c in CATEGORIES[label]}
        # read_annotations reads a label whose values are all Yes/No as 1/0
        text = {1: "yes", 0: "no"}.get(value, str(value)) if not isinstance(value, str) else value
        v = spelled.get(text.strip().casefold())
        if v is None:
            raise InputError(
                f"prediction {value!r} for {label} is not one of {', '.join(CATEGORIES[label])}"
            )
        values.append(v)
    df["value"] = values
    df["item_id"] = df["item_id"].astype(str)
    dup = df.duplicated(["item_id", "label"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise InputError(
            f"{int(dup.sum())} predictions repeat an item and label (e.g. {first['item_id']} "
            f"{first['label']}): keep one version or sample per item"
        )
    return pd.DataFrame(df[["item_id", "label", "value"]]), rater


def score_mrbench(
    source: str | os.PathLike | MRBench,
    predictions: pd.DataFrame | None = None,
    *,
    rater: str | None = None,
    tone: str = "encouraging",
    n_boot: int = 1000,
    seed: int = 0,
    weights: str | None = "linear",
) -> TutorScore:
    """The DAMR table of the gold labels and, given predictions, the judge's DAMR and scores.

    `predictions` is a long annotation table (e.g. `edukit annotate --out`); `rater` picks one
    of its raters (needed when it holds several). Scores use the responses that have both a gold
    label and a prediction; missing predictions are counted, not guessed.
    """
    from edukit.corpora.mrbench import read_mrbench

    mr = source if isinstance(source, MRBench) else read_mrbench(source)
    name = "(in memory)" if isinstance(source, MRBench) else os.fspath(source)
    r = mr.responses
    tutor_of = dict(zip(r["item_id"], r["tutor"], strict=True))
    tutors = list(dict.fromkeys(r["tutor"]))
    dims = list(mr.dimensions)
    if not dims:
        raise InputError(
            "no gold labels to score (the V3 test set is unlabelled; use `edukit tutor "
            "submission` for it)",
            path=name,
        )
    gold = mr.annotations
    table = damr_table(gold, tutor_of, tutors=tutors, dimensions=dims, tone=tone)
    result = TutorScore(
        source=name,
        tutors=tutors,
        dimensions=dims,
        tone=tone,
        damr=table,
        best=best_tutors(table),
        warnings=list(mr.warnings),
    )
    if predictions is None:
        return result
    preds, rater = select_predictions(predictions, rater, dims)
    unknown = set(preds["item_id"]) - set(tutor_of)
    if unknown:
        result.warnings.append(
            f"{len(unknown)} predicted item(s) are not responses of {name} "
            f"(e.g. {sorted(unknown)[0]}): ignored"
        )
        preds = preds[~preds["item_id"].isin(unknown)]
    if preds.empty:
        raise InputError(f"none of rater {rater!r}'s predictions is a response of {name}")
    pdims = [d for d in dims if d in set(preds["label"])]
    judge = damr_table(preds, tutor_of, tutors=tutors, dimensions=pdims, tone=tone)
    conv = dict(zip(r["item_id"], r["conversation_id"], strict=True))
    scores = {}
    for d in pdims:
        g = gold[gold["label"] == d].set_index("item_id")["value"]
        p = preds[preds["label"] == d].set_index("item_id")["value"]
        scores[d] = score_dimension(d, g, p, conv, n_boot=n_boot, seed=seed, weights=weights)
    missing = [d for d in dims if d not in pdims]
    if missing:
        result.warnings.append(f"no predictions for {', '.join(missing)}")
    low = [sc for sc in scores.values() if sc.n < COVERAGE * (sc.n + sc.n_missing)]
    if low:
        worst = min(low, key=lambda sc: sc.n / (sc.n + sc.n_missing))
        total = worst.n + worst.n_missing
        result.warnings.append(
            f"the judge {rater!r} covered only {worst.n:,} of {total:,} gold-labelled responses "
            f"({100 * worst.n / total:.1f}%, {worst.dimension}"
            + (f"; {len(low)} dimensions under {COVERAGE:.0%}" if len(low) > 1 else "")
            + "): its scores and the majority floor describe those responses only, not the file"
        )
    result.rater = rater
    result.judge_damr = judge
    result.judge_best = best_tutors(judge)
    result.scores = scores
    result.n_boot, result.seed, result.weights = n_boot, seed, weights
    return result


def score_dimension(
    dimension: str,
    gold: pd.Series,
    predicted: pd.Series,
    cluster_of: Mapping[str, str],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    weights: str | None = "linear",
) -> DimensionScore:
    """One dimension: BEA metrics, weighted kappa, confusion, majority floor, clustered CIs.

    `gold` and `predicted` are Series of labels indexed by item id; `cluster_of` maps an item to
    its conversation (the bootstrap resamples whole conversations).
    """
    import numpy as np

    from edukit.agreement import Resampler, cohen_kappa, percentile_ci
    from edukit.agreement.bootstrap import group_index, pair_table, table_statistic

    cats = list(CATEGORIES[dimension])
    both = gold.index.intersection(predicted.index)
    g = [str(v) for v in gold.loc[both]]
    p = [str(v) for v in predicted.loc[both]]
    lenient_too = has_lenient(dimension)
    metrics: dict[str, float | None] = bea_metrics(g, p, lenient_too=lenient_too)
    notes = []
    if not lenient_too:
        notes.append("lenient metrics apply to Yes / To some extent / No dimensions only")
    kappa = cohen_kappa(g, p, weights=weights, categories=cats) if g else None
    metrics["kappa"] = None if kappa is None or math.isnan(kappa.value) else kappa.value
    if kappa is not None and kappa.reason:
        notes.append(f"kappa: {kappa.reason}")
    index = {c: i for i, c in enumerate(cats)}
    a = np.array([index[v] for v in g], dtype=float)
    b = np.array([index[v] for v in p], dtype=float)
    k = len(cats)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (a.astype(int), b.astype(int)), 1)

    ci: dict[str, tuple[float, float] | None] = dict.fromkeys(STATISTICS)
    n_groups = len({cluster_of.get(str(i), str(i)) for i in both})
    if n_groups == 1 and n_boot:
        # resampling one conversation gives it back every time: a [v, v] "interval" says nothing
        notes.append("intervals n/a: the scored responses come from 1 conversation")
    if len(both) and n_boot and n_groups > 1:
        gidx, n_groups = group_index([str(i) for i in both], dict(cluster_of))
        resampler = Resampler(gidx, n_groups, n_boot=n_boot, seed=seed)
        tables = resampler.tables(pair_table(a, b, gidx, n_groups, k))
        stats = {
            "exact_macro_f1": macro_f1_tables(tables),
            "exact_accuracy": accuracy_tables(tables),
            "kappa": table_statistic("cohen", k, weights)(tables),
        }
        if lenient_too:
            m = merge_matrix(cats)
            merged = np.einsum("ki,bkl,lj->bij", m, tables, m)
            stats["lenient_macro_f1"] = macro_f1_tables(merged)
            stats["lenient_accuracy"] = accuracy_tables(merged)
        for name, samples in stats.items():
            ci[name] = percentile_ci(samples)[0]

    # the floor on the responses the judge is scored on: the same rows, comparable numbers
    majority: dict[str, Any] = {"class": None}
    if g:
        counts = {c: g.count(c) for c in cats}
        top = max(counts, key=lambda c: (counts[c], -cats.index(c)))
        majority = {"class": top, **bea_metrics(g, [top] * len(g), lenient_too=lenient_too)}
    return DimensionScore(
        dimension=dimension,
        categories=cats,
        n=len(both),
        n_missing=int(len(gold) - len(both)),
        metrics=metrics,
        ci=ci,
        confusion=confusion.tolist(),
        majority=majority,
        notes=notes,
        n_clusters=n_groups,
    )


def majority_predictions(annotations: pd.DataFrame, rater: str = "majority") -> pd.DataFrame:
    """The majority-class floor as predictions: each dimension's most frequent gold class."""
    import pandas as pd

    rows = []
    for label, group in annotations.groupby("label", sort=False):
        cats = list(CATEGORIES.get(str(label), ()))
        counts = group["value"].value_counts()
        top = max(counts.index, key=lambda c: (counts[c], -cats.index(c) if c in cats else 0))
        rows += [(i, rater, label, top, "") for i in group["item_id"]]
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "version"])
