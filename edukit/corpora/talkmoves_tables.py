"""TalkMoves lesson rows, the datasheet join and the gold long table (see `talkmoves`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.corpora.talkmoves_codes import TERMS, parse_talkback

if TYPE_CHECKING:
    import pandas as pd

LESSON_COLUMNS = (
    "lesson_id",
    "subset",
    "file",
    "sentences",
    "teacher_sentences",
    "student_sentences",
    "other_sentences",
    "teacher",
    "study_year",
    "term",
    "date",
    "part",
)
DATASHEET_COLUMNS = (
    "datasheet_match",
    "datasheet_title",
    "datasheet_teacher",
    "date_recorded",
    "datasheet_year",
    "teacher_gender",
    "grade",
    "full_or_partial",
    "country_state",
    "language",
)
ANNOTATION_COLUMNS = ("item_id", "rater", "label", "value", "version", "lesson_id", "role")


def lesson_rows(path: Path, lesson_id: str, subset: str, df: pd.DataFrame, report: Any) -> dict:
    """One lesson's row: counts by role and what a TalkBack file name says."""
    roles = df["role"].value_counts()
    row: dict[str, Any] = {
        "lesson_id": lesson_id,
        "subset": subset,
        "file": f"{subset}/{path.name}" if subset else path.name,
        "sentences": len(df),
        "teacher_sentences": int(roles.get("teacher", 0)),
        "student_sentences": int(roles.get("student", 0)),
        "other_sentences": int(roles.get("other", 0)),
        "teacher": "",
        "study_year": None,
        "term": "",
        "date": "",
        "part": "",
        "_stem": path.stem,
    }
    if path.stem.strip().lower().startswith("talkback"):
        name = parse_talkback(path.stem)
        if name is None:
            report.file_names["unparsed"].append(path.stem)
            return row
        row.update(
            teacher=name.teacher,
            study_year=name.study_year,
            term=name.term,
            date=name.date,
            part=name.part,
        )
        if name.term not in TERMS or not name.date:
            report.file_names["unknown_term"].append(path.stem)
    return row


def _ds_name(header: str) -> str | None:
    h = " ".join(header.split()).casefold()
    rules = (
        (("name of file", "lesson title"), "datasheet_title"),
        (("teacher male",), "teacher_gender"),
        (("date",), "date_recorded"),
        (("year",), "datasheet_year"),
        (("grade",), "grade"),
        (("country",), "country_state"),
        (("original language",), "language"),
        (("full or partial",), "full_or_partial"),
    )
    if h == "teacher":
        return "datasheet_teacher"
    for prefixes, name in rules:
        if h.startswith(prefixes):
            return name
    return None


def _value(v: Any) -> str:
    from edukit.corpora.talkmoves import _cell_text

    if hasattr(v, "hour") and hasattr(v, "date") and (v.hour, v.minute, v.second) == (0, 0, 0):
        return v.date().isoformat()
    return _cell_text(v).strip()


def _norm(title: str) -> str:
    """A title ignoring case, spaces and trailing underscores (`Math CZ1 transcript` is
    `Math CZ 1 transcript`; `...pt 6_` is `...pt 6`)."""
    return re.sub(r"\s+", "", title).casefold().rstrip("_")


def read_datasheet(path: Path, sheet: str) -> list[dict[str, str]]:
    """The rows of one datasheet sheet with edukit's column names (other columns dropped)."""
    from edukit.corpora.xlsx import read_xlsx

    raw = read_xlsx(path, sheet=sheet)
    names = {str(c): _ds_name(str(c)) for c in raw.columns}
    rows = []
    for rec in raw.to_dict("records"):
        row = {names[k]: _value(v) for k, v in rec.items() if names[k]}
        if row.get("datasheet_title"):
            rows.append(row)
    return rows


def datasheet_join(lessons: pd.DataFrame, datasheet: Path | None, report: Any) -> pd.DataFrame:
    """The lessons with their datasheet row: exact title, else normalised title, else none."""
    import pandas as pd

    from edukit.corpora.xlsx import sheet_names

    ds: dict[str, Any] = {"file": datasheet.name if datasheet else None}
    matched: list[dict] = []
    if datasheet is None:
        matched = [{"datasheet_match": "none"} for _ in range(len(lessons))]
        ds["unmatched_files"] = []
    else:
        sheets = set(sheet_names(datasheet))
        by_subset: dict[str, list[dict[str, str]]] = {}
        for subset in sorted(set(lessons["subset"])):
            if subset in sheets:
                by_subset[subset] = read_datasheet(datasheet, subset)
        ds.update(
            exact_title_matches=0,
            exact=0,
            normalised=[],
            ambiguous=[],
            unmatched_files=[],
            unmatched_rows=[],
            repeated_rows=[],
        )
        used: set[tuple[str, str]] = set()
        for stem, subset in zip(lessons["_stem"], lessons["subset"], strict=True):
            matched.append(_match(stem, subset, by_subset.get(subset, []), used, ds))
        for subset, rows in by_subset.items():
            for title in dict.fromkeys(r["datasheet_title"] for r in rows):
                if (subset, title) not in used:
                    ds["unmatched_rows"].append(f"{subset}: {title}")
    report.datasheet = ds
    out = pd.concat(
        [
            lessons.drop(columns=["_stem"]),
            pd.DataFrame(matched, columns=list(DATASHEET_COLUMNS), dtype=object),
        ],
        axis=1,
    )
    out["study_year"] = out["study_year"].astype("Int64")
    return out.fillna({c: "" for c in DATASHEET_COLUMNS})


def _match(stem: str, subset: str, rows: list[dict], used: set, ds: dict) -> dict:
    exact = [r for r in rows if r["datasheet_title"] == stem]
    how = "exact"
    if exact:
        ds["exact_title_matches"] += 1
    else:
        key = _norm(stem)
        titles = {r["datasheet_title"] for r in rows if _norm(r["datasheet_title"]) == key}
        titles = {t for t in titles if (subset, t) not in used}
        exact = [r for r in rows if r["datasheet_title"] in titles] if len(titles) == 1 else []
        how = "normalised"
    if not exact:
        ds["unmatched_files"].append(f"{subset}: {stem}")
        return {"datasheet_match": "none"}
    title = exact[0]["datasheet_title"]
    used.add((subset, title))
    if any(r != exact[0] for r in exact[1:]):
        ds["ambiguous"].append(f"{subset}: {stem} ({len(exact)} differing rows)")
        return {"datasheet_match": "ambiguous", "datasheet_title": title}
    if len(exact) > 1:
        ds["repeated_rows"].append(f"{subset}: {title} ({len(exact)} identical rows)")
    if how == "exact":
        ds["exact"] += 1
    else:
        ds["normalised"].append(f"{subset}: {stem} -> {title}")
    return {"datasheet_match": how, **exact[0]}


def annotations(utterances: pd.DataFrame) -> pd.DataFrame:
    """The gold codes as a long table: rater `gold`, labels `teacher_move`, `student_move`."""
    import pandas as pd

    parts = []
    for label in ("teacher_move", "student_move"):
        coded = utterances[utterances[label] != ""]
        parts.append(
            pd.DataFrame(
                {
                    "item_id": coded["item_id"],
                    "rater": "gold",
                    "label": label,
                    "value": coded[label],
                    "version": "",
                    "lesson_id": coded["lesson_id"],
                    "role": coded["role"],
                    "_order": coded.index,
                }
            )
        )
    gold = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    return gold.drop(columns=["_order"]).reset_index(drop=True)[list(ANNOTATION_COLUMNS)]


def sample_lessons(tables: dict[str, pd.DataFrame], n: int, seed: int) -> dict[str, pd.DataFrame]:
    """A simple random sample of `n` lessons (numpy's seeded generator over the sorted lesson
    ids): the `utterances`, `lessons` and `annotations` of those lessons only. The annotations
    record how they were drawn (`selection_rule` `random`, `selection_probability` n / lessons:
    every sentence of a drawn lesson is in the sample), so `edukit estimate` can weight them."""
    import numpy as np

    from edukit.errors import InputError

    ids = sorted(set(tables["lessons"]["lesson_id"]))
    if not 1 <= n <= len(ids):
        raise InputError(
            f"--sample-lessons must be between 1 and {len(ids)} (the lessons), not {n}"
        )
    rng = np.random.default_rng(seed)
    chosen = {ids[i] for i in rng.choice(len(ids), size=n, replace=False)}
    out = {k: t[t["lesson_id"].isin(chosen)].reset_index(drop=True) for k, t in tables.items()}
    out["annotations"] = out["annotations"].assign(
        selection_rule="random", selection_probability=n / len(ids)
    )
    return out
