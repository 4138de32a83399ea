"""A plain spreadsheet: one row per item with its text and an empty column per label.

Reviewers fill the label columns (yes/no for binary labels, a class name for single-choice
labels) and, when several people share one file, the `rater` column; `review import --rater`
names the rater of a file without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.review.answers import Answer, Answers
from edukit.review.items import ReviewItem
from edukit.review.questions import Question

if TYPE_CHECKING:
    import pandas as pd

META_COLUMNS = ("item_id", "rater", "text", "selection_rule", "selection_probability")
OPTIONAL = ("selection_stratum", "time", "notes")


def table(items: list[ReviewItem], qs: list[Question]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for item in items:
        sel = item.selection_fields()
        row = {
            "item_id": item.item_id,
            "rater": "",
            "text": item.text,
            **item.context,
            "selection_rule": sel["selection_rule"],
            "selection_probability": sel["selection_probability"],
        }
        row.update(dict.fromkeys((q.name for q in qs), ""))
        rows.append(row)
    columns = ["item_id", "rater", "text"]
    columns += list(items[0].context) if items else []
    columns += ["selection_rule", "selection_probability", *(q.name for q in qs)]
    return pd.DataFrame(rows, columns=columns)


def read_export(
    df: pd.DataFrame,
    qs: list[Question],
    context_fields: list[str],
    path: Any = None,
    rater: str | None = None,
) -> Answers:
    """The labels filled into a review spreadsheet (every column checked first)."""
    from edukit.corpora.tables import is_missing, source_row

    names = [q.name for q in qs]
    if "item_id" not in df.columns:
        raise InputError("no item_id column", path=path, where=1)
    known = {*META_COLUMNS, *OPTIONAL, *context_fields, *names}
    unknown = [c for c in df.columns if c not in known]
    if unknown:
        raise InputError(
            f"unknown column {unknown[0]!r}: not a label of the rubric ({', '.join(names)}) or "
            "one of the columns review export writes",
            path=path,
            where=1,
        )
    answered = [n for n in names if n in df.columns]
    if not answered:
        raise InputError(f"no label columns ({', '.join(names)})", path=path, where=1)
    if "rater" not in df.columns and not rater:
        raise InputError("no rater column: name the reviewer with --rater", path=path, where=1)
    out = Answers()
    for i, row in enumerate(df.to_dict("records")):
        where = f"row {source_row(path, i)}"
        item = row["item_id"]
        if is_missing(item) or not str(item).strip():
            raise InputError("empty item_id", path=path, where=where)
        who = rater or ("" if is_missing(row.get("rater")) else str(row["rater"]).strip())
        if not who:
            raise InputError("empty rater (fill it in or give --rater)", path=path, where=where)
        extra = {
            k: row[k]
            for k in ("selection_rule", "selection_probability")
            if k in row and not is_missing(row[k]) and str(row[k]).strip()
        }
        given = False
        for name in answered:
            cell = row[name]
            if is_missing(cell) or not str(cell).strip():
                continue
            given = True
            out.answers.append(
                Answer(
                    where=f"{where} (item {item}), rater {who}",
                    item_id=str(item).strip(),
                    annotator=who,
                    question=name,
                    codes=[str(cell).strip()],
                    time="" if is_missing(row.get("time")) else str(row.get("time") or ""),
                    extra=dict(extra),
                )
            )
        if not given:
            out.skip("rows left empty")
    return out
