"""Notes for raters who saw only selected items (issue 24's `review export` selections).

A reviewer's rows carry `selection_rule` (and `selection_probability`). Agreement on items
picked because models disagreed, or because a model was unsure, is not the corpus's agreement;
a random or stratified sample is, once weighted by its selection probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

TARGETED = ("disagreement", "low-confidence")


def selection_warnings(
    annotations: pd.DataFrame, raters: Sequence[str], labels: Sequence[str]
) -> dict[str, list[str]]:
    """Per label, one warning per rater whose rows all carry a selection rule other than `all`."""
    if "selection_rule" not in annotations.columns:
        return {}
    out: dict[str, list[str]] = {}
    df = annotations[annotations["rater"].isin(list(raters))]
    rules_col = df["selection_rule"].map(lambda v: v.strip() if isinstance(v, str) else "")
    for (label, rater), rules in rules_col.groupby([df["label"], df["rater"]], sort=True):
        if label not in labels:
            continue
        seen = set(rules)
        if "" in seen or seen <= {"all"}:
            continue  # some items came without a selection: the rater saw more than a selection
        n = df.loc[rules.index, "item_id"].nunique()
        kinds = ", ".join(sorted(seen))
        if seen & set(TARGETED):
            note = (
                f"{rater} saw only selected items ({n}, selected by {kinds}): agreement on items "
                "picked for disagreement or low confidence is not the corpus's agreement; use "
                "the random part or inverse-probability weights (selection_probability) for "
                "corpus-level numbers"
            )
        else:
            note = (
                f"{rater} saw only a sample of the items ({n}, selected by {kinds}): corpus-level "
                "numbers need its selection probabilities (selection_probability)"
            )
        out.setdefault(label, []).append(note)
    return out
