"""Error analysis of one arm: the items where it disagrees with the human majority.

One row per (item, label) where the arm's label differs from the human reference (the one human
or gold rater; with several humans their strict majority, items without one left out): the item's
text when known, each human's label, the reference, the arm's label and its reasoning and
confidence when the run recorded them. The next revision of the definitions starts here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from edukit.errors import AgreementError, EdukitError

if TYPE_CHECKING:
    import pandas as pd

    from edukit.develop.result import CompareResult


def error_table(result: CompareResult, arm: str, texts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The disagreements of `arm` with the human reference (see the module docstring)."""
    import pandas as pd

    if arm not in result.arms:
        raise AgreementError(f"--errors {arm!r} is not an arm ({', '.join(result.arms)})")
    humans = result.humans
    gold = result.gold
    mine = result.annotations[result.annotations["rater"] == arm]
    rows = []
    for label in result.arms[arm].labels:
        g = gold[gold["label"] == label]
        wide = (
            g.drop_duplicates(["item_id", "rater"])
            .pivot(index="item_id", columns="rater", values="value")
            .reindex(columns=humans)
            .astype(object)
        )
        m = mine[mine["label"] == label].drop_duplicates("item_id").set_index("item_id")
        for item_id, hv in wide.iterrows():
            if item_id not in m.index:
                continue
            ref = _reference([v for v in hv.tolist() if not _missing(v)], len(humans))
            if ref is None:
                continue
            model_value = m.at[item_id, "value"]
            if _key(model_value) == _key(ref):
                continue
            row = {"item_id": item_id, "label": label}
            row.update({h: hv[h] for h in humans})
            row["reference"] = ref
            row[arm] = model_value
            for col in ("reasoning", "confidence"):
                if col in m.columns:
                    row[col] = m.at[item_id, col]
            rows.append(row)
    out = pd.DataFrame(rows)
    if texts is not None and not out.empty:
        t = texts[["item_id", "text"]].assign(item_id=texts["item_id"].astype(str))
        out = out.merge(t.drop_duplicates("item_id"), on="item_id", how="left")
        cols = [
            "item_id",
            "label",
            "text",
            *[c for c in out.columns if c not in ("item_id", "label", "text")],
        ]
        out = out[cols]
    return out


def _reference(values: list, n_humans: int):
    """The one human's value, or the strict majority of at least two humans (else None)."""
    if n_humans == 1:
        return values[0] if values else None
    if len(values) < 2:
        return None
    from collections import Counter

    (value, count), *_ = Counter(map(_key, values)).most_common(1)
    if count * 2 <= len(values):
        return None
    return next(v for v in values if _key(v) == value)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _key(v) -> str:
    """One spelling per value: 1, 1.0 and "1" are one category (as in `agree`)."""
    from edukit.agreement.domain import canonical

    return repr(canonical(v))


def item_texts(path: str | os.PathLike) -> pd.DataFrame | None:
    """`item_id` and `text` of the items in `path`, or None when it holds no texts."""
    from edukit.corpora.detect import load_items

    try:
        items = load_items(path)
    except EdukitError:
        return None
    return items if "text" in items.columns else None


def write_errors(table: pd.DataFrame, path: str | os.PathLike) -> None:
    from edukit.corpora.tables import write_table

    try:
        write_table(table, path)
    except OSError as exc:
        raise AgreementError(f"cannot write: {exc.strerror or exc}", path=path) from None
