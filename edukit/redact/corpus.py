"""Redaction of a whole input file, and the names a corpus itself declares.

MathDial declares its students: `student_profile` opens with the student's name ("Steven is a
7th grade student"), and some dialogues prefix the student's turns with that name or another
one ("Cody: ...") instead of "Student:". Both are redacted in their dialogue.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

from edukit.redact.profile import RedactionProfile
from edukit.redact.redactor import Redactor

# Free-text columns of the corpora's items (ids, turn numbers and metadata are never touched).
TEXT_FIELDS = ("text", "comment", "question", "student_incorrect_solution", "history")


def text_fields(columns: list[str]) -> list[str]:
    """The item columns to redact: `text` and the known free-text context columns present."""
    return [c for c in TEXT_FIELDS if c in columns]


def mathdial_names(path: str | os.PathLike) -> dict[str, list[str]]:
    """dialogue_id → the names a MathDial file declares for that dialogue's student."""
    from edukit.corpora import mathdial as md
    from edukit.resources import resolve_input

    p = resolve_input(path)  # a path or a bundled sample:NAME
    rows, _ = md._read_csv(p) if p.suffix.lower() == ".csv" else md._read_jsonl(p)
    out: dict[str, list[str]] = {}
    for i, (profile, conversation) in enumerate(
        zip(rows["student_profile"], rows["conversation"], strict=True)
    ):
        names = []
        name = md._student_name(md._text(profile))
        if name:
            names.append(name)
        if isinstance(conversation, str):
            for turn in conversation.split(md.SEPARATOR):
                m = md._SPEAKER.match(turn)
                who = m.group(1) if m else ""
                if who and who.lower() not in ("teacher", "student") and who not in names:
                    names.append(who)
        out[f"{p.stem}-{i}"] = names
    return out


def declared_names(path: str | os.PathLike) -> dict[str, list[str]] | None:
    """The corpus-declared names of `path` by dialogue, or None when the corpus declares none."""
    from edukit.corpora.detect import detect

    return mathdial_names(path) if detect(path) == "mathdial" else None


def redact_items_table(
    items: Any,
    redactor: Redactor,
    declared: dict[str, list[str]] | None = None,
    also: tuple[str, ...] = (),
) -> tuple[Any, dict[str, Any]]:
    """An items DataFrame redacted (same rows, ids and columns) and a report of what changed;
    `also`: more columns to redact (the --names-from-column column, which holds the names)."""
    import pandas as pd

    from edukit.annotate.engine import iter_items
    from edukit.redact.columns import resolve_column

    fields = text_fields([str(c) for c in items.columns])
    for col in also:
        found = resolve_column([str(c) for c in items.columns], col)
        if found is not None and found not in fields:
            fields.append(found)
    started = time.perf_counter()
    rows, totals, per_item, changed = [], Counter(), [], 0
    for red in redactor.redact_items(iter_items(items), fields, declared):
        rows.append(red.item)
        totals.update(red.counts)
        if red.counts:
            changed += 1
            per_item.append({"item_id": str(red.item.get("item_id")), **dict(red.counts)})
    seconds = time.perf_counter() - started
    out = pd.DataFrame(rows, columns=list(items.columns))
    report = {
        "profile": redactor.profile.to_json(),
        "items": len(out),
        "items_redacted": changed,
        "fields": fields,
        "counts": {k: totals[k] for k in redactor.profile.entities},
        "seconds": round(seconds, 3),
        "per_item": per_item,
    }
    return out, report


def redact_file(
    input: str | os.PathLike,
    out: str | os.PathLike,
    profile: RedactionProfile,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    raw_csv: bool = False,
    also: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Redact the items of `input` (as `edukit annotate` reads them) into the table `out`
    (CSV cells a spreadsheet would run as formulas neutralised unless `raw_csv`).

    A table read with `id_col` and `text_col` keeps those column names in `out`; the columns
    `also` are redacted beside the text."""
    from edukit.corpora.detect import load_items
    from edukit.corpora.tables import write_table

    items = load_items(input, id_col=id_col, text_col=text_col)
    declared = declared_names(input) if id_col is None and profile.corpus_names else None
    redactor = Redactor(profile)
    table, report = redact_items_table(items, redactor, declared, also)
    if id_col is not None and text_col is not None:
        # the input's own names, so `annotate --id-col/--text-col` reads the output as the input
        table = table.rename(columns={"item_id": id_col, "text": text_col})
    write_table(table, out, raw_csv=raw_csv)
    report["input"] = os.fspath(input)
    report["out"] = os.fspath(out)
    return report
