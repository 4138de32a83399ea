"""Which corpus a file holds (from its header, not its name), its items, and its counts.

Kinds: `mathdial` (a MathDial CSV/JSONL), `mrbench` (an MRBench JSON file), `sight` (the wide,
comma-separated SIGHT `sample_dataset.csv` layout), `sight-full` (the space-separated
`sight_dataset.csv`),
`annotations` (a long table: item_id, rater, label, value), `talkmoves` (a TalkMoves corpus
folder, subset folder or lesson `.xlsx`) and `table` (anything else readable).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.resources import resolve_input
from edukit.userfile import check_user_file

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("mathdial", "mrbench", "sight", "sight-full", "annotations", "talkmoves", "table")
FORMATS = (".csv", ".jsonl", ".parquet")
# The context a rubric may read for a MathDial teacher turn. `move` (the gold label) is left out
# on purpose: a template must not be able to show the answer to the model.
MATHDIAL_ITEM_COLUMNS = (
    "item_id",
    "text",
    "dialogue_id",
    "qid",
    "turn",
    "speaker",
    "question",
    "student_incorrect_solution",
    "history",
)


def header(path: str | os.PathLike) -> list[str]:
    """The column names of a CSV/JSONL/Parquet file, read from its first line or schema."""
    p = path = resolve_input(path)
    check_user_file(p, what="file")
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"unknown format {suffix or '(no extension)'!r}: expected one of {', '.join(FORMATS)}",
            path=path,
        )
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(p).names)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise InputError(f"not a Parquet file ({type(exc).__name__})", path=path) from exc
    from edukit.corpora.csvfiles import decode_error, encoding, header_line

    try:
        if suffix == ".jsonl":
            with p.open(encoding=encoding(), newline="") as fh:
                return _jsonl_keys(fh, p)
        first = header_line(p)
        if not first.strip():
            raise InputError("empty file (no header)", path=path, where=1)
        return next(csv.reader([first.rstrip("\r\n")], delimiter=_separator(first)))
    except UnicodeDecodeError as exc:
        raise decode_error(exc, path) from None


def _jsonl_keys(fh: Any, path: Path) -> list[str]:
    from edukit.corpora.tables import iter_jsonl

    for _, obj in iter_jsonl(fh, path):
        return list(obj)
    raise InputError("empty file (no records)", path=path)


def _separator(first_line: str) -> str:
    from edukit.corpora.sight import sniff_separator

    return sniff_separator(first_line)


def is_talkmoves(path: str | os.PathLike) -> bool:
    """A TalkMoves corpus or subset folder, or an `.xlsx` file (read as a lesson workbook)."""
    from edukit.corpora.talkmoves import is_talkmoves_folder
    from edukit.corpora.xlsx import SUFFIXES

    p = resolve_input(path)
    try:
        return p.suffix.lower() in SUFFIXES if p.is_file() else is_talkmoves_folder(p)
    except OSError:  # a name the system refuses (too long): the file's reader says so
        return False


def detect(path: str | os.PathLike) -> str:
    """The kind of corpus in `path`: one of `KINDS`, decided from the columns it holds."""
    path = resolve_input(path)
    from edukit.corpora.mrbench import is_mrbench

    if is_talkmoves(path):
        return "talkmoves"
    if is_mrbench(path):
        return "mrbench"
    cols = set(header(path))
    if {"qid", "conversation"} <= cols:
        return "mathdial"
    wide = {"comment", "comment_id"} <= cols and any(c.startswith("annotator_") for c in cols)
    if wide and Path(path).suffix.lower() == ".csv":  # SIGHT is published as CSV only
        from edukit.corpora.csvfiles import header_line

        return "sight" if _separator(header_line(path)) != " " else "sight-full"
    if {"item_id", "rater", "label", "value"} <= cols:
        return "annotations"
    return "table"


def load_items(
    path: str | os.PathLike,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    prompts: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The items to annotate in `path`: `item_id`, `text`, then context columns.

    MathDial gives its teacher turns (with question, student_incorrect_solution and history);
    TalkMoves every sentence with text (with lesson, speaker, role and history);
    SIGHT its comments (`text` is the comment, `comment` kept for SIGHT prompts); any other table
    needs `id_col` and `text_col` unless it already has `item_id` and `text` columns. Naming
    `id_col`/`text_col` reads any file as a plain table. Loader warnings: `.attrs["warnings"]`.
    """
    if id_col is not None or text_col is not None:
        if id_col is None or text_col is None:
            raise InputError("give both an id column and a text column", path=path)
        from edukit.corpora.tables import read_items

        return read_items(path, id_col, text_col)
    kind = detect(path)
    if kind == "talkmoves":
        from edukit.corpora.talkmoves import talkmoves_items

        return talkmoves_items(path)
    if kind == "mrbench":
        from edukit.corpora.mrbench import read_mrbench

        mr = read_mrbench(path)
        items = mr.responses.copy()
        items.attrs["warnings"] = list(mr.warnings)
        return items
    if kind == "mathdial":
        from edukit.corpora.mathdial import read_mathdial

        md = read_mathdial(path)
        u = md.utterances
        items = u.loc[u["speaker"] == "teacher", list(MATHDIAL_ITEM_COLUMNS)].reset_index(drop=True)
        items.attrs["warnings"] = list(md.warnings)
        return items
    if kind in ("sight", "sight-full"):
        from edukit.corpora.sight import read_sight

        sight = read_sight(path, prompts=prompts)
        items = sight.items.copy()
        items.insert(1, "text", items["comment"].to_numpy())
        items.attrs["warnings"] = list(sight.warnings)
        return items
    cols = header(path)
    if kind == "table" and {"item_id", "text"} <= set(cols):
        from edukit.corpora.tables import read_items

        return read_items(path, "item_id", "text")
    what = "a long annotation table" if kind == "annotations" else "a table"
    raise InputError(
        f"{what} without item_id and text columns: name the id and text columns "
        f"(--id-col, --text-col; columns: {', '.join(cols)})",
        path=path,
    )


def summarize(path: str | os.PathLike, *, prompts: str | os.PathLike | None = None) -> dict:
    """The counts `edukit info` prints, as plain JSON-ready data (`kind` says which ones);
    for a CSV, `separator` names its field separator (comma, semicolon, tab or space)."""
    out = _summarize(path, prompts)
    real = resolve_input(path)  # `sample:mathdial` names a bundled CSV file
    if real.suffix.lower() == ".csv":
        from edukit.corpora.csvfiles import header_line, separator_name

        out["separator"] = separator_name(_separator(header_line(real)))
    return out


def _summarize(path: str | os.PathLike, prompts: str | os.PathLike | None) -> dict:
    kind = detect(path)
    if kind == "talkmoves":
        from edukit.corpora.talkmoves import summarize_talkmoves

        return summarize_talkmoves(path)
    if kind == "mrbench":
        return _mrbench_summary(path)
    if kind == "mathdial":
        from edukit.corpora.mathdial import read_mathdial

        md = read_mathdial(path)
        d, u = md.dialogues, md.utterances
        teacher = u[u["speaker"] == "teacher"]
        moves = teacher["move"].replace("", "(none)").value_counts()
        return {
            "kind": kind,
            "path": os.fspath(path),
            "dialogues": len(d),
            "qids": int(d["qid"].nunique()),
            "turns": len(u),
            "speakers": {s: int((u["speaker"] == s).sum()) for s in ("teacher", "student")},
            "moves": {str(k): int(v) for k, v in moves.items()},
            "warnings": list(md.warnings),
        }
    if kind in ("sight", "sight-full", "annotations"):
        if kind == "annotations":
            from edukit.annotations import read_annotations

            ann = read_annotations(path, prompts=prompts)
            items, warnings = int(ann["item_id"].nunique()), []
            rows = len(ann)
        else:
            from edukit.corpora.sight import read_sight

            sight = read_sight(path, prompts=prompts)
            ann, items, warnings = sight.annotations, len(sight.items), list(sight.warnings)
            rows = sight.rows
        return {
            "kind": kind,
            "path": os.fspath(path),
            "rows": rows,
            "items": items,
            "annotations": len(ann),
            "raters": sorted(ann["rater"].unique().tolist()),
            "labels": sorted(ann["label"].unique().tolist()),
            "by_label": _by_label(ann),
            "warnings": warnings,
        }
    from edukit.corpora.tables import read_table

    df = read_table(path)
    return {
        "kind": kind,
        "path": os.fspath(path),
        "rows": len(df),
        "columns": [str(c) for c in df.columns],
        "warnings": [],
    }


def _mrbench_summary(path: str | os.PathLike) -> dict:
    from edukit.corpora.mrbench import read_mrbench

    mr = read_mrbench(path)
    r, ann = mr.responses, mr.annotations
    return {
        "kind": "mrbench",
        "path": os.fspath(path),
        "layout": mr.version,
        "dialogues": len(mr.dialogues),
        "conversation_ids": int(mr.dialogues["conversation_id"].nunique()),
        "responses": len(r),
        "tutors": {str(k): int(v) for k, v in r["tutor"].value_counts(sort=False).items()},
        "dimensions": list(mr.dimensions),
        "annotations": len(ann),
        "by_label": _by_label(ann) if len(ann) else [],
        "warnings": list(mr.warnings),
    }


def _by_label(ann: pd.DataFrame) -> list[dict]:
    """Per (label, rater, version): items annotated, and positives for binary labels."""
    rows = []
    for (label, rater, version), group in ann.groupby(["label", "rater", "version"], sort=True):
        values = group["value"]
        # read_annotations keeps 0/1 as ints and class names as text
        binary = all(not isinstance(v, str) and v in (0, 1) for v in values)
        row = {"label": label, "rater": rater, "version": version, "annotated": len(group)}
        if binary:
            row["positives"] = int((values == 1).sum())
        else:
            row["values"] = {str(k): int(n) for k, n in values.astype(str).value_counts().items()}
        rows.append(row)
    return rows
