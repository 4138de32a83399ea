"""Sandpiper (National Tutoring Observatory): its human-annotation CSV out and back in.

Format (https://github.com/National-Tutoring-Observatory/sandpiper/blob/main/documentation/humanAnnotations.md):
columns `session_id`, `sequence_id` (the utterance's position in the session), `role`,
`content`, then one column per annotator, slot and field, named `annotator[NAME][SLOT]FIELD`
(slot: a 0-based index, so that one annotator can give one utterance several codes of a field).
Each annotator name becomes one rater; a blank cell is no code.

Dialogue corpora (items with `dialogue_id` and `turn`, e.g. MathDial's teacher turns) become
sessions with every turn of the dialogue as a row (the item id is `session_id:sequence_id`);
flat tables (SIGHT comments) become one session per item with one row, sequence 0 (the item id
is the session id). A multiple-choice question gets one slot per option.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.review.answers import Answer, Answers
from edukit.review.items import ReviewItem
from edukit.review.questions import Question

if TYPE_CHECKING:
    import pandas as pd

BASE_COLUMNS = ("session_id", "sequence_id", "role", "content")
_ANNOTATOR = re.compile(r"^annotator\[([^\[\]]+)\]\[(\d+)\](.+)$")


def column(name: str, slot: int, field: str) -> str:
    return f"annotator[{name}][{slot}]{field}"


def table(
    items: list[ReviewItem],
    qs: list[Question],
    annotators: list[str],
    sessions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The template: one row per utterance (or per item), empty annotator columns.

    `sessions` (dialogue_id, turn, speaker, text) gives every turn of the selected items'
    dialogues; without it each item is a session of its own."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    if sessions is not None:
        wanted = list(dict.fromkeys(_split_id(i.item_id)[0] for i in items))
        turns = sessions[sessions["dialogue_id"].isin(set(wanted))]
        order = {d: n for n, d in enumerate(wanted)}
        turns = turns.assign(_o=turns["dialogue_id"].map(order)).sort_values(
            ["_o", "turn"], kind="stable"
        )
        for d, t, who, text in zip(
            turns["dialogue_id"], turns["turn"], turns["speaker"], turns["text"], strict=True
        ):
            rows.append(
                {"session_id": d, "sequence_id": int(t), "role": _role(who), "content": text}
            )
    else:
        for item in items:
            rows.append(
                {"session_id": item.item_id, "sequence_id": 0, "role": "", "content": item.text}
            )
    out = pd.DataFrame(rows, columns=list(BASE_COLUMNS))
    for name in annotators:
        for q in qs:
            for slot in range(len(q.options) if q.multiple else 1):
                out[column(name, slot, q.name)] = ""
    return out


def _role(speaker: Any) -> str:
    text = str(speaker or "").strip()
    return text[:1].upper() + text[1:]


def _split_id(item_id: str) -> tuple[str, str | None]:
    session, sep, turn = item_id.rpartition(":")
    if sep and turn.isdigit():
        return session, turn
    return item_id, None


def check_annotators(annotators: list[str]) -> None:
    for name in annotators:
        if not name or any(c in name for c in "[],\n\r") or name != name.strip():
            raise InputError(f"--annotators: {name!r} cannot be a Sandpiper annotator name")


def read_export(df: pd.DataFrame, qs: list[Question], path: Any = None) -> Answers:
    """The codes in a filled-in Sandpiper CSV (every column checked before any row is read)."""
    from edukit.corpora.tables import is_missing, source_row

    missing = [c for c in ("session_id", "sequence_id") if c not in df.columns]
    if missing:
        raise InputError(
            f"not a Sandpiper annotation CSV: no column {missing[0]} "
            f"(need {', '.join(BASE_COLUMNS)} and annotator[NAME][SLOT]FIELD columns)",
            path=path,
            where=1,
        )
    names = {q.name for q in qs}
    columns: list[tuple[str, str, str]] = []  # (column, annotator, field)
    for col in df.columns:
        if col in BASE_COLUMNS:
            continue
        m = _ANNOTATOR.match(str(col))
        if not m:
            raise InputError(
                f"unknown column {col!r}: not {', '.join(BASE_COLUMNS)} or "
                "annotator[NAME][SLOT]FIELD",
                path=path,
                where=1,
            )
        if m[3] not in names:
            raise InputError(
                f"column {col!r}: the rubric has no field {m[3]!r} "
                f"(fields: {', '.join(sorted(names))})",
                path=path,
                where=1,
            )
        columns.append((col, m[1], m[3]))
    if not columns:
        raise InputError("no annotator[NAME][SLOT]FIELD columns", path=path, where=1)
    # a session with one row at sequence 0 is a flat item; otherwise items are session:sequence
    sizes = df["session_id"].astype(str).value_counts()
    out = Answers()
    for i, row in enumerate(df.itertuples(index=False)):
        values = dict(zip(df.columns, row, strict=True))
        session = "" if is_missing(values["session_id"]) else str(values["session_id"]).strip()
        seq = "" if is_missing(values["sequence_id"]) else str(values["sequence_id"]).strip()
        where = f"row {source_row(path, i)}"
        if not session:
            raise InputError("empty session_id", path=path, where=where)
        if seq.endswith(".0"):
            seq = seq[:-2]
        flat = sizes.get(session, 0) == 1 and seq == "0"
        item_id = session if flat else f"{session}:{seq}"
        codes: dict[tuple[str, str], list[str]] = {}
        for col, who, field in columns:
            cell = values[col]
            if is_missing(cell) or not str(cell).strip():
                continue
            codes.setdefault((who, field), []).append(str(cell).strip())
        for (who, field), given in codes.items():
            out.answers.append(
                Answer(
                    where=f"{where} (session {session}, sequence {seq}), annotator {who}",
                    item_id=item_id,
                    annotator=who,
                    question=field,
                    codes=given,
                    extra={"_alternatives": [f"{session}:{seq}", session]},
                )
            )
    return out
