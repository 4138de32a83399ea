"""The human-coded sample: how it was drawn (inverse-probability weights), its labels, its items.

Selection follows the long table's provenance columns `selection_rule` (random, stratified, all,
disagreement, low-confidence) and `selection_probability` (in (0, 1], empty when unknown), or a
selection file with columns `item_id, rule, probability[, stratum]` (`edukit review export
--selection-out`). A sample chosen by disagreement or confidence without probabilities is refused:
any estimate from it would carry the selection's bias.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edukit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

RULES = ("random", "stratified", "all", "disagreement", "low-confidence")
ASSUME = ("random", "all")


@dataclass
class Selection:
    """Per coded item its weight (1 / selection probability); `weighted` False when all equal."""

    weights: dict[str, float]
    description: str
    weighted: bool
    rules: dict[str, int] = field(default_factory=dict)


def _rule_table(rows: pd.DataFrame, selection: pd.DataFrame | None, where: str) -> pd.DataFrame:
    """item_id, rule, probability from the human rows' columns or the selection file."""
    import pandas as pd

    if selection is not None:
        missing = [c for c in ("item_id", "rule") if c not in selection.columns]
        if missing:
            raise InputError(
                f"not a selection file: missing column(s) {', '.join(missing)} "
                "(need item_id, rule, probability[, stratum])",
                path=where,
            )
        prob = selection["probability"] if "probability" in selection.columns else None
        return pd.DataFrame(
            {
                "item_id": selection["item_id"].map(_id),
                "rule": selection["rule"],
                "probability": prob if prob is not None else [None] * len(selection),
            }
        )
    if "selection_rule" not in rows.columns:
        return pd.DataFrame(columns=["item_id", "rule", "probability"])
    prob = rows["selection_probability"] if "selection_probability" in rows.columns else None
    return pd.DataFrame(
        {
            "item_id": rows["item_id"],
            "rule": rows["selection_rule"],
            "probability": prob.to_numpy() if prob is not None else [None] * len(rows),
        }
    )


def _id(value) -> str:
    from edukit.corpora.tables import normalise_id

    return normalise_id(value)


def _blank(value) -> bool:
    from edukit.corpora.tables import is_missing

    return is_missing(value) or str(value).strip() == ""


def selection_weights(
    human_rows: pd.DataFrame,
    coded: list[str],
    *,
    selection: pd.DataFrame | None = None,
    selection_path: str = "--selection",
    assume: str | None = None,
) -> Selection:
    """Inverse-probability weights of the `coded` items, or one `InputError` refusing them."""
    table = _rule_table(human_rows, selection, selection_path)
    table = table[[not _blank(r) for r in table["rule"]]]
    if table.empty:
        if assume is None:
            raise InputError(
                "the human-coded items carry no selection information (no selection_rule / "
                "selection_probability columns, no --selection file): say how they were drawn "
                "with --assume random (a simple random sample of the items) or --assume all"
            )
        return Selection(
            {i: 1.0 for i in coded},
            f"{'simple random sample' if assume == 'random' else 'every item'} "
            f"(assumed with --assume {assume}; not recorded in the files)",
            False,
            {assume: len(coded)},
        )
    per_item: dict[str, tuple[str, float | None]] = {}
    for item, rule, prob in zip(table["item_id"], table["rule"], table["probability"], strict=True):
        rule = str(rule).strip().lower()
        if rule not in RULES:
            raise InputError(
                f"item {item}: unknown selection_rule {rule!r} (one of {', '.join(RULES)})",
                path=selection_path if selection is not None else None,
            )
        p = None if _blank(prob) else _probability(prob, item)
        per_item.setdefault(str(item), (rule, p))
    weights: dict[str, float] = {}
    rules: dict[str, int] = {}
    for item in coded:
        if item not in per_item:
            raise InputError(
                f"human-coded item {item} has no selection rule: give every human-coded item "
                "its selection_rule (and probability), or none (then --assume)"
            )
        rule, p = per_item[item]
        rules[rule] = rules.get(rule, 0) + 1
        if p is None:
            if rule in ("disagreement", "low-confidence", "stratified"):
                # review export records no probability for the targeted rules: only a new
                # random or stratified sample helps there
                hint = (
                    "code a random or stratified sample (edukit review export --select "
                    "random|stratified records its probabilities)"
                    if rule != "stratified"
                    else "record the probabilities (edukit review export does) or code a "
                    "random sample"
                )
                raise InputError(
                    f"the human-coded items were chosen by {rule} (item {item}) and carry no "
                    f"selection_probability: estimates from them would carry the selection's "
                    f"bias; {hint}"
                )
            p = 1.0  # random without a probability: equal weights; all: probability 1
        weights[item] = 1.0 / p
    values = set(weights.values())
    weighted = len(values) > 1
    described = ", ".join(f"{k}: {v}" for k, v in sorted(rules.items()))
    how = "inverse-probability weights" if weighted else "equal weights"
    return Selection(weights, f"selection rules ({described}), {how}", weighted, rules)


def _probability(value, item) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InputError(f"item {item}: selection_probability {value!r} is not a number") from None
    if not (math.isfinite(p) and 0 < p <= 1):
        raise InputError(f"item {item}: selection_probability {p} is not in (0, 1]")
    return p


def _text_key(value) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


@dataclass
class Match:
    """Human-file item id -> corpus item id, and what could not be matched."""

    mapping: dict[str, str]
    unmatched: list[str]
    ambiguous: list[str]
    on: list[str]

    def describe(self, total: int) -> str:
        return (
            f"{len(self.mapping)} of {total} human-coded items matched to the corpus by "
            f"{', '.join(self.on)} (text compared with runs of whitespace as one space); "
            f"{len(self.unmatched)} not found, {len(self.ambiguous)} matching several items "
            "(left out)"
        )


def match_items(human_items: pd.DataFrame, corpus_items: pd.DataFrame, on: list[str]) -> Match:
    """Match items of a human-coded file to the corpus's items by the columns `on` (e.g. SIGHT's
    `video_id,comment`: the two published files number their comments differently)."""
    for name, table in (("human-coded", human_items), ("corpus", corpus_items)):
        missing = [c for c in on if c not in table.columns]
        if missing:
            raise InputError(f"--match-on: the {name} items have no column(s) {', '.join(missing)}")
    keys: dict[tuple, list[str]] = {}
    for row in corpus_items[["item_id", *on]].itertuples(index=False):
        keys.setdefault(tuple(_text_key(v) for v in row[1:]), []).append(str(row[0]))
    mapping: dict[str, str] = {}
    unmatched, ambiguous = [], []
    for row in human_items[["item_id", *on]].itertuples(index=False):
        found = keys.get(tuple(_text_key(v) for v in row[1:]), [])
        if len(found) == 1:
            mapping[str(row[0])] = found[0]
        elif found:
            ambiguous.append(str(row[0]))
        else:
            unmatched.append(str(row[0]))
    return Match(mapping, unmatched, ambiguous, list(on))
