"""What a reviewer sees of one item, and what the models said about it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.review.questions import Question

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Prediction:
    """One model rater's answers to an item's questions (question name -> option codes) and its
    confidence (the lowest stored confidence of its labels on the item; None when unknown)."""

    model: str
    version: str
    score: float | None
    answers: dict[str, list[str]]


@dataclass
class ReviewItem:
    item_id: str
    text: str
    context: dict[str, str]
    rule: str
    probability: float | None
    stratum: str
    predictions: list[Prediction] = field(default_factory=list)

    def selection_fields(self) -> dict[str, Any]:
        """The selection record every exported task carries (interfaces: selection_rule,
        selection_probability; empty probability when the rule gives none)."""
        return {
            "selection_rule": self.rule,
            "selection_probability": "" if self.probability is None else self.probability,
            "selection_stratum": self.stratum,
        }


def review_items(
    items: pd.DataFrame,
    ann: pd.DataFrame,
    selection: pd.DataFrame,
    qs: list[Question],
    models: list[str],
    context_fields: list[str],
) -> list[ReviewItem]:
    """The selected items in selection order, with their text, context and model answers."""
    by_id = {str(i): n for n, i in enumerate(items["item_id"])}
    missing = [i for i in selection["item_id"] if i not in by_id]
    if missing:
        raise InputError(
            f"item {missing[0]!r} has model labels but is not in the items file "
            f"({len(missing)} such item{'s' if len(missing) != 1 else ''})"
        )
    context_fields = [c for c in context_fields if c in items.columns and c != "text"]
    rows = ann[ann["rater"].isin(models) & ann["item_id"].isin(set(selection["item_id"]))]
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    versions: dict[tuple[str, str], str] = {}
    scores: dict[tuple[str, str], float] = {}
    has_conf = "confidence" in rows.columns
    for r in rows.itertuples(index=False):
        key = (r.item_id, r.rater)
        answers.setdefault(key, {})[r.label] = r.value
        versions.setdefault(key, str(r.version))
        c = _number(getattr(r, "confidence", None)) if has_conf else None
        if c is not None:
            scores[key] = min(scores.get(key, c), c)
    out = []
    for item_id, rule, prob, stratum in selection[
        ["item_id", "rule", "probability", "stratum"]
    ].itertuples(index=False):
        row = items.iloc[by_id[item_id]]
        item = ReviewItem(
            item_id=item_id,
            text=_text(row.get("text")),
            context={c: _text(row.get(c)) for c in context_fields},
            rule=rule,
            probability=_number(prob),
            stratum=str(stratum or ""),
        )
        for model in models:
            key = (item_id, model)
            values = answers.get(key)
            if not values:
                continue
            given = {q.name: a for q in qs if (a := q.answer(values)) is not None}
            if given:
                item.predictions.append(
                    Prediction(
                        model, versions[(item_id, model)], scores.get((item_id, model)), given
                    )
                )
        out.append(item)
    return out


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f
