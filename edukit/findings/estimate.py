"""Prevalence of each category over a model-labelled corpus, corrected with a human-coded sample.

Three methods side by side, per label (and per group of `by`):
- `model`: the model's labels counted over every item, classical interval. Biased whenever the
  model errs unevenly; its interval says nothing about that bias.
- `human`: the human-coded items alone (classical CLT interval, inverse-probability weighted when
  the sample's selection probabilities differ).
- `ppi`: prediction-powered inference, PPI++ with power tuning (ppi-python): the human-coded items
  are the labelled set, the model's labels on every item the predictions. `lambda` is the tuning
  weight (0: human only, 1: plain PPI), `effective_n` the human labels the model's labels are
  worth (a human-only interval would need that many to be as narrow).
Intervals are clipped to [0, 1]. Fewer than 10 human-coded items (in a group) give no human or PPI
estimate, with the reason.

Several humans: an item's human label of a category is the share of the listed humans who rated
the item and chose that category (two humans who disagree give 0.5): the estimate is the
prevalence the average human coder would find. PPI is valid for such averaged labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.findings.ppi import Estimate, human_mean, model_mean, ppi_mean
from edukit.findings.sample import Selection, selection_weights

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("model", "human", "ppi")


@dataclass
class EstimateSettings:
    """What to estimate: the model rater, the human raters, and how."""

    model: str
    humans: list[str]
    labels: list[str] | None = None
    by: str | None = None
    methods: tuple[str, ...] = METHODS
    confidence: float = 0.95
    version: str | None = None
    assume: str | None = None  # random | all, when the files do not record the selection


@dataclass
class Estimates:
    """Per label and category the three estimates; the same per group with `by`."""

    settings: EstimateSettings
    labels: dict[str, dict[str, dict[str, Estimate]]]
    groups: dict[str, dict[str, dict[str, dict[str, Estimate]]]]
    selection: Selection
    n_items: int
    n_coded: int
    versions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        s = self.settings
        out: dict[str, Any] = {
            "model": s.model,
            "humans": s.humans,
            "methods": list(s.methods),
            "confidence": s.confidence,
            "n_items": self.n_items,
            "n_human_coded": self.n_coded,
            "selection": self.selection.description,
            "versions": self.versions,
            "labels": _labels_json(self.labels),
        }
        if s.by:
            out["by"] = s.by
            out["groups"] = {g: {"labels": _labels_json(lab)} for g, lab in self.groups.items()}
        out["notes"] = self.notes
        out["provenance"] = self.provenance
        return out


def _labels_json(labels: dict[str, dict[str, dict[str, Estimate]]]) -> dict:
    return {
        label: {
            "categories": {c: {m: e.to_json() for m, e in per.items()} for c, per in cats.items()}
        }
        for label, cats in labels.items()
    }


def estimate(
    annotations: pd.DataFrame,
    settings: EstimateSettings,
    *,
    human_annotations: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    selection: pd.DataFrame | None = None,
    selection_path: str = "--selection",
) -> Estimates:
    """Estimate category prevalences (see the module docstring).

    `annotations`: long table with the model's labels on every item (and the human rows unless
    `human_annotations` holds them, with item ids of the same corpus). `items`: item_id and the
    `settings.by` column when the annotations do not carry it. `selection`: a selection file's
    table when the human rows carry no selection columns.
    """
    s = settings
    bad = [m for m in s.methods if m not in METHODS]
    if bad or not s.methods:
        raise InputError(f"--method: one or more of {', '.join(METHODS)}, not {', '.join(bad)}")
    if not 0.5 <= s.confidence < 1:
        raise InputError(f"--confidence must be in [0.5, 1), not {s.confidence}")
    humans_src = annotations if human_annotations is None else human_annotations
    model_rows = _rater_rows(annotations, [s.model], "--model")
    human_rows = _rater_rows(humans_src, s.humans, "--humans")
    model_rows, versions = one_version(model_rows, s.version, s.model)
    labels = _labels(model_rows, human_rows, s.labels)
    groups = _groups(model_rows, items, s.by) if s.by else None

    model_items = set(model_rows["item_id"])
    coded_all = sorted(set(human_rows["item_id"]))
    coded = [i for i in coded_all if i in model_items]
    notes = []
    if len(coded) < len(coded_all):
        notes.append(
            f"{len(coded_all) - len(coded)} human-coded items have no model label and are left out"
        )
    if not coded:
        raise InputError(
            f"no item has both a label of {s.model} and of {', '.join(s.humans)}: "
            "are the human labels keyed by the corpus's item ids?"
        )
    sel = selection_weights(
        human_rows[human_rows["item_id"].isin(coded)],
        coded,
        selection=selection,
        selection_path=selection_path,
        assume=s.assume,
    )

    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    per_group: dict[str, dict[str, dict[str, dict[str, Estimate]]]] = {}
    for label in labels:
        m = model_rows[model_rows["label"] == label]
        model_value = dict(zip(m["item_id"], m["value"].map(str), strict=True))
        h = human_rows[(human_rows["label"] == label) & human_rows["item_id"].isin(coded)]
        cats = sorted(set(model_value.values()) | set(h["value"].map(str)), key=_category_key)
        human_share = _human_shares(h, cats)
        scopes = [(None, list(model_value))]
        if groups is not None:
            by_group: dict[str, list[str]] = {}
            for item in model_value:
                by_group.setdefault(groups.get(item, ""), []).append(item)
            scopes += sorted(by_group.items(), key=lambda kv: str(kv[0]))
        for group, scope in scopes:
            res = _estimate_scope(scope, model_value, human_share, cats, sel, s)
            if group is None:
                out[label] = res
            else:
                per_group.setdefault(str(group) or "(none)", {})[label] = res
    return Estimates(
        settings=s,
        labels=out,
        groups=per_group,
        selection=sel,
        n_items=len(model_items),
        n_coded=len(coded),
        versions=versions,
        notes=notes,
    )


def _estimate_scope(scope, model_value, human_share, cats, sel: Selection, s) -> dict:
    import numpy as np

    coded = [i for i in scope if i in human_share]
    w = np.array([sel.weights[i] for i in coded]) if sel.weighted and coded else None
    res: dict[str, dict[str, Estimate]] = {}
    for c in cats:
        yhat_all = np.array([model_value[i] == c for i in scope], dtype=float)
        yhat = np.array([model_value[i] == c for i in coded], dtype=float)
        y = np.array([human_share[i].get(c, 0.0) for i in coded], dtype=float)
        per: dict[str, Estimate] = {}
        if "model" in s.methods:
            est = model_mean(yhat_all, s.confidence)
            est.extra["biased"] = True
            per["model"] = est
        if "human" in s.methods:
            per["human"] = human_mean(y, w, s.confidence)
        if "ppi" in s.methods:
            est = ppi_mean(y, yhat, yhat_all, w, s.confidence)
            est.extra["n_model"] = len(yhat_all)
            per["ppi"] = est
        for est in per.values():
            if est.ci is not None:  # a share lies in [0, 1]: clipping only adds coverage
                est.ci = (max(0.0, est.ci[0]), min(1.0, est.ci[1]))
        res[c] = per
    return res


def _human_shares(h: pd.DataFrame, cats: list[str]) -> dict[str, dict[str, float]]:
    """Per item: category -> share of the humans who rated it and chose it."""
    shares: dict[str, dict[str, float]] = {}
    for item, values in h.groupby("item_id", sort=False)["value"]:
        vals = [str(v) for v in values]
        shares[str(item)] = {c: vals.count(c) / len(vals) for c in set(vals)}
    return shares


def _category_key(c: str):
    try:
        return (0, float(c), c)
    except ValueError:
        return (1, 0.0, c)


def _rater_rows(ann: pd.DataFrame, raters: list[str], option: str) -> pd.DataFrame:
    missing = [r for r in raters if r not in set(ann["rater"])]
    if missing:
        have = ", ".join(sorted(map(str, set(ann["rater"]))))
        raise InputError(f"{option}: no rater {', '.join(missing)} in the annotations ({have})")
    return ann[ann["rater"].isin(raters)]


def one_version(rows: pd.DataFrame, version: str | None, model: str):
    """The model's rows of one version per label (`version` picks one where several exist)."""
    versions: dict[str, str] = {}
    keep = []
    for label, g in rows.groupby("label", sort=True):
        have = sorted(set(g["version"]))
        if version is not None and version in have:
            pick = version
        elif len(have) == 1:
            pick = have[0]
        else:
            raise InputError(
                f"{model} labelled {label!r} in several versions ({', '.join(have)}): "
                "pick one with --version V (or --prompts FOLDER for SIGHT)"
            )
        versions[str(label)] = pick
        keep.append(g[g["version"] == pick])
    if version is not None and version not in versions.values():  # a typo is not ignored
        have = sorted({str(v) for v in rows["version"]} - {""})
        raise InputError(
            f"--version {version}: {model} has no such version ({', '.join(have) or 'none'})"
        )
    import pandas as pd

    out = pd.concat(keep) if keep else rows
    dup = out.duplicated(["item_id", "label"])
    if dup.any():
        i = out.loc[dup, "item_id"].iloc[0]
        raise InputError(f"{model} has several labels of one version for item {i}")
    return out, versions


def _labels(model_rows, human_rows, wanted: list[str] | None) -> list[str]:
    both = sorted(set(model_rows["label"]) & set(human_rows["label"]))
    if wanted:
        missing = [lab for lab in wanted if lab not in both]
        if missing:
            raise InputError(
                f"--label: {', '.join(missing)} not labelled by both the model and the humans "
                f"(both: {', '.join(both) or 'none'})"
            )
        return wanted
    if not both:
        raise InputError("the model and the humans share no label")
    return both


def _groups(model_rows: pd.DataFrame, items: pd.DataFrame | None, by: str) -> dict[str, str]:
    if by in model_rows.columns:
        return dict(zip(model_rows["item_id"], model_rows[by].map(str), strict=True))
    if items is not None and by in items.columns:
        return dict(zip(items["item_id"].map(str), items[by].map(str), strict=True))
    raise InputError(f"--by: no column {by!r} in the annotations or the items")
