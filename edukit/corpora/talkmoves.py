"""TalkMoves classroom transcripts (Suresh et al., LREC 2022) as tidy tables.

The corpus is one `.xlsx` per K-12 mathematics lesson (`Subset 1/`, `Subset 2/`), one row per
sentence, typed by many hands. `load_talkmoves(path)` reads the corpus folder, a subset folder or
one lesson file into three tables and a summary of everything odd it met:

- utterances: `item_id` (`<lesson_id>:<sentence>`), `lesson_id` (the file name without
  `.xlsx`, surrounding spaces removed), `subset`, `sentence` (0-based row in the lesson), `turn`
  (as numbered in the file, empty when blank), `speaker` (as written, surrounding spaces
  removed), `role` (`teacher`, `student`, `other`), `role_source` (`speaker` when the written
  speaker says it, `tags` when an unknown speaker's sentences carry one side's tags in that
  lesson, '' for `other`), `text`, `history` (the preceding sentences of the lesson, one
  `Role: text` line each), `time` (the time column as written), `teacher_tag` / `student_tag`
  (as written) beside `teacher_move` / `student_move` (canonical names, '' when uncoded).
- lessons: one row per file, the Subset 2 file name's teacher, study year, term and date, and
  the datasheet row joined (`datasheet_match`: `exact`, `normalised` (same title ignoring case,
  spaces and trailing underscores), `ambiguous` (the title has differing rows) or `none`).
- annotations: the gold codes as a long table, rater `gold`, labels `teacher_move` and
  `student_move`, plus `lesson_id` and `role`.

Column variants handled: the time column spelled `TimeStamp`, `TImeStamp`, `Video Length`, `S`
or `SS` (or absent), `turn` for `Turn`, `S` where `Speaker` belongs (the column before
`Sentence`), a leftover index column. Tag codes: see `edukit.corpora.talkmoves_codes`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.corpora.talkmoves_codes import (
    MOVES,
    ROLE_BY_TAGS,
    parse_tag,
    role_from_speaker,
)
from edukit.errors import InputError
from edukit.resources import resolve_input

if TYPE_CHECKING:
    import pandas as pd

LEVELS = ("utterances", "lessons", "annotations")
HISTORY_SENTENCES = 5  # preceding sentences shown as context
DATASHEET_GLOB = "Datasheet*.xlsx"
UTTERANCE_COLUMNS = (
    "item_id",
    "lesson_id",
    "subset",
    "sentence",
    "turn",
    "speaker",
    "role",
    "role_source",
    "text",
    "history",
    "time",
    "teacher_tag",
    "teacher_move",
    "student_tag",
    "student_move",
)
# The context a rubric may read; the tags and moves (the gold answer) are left out on purpose.
ITEM_COLUMNS = (
    "item_id",
    "text",
    "lesson_id",
    "subset",
    "sentence",
    "turn",
    "speaker",
    "role",
    "history",
)
_TIME_NAMES = ("timestamp", "video length", "s", "ss", "time")
_ROLE_LABEL = {"teacher": "Teacher", "student": "Student", "other": "Speaker"}


@dataclass
class TalkMoves:
    """The tables of a TalkMoves folder or lesson file, and what was odd in them."""

    utterances: pd.DataFrame
    lessons: pd.DataFrame
    annotations: pd.DataFrame
    anomalies: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def table(self, level: str) -> pd.DataFrame:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r} (known: {', '.join(LEVELS)})")
        return getattr(self, level)


def read_talkmoves(path: str | os.PathLike, level: str = "utterances") -> pd.DataFrame:
    """One table of `load_talkmoves(path)`; `.attrs` holds `anomalies` and `warnings`."""
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r} (known: {', '.join(LEVELS)})", path=path)
    tm = load_talkmoves(path)
    df = tm.table(level)
    df.attrs["anomalies"] = tm.anomalies
    df.attrs["warnings"] = list(tm.warnings)
    return df


def talkmoves_items(path: str | os.PathLike, role: str | None = None) -> pd.DataFrame:
    """The sentences to annotate (`ITEM_COLUMNS`; those without text left out, and only
    `role`'s when given). Loader warnings: `.attrs["warnings"]`."""
    tm = load_talkmoves(path)
    u = tm.utterances
    keep = u["text"] != ""
    if role is not None:
        keep &= u["role"] == role
    items = u.loc[keep, list(ITEM_COLUMNS)].reset_index(drop=True)
    items.attrs["warnings"] = list(tm.warnings)
    return items


def summarize_talkmoves(path: str | os.PathLike) -> dict[str, Any]:
    """The counts `edukit info` prints for a TalkMoves folder or lesson file."""
    tm = load_talkmoves(path)
    u, lessons, a = tm.utterances, tm.lessons, tm.anomalies
    return {
        "kind": "talkmoves",
        "path": os.fspath(path),
        "lessons": len(lessons),
        "sentences": len(u),
        "subsets": {
            str(k): int(v) for k, v in lessons["subset"].value_counts().sort_index().items()
        },
        "roles": {r: int((u["role"] == r).sum()) for r in ("teacher", "student", "other")},
        "moves": {
            side: {m: int((u[f"{side}_move"] == m).sum()) for m in MOVES[side].values()}
            for side in ("teacher", "student")
        },
        "annotations": len(tm.annotations),
        "datasheet": {str(k): int(v) for k, v in lessons["datasheet_match"].value_counts().items()},
        "anomalies": {
            "not_codes": a["not_codes"],
            "bare_codes": {s: a["tags"][s].get("bare", 0) for s in ("teacher", "student")},
            "unknown_speakers": len(a["unknown_speakers"]),
            "column_layouts": len(a["column_layouts"]),
        },
        "warnings": list(tm.warnings),
    }


def lesson_files(path: str | os.PathLike) -> list[tuple[str, Path]]:
    """(subset, file) of every lesson under `path`: the corpus folder (its `Subset N/`
    folders), one subset folder, or one lesson file. Lock files (`~$...`) are skipped."""
    p = resolve_input(path)
    if p.is_file():
        return [(_subset_of(p.parent), p)]
    if not p.is_dir():
        raise InputError("file or folder not found", path=path)
    subsets = sorted(d for d in p.iterdir() if d.is_dir() and _subset_of(d))
    folders = subsets or [p]
    out = []
    for folder in folders:
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() == ".xlsx" and f.is_file() and not f.name.startswith("~$"):
                if not subsets and f.name.lower().startswith("datasheet"):
                    continue
                out.append((_subset_of(folder), f))
    return out


def is_talkmoves_folder(path: str | os.PathLike) -> bool:
    """True for a folder holding `Subset N/` lesson folders or lesson workbooks (`.xlsx`)."""
    p = resolve_input(path)
    if not p.is_dir():
        return False
    if any(d.is_dir() and _subset_of(d) for d in p.iterdir()):
        return True
    return any(not f.name.startswith("~$") for f in p.glob("*.xlsx"))


def _subset_of(folder: Path) -> str:
    m = re.fullmatch(r"subset\s*(\d+)", folder.name.strip(), re.I)
    return f"Subset {m.group(1)}" if m else ""


def load_talkmoves(path: str | os.PathLike, *, history: int = HISTORY_SENTENCES) -> TalkMoves:
    """Read a TalkMoves corpus folder, a subset folder or one lesson `.xlsx`."""
    import pandas as pd

    from edukit.corpora.talkmoves_tables import annotations, datasheet_join, lesson_rows

    if not 0 <= history <= 100:
        raise InputError(f"history must be between 0 and 100 sentences, not {history}")
    files = lesson_files(path)
    if not files:
        raise InputError("no TalkMoves lesson workbooks (.xlsx) here", path=path)
    report = _Report()
    frames, lessons, seen = [], [], set()
    for subset, f in files:
        lesson_id = f.stem.strip()
        if lesson_id in seen:  # the same name in two subsets: keep both, told apart
            lesson_id = f"{subset}/{lesson_id}"
        seen.add(lesson_id)
        df = read_lesson(f, lesson_id, subset, report, history=history)
        frames.append(df)
        lessons.append(lesson_rows(f, lesson_id, subset, df, report))
    utterances = pd.concat(frames, ignore_index=True)
    lesson_table = datasheet_join(pd.DataFrame(lessons), _datasheet(path, files), report)
    gold = annotations(utterances)
    return TalkMoves(utterances, lesson_table, gold, report.summary(), report.warnings())


def read_lesson(
    path: Path, lesson_id: str, subset: str, report: _Report | None = None, *, history: int = 5
) -> pd.DataFrame:
    """One lesson workbook as utterance rows (see the module docstring)."""
    import pandas as pd

    from edukit.corpora.xlsx import read_xlsx

    report = report or _Report()
    raw = read_xlsx(path)
    cols = _columns(raw, path)
    report.layouts[" | ".join(str(c) for c in raw.columns)] += 1
    n = len(raw)
    speaker = [_cell_text(v).strip() for v in raw[cols["speaker"]]]
    text = [_cell_text(v).strip() for v in raw[cols["sentence"]]]
    where = f"{subset}/{path.name}" if subset else path.name
    report.empty_sentences += sum(1 for t in text if not t)
    turns = [_turn(v, where, report) for v in raw[cols["turn"]]] if cols["turn"] else [None] * n
    time = [_cell_text(v) for v in raw[cols["time"]]] if cols["time"] else [""] * n
    out: dict[str, Any] = {
        "item_id": [f"{lesson_id}:{i}" for i in range(n)],
        "lesson_id": [lesson_id] * n,
        "subset": [subset] * n,
        "sentence": list(range(n)),
        "turn": pd.array(turns, dtype="Int64"),
        "speaker": speaker,
    }
    for side in ("teacher", "student"):
        col = cols[f"{side}_tag"]
        tags = [parse_tag(v, MOVES[side]) for v in raw[col]] if col else []
        if not col:
            report.missing_tag_columns[side] += 1
            tags = [parse_tag(None, MOVES[side])] * n
        for i, tag in enumerate(tags):
            report.tag(side, tag, f"{where}:{i}")
        out[f"{side}_tag"] = [t.written for t in tags]
        out[f"{side}_move"] = [t.move for t in tags]
    roles, sources = _roles(speaker, out["teacher_tag"], out["student_tag"], where, report)
    out.update(role=roles, role_source=sources, text=text, time=time)
    out["history"] = _history(roles, text, history)
    return pd.DataFrame(out, columns=list(UTTERANCE_COLUMNS))


def _columns(raw: pd.DataFrame, path: Path) -> dict[str, str | None]:
    """Which header holds what; a workbook without `Sentence` or a speaker column is an error."""
    names = {str(c).strip().casefold(): str(c) for c in raw.columns}
    sentence = names.get("sentence")
    if sentence is None:
        raise InputError(
            f"no Sentence column (columns: {', '.join(map(str, raw.columns)) or 'none'})",
            path=path,
        )
    speaker = names.get("speaker")
    order = [str(c) for c in raw.columns]
    if speaker is None:  # one file has `S` where `Speaker` belongs: right before `Sentence`
        before = order[order.index(sentence) - 1] if order.index(sentence) else None
        if before is not None and before.strip().casefold() in ("s", "speakers"):
            speaker = before
    if speaker is None:
        raise InputError(
            f"no Speaker column (columns: {', '.join(order)})",
            path=path,
        )
    time = next(
        (names[n] for n in _TIME_NAMES if n in names and names[n] != speaker),
        None,
    )
    return {
        "sentence": sentence,
        "speaker": speaker,
        "turn": names.get("turn"),
        "time": time,
        "teacher_tag": names.get("teacher tag"),
        "student_tag": names.get("student tag"),
    }


def _cell_text(value: Any) -> str:
    """A cell as text: '' for empty, whole floats without `.0`, anything else as str."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _turn(value: Any, where: str, report: _Report) -> int | None:
    text = _cell_text(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,9}", text):
        return int(text)
    m = re.fullmatch(r"(\d{1,9})\s*[).:]", text)  # `12)` in one file
    report.turns_not_numbers[text] += 1
    return int(m.group(1)) if m else None


def _roles(
    speaker: list[str], teacher_tag: list[str], student_tag: list[str], where: str, rep: _Report
) -> tuple[list[str], list[str]]:
    """Each sentence's role: from the written speaker, else from the tags that speaker's
    sentences carry in the lesson (of their tagged sentences, >= 80% carry a student tag, or
    >= 80% only a teacher tag and one at least is a talk move, so that a video or an intercom
    coded `1 - none` throughout stays `other`), else `other` (reported)."""
    decided = {s: role_from_speaker(s) for s in set(speaker)}
    by_tags: dict[str, str] = {}
    for s in (s for s, r in decided.items() if not r):
        rows = [i for i, x in enumerate(speaker) if x == s]
        tagged = [i for i in rows if teacher_tag[i] or student_tag[i]] or [-1]
        student = sum(1 for i in tagged if i >= 0 and student_tag[i]) / len(tagged)
        teacher = sum(1 for i in tagged if i >= 0 and not student_tag[i]) / len(tagged)
        if student >= ROLE_BY_TAGS:
            by_tags[s] = "student"
        elif teacher >= ROLE_BY_TAGS and any(_is_move(teacher_tag[i]) for i in rows):
            by_tags[s] = "teacher"
        else:
            by_tags[s] = "other"
        rep.speakers_by_tags[(s or "(blank)", by_tags[s])] += len(rows)
        if by_tags[s] == "other":
            rep.unknown_speakers[s or "(blank)"] += len(rows)
            rep.unknown_where.setdefault(s or "(blank)", where)
    roles = [decided[s] or by_tags[s] for s in speaker]
    sources = [
        "speaker" if decided[s] else ("tags" if by_tags[s] != "other" else "") for s in speaker
    ]
    return roles, sources


def _is_move(tag: str) -> bool:
    return parse_tag(tag, MOVES["teacher"]).move not in ("", "none", "context")


def _history(roles: list[str], text: list[str], n: int) -> list[str]:
    lines = [f"{_ROLE_LABEL[r]}: {t}" for r, t in zip(roles, text, strict=True)]
    if not n:
        return [""] * len(lines)
    return ["\n".join(lines[max(0, i - n) : i]) for i in range(len(lines))]


def _datasheet(path: str | os.PathLike, files: list[tuple[str, Path]]) -> Path | None:
    """The corpus's datasheet: in the folder given, or next to the subset folders or file."""
    p = resolve_input(path)
    start = p if p.is_dir() else p.parent
    for folder in (start, start.parent):
        found = sorted(folder.glob(DATASHEET_GLOB)) if folder.is_dir() else []
        if found and (folder == start or _subset_of(start)):
            return found[0]
    return None


class _Report:
    """Counts of everything odd, gathered while reading; `summary()` as plain data."""

    EXAMPLES = 5

    def __init__(self) -> None:
        self.layouts: Counter = Counter()
        self.tags: dict[str, Counter] = {"teacher": Counter(), "student": Counter()}
        self.variants: dict[str, dict[str, Counter]] = {"teacher": {}, "student": {}}
        self.not_codes: dict[str, Counter] = {"teacher": Counter(), "student": Counter()}
        self.not_code_where: dict[str, list[str]] = {"teacher": [], "student": []}
        self.missing_tag_columns: Counter = Counter()
        self.speakers_by_tags: Counter = Counter()
        self.unknown_speakers: Counter = Counter()
        self.unknown_where: dict[str, str] = {}
        self.turns_not_numbers: Counter = Counter()
        self.empty_sentences = 0
        self.file_names: dict[str, list[str]] = {"unparsed": [], "unknown_term": []}
        self.datasheet: dict[str, Any] = {}

    def tag(self, side: str, tag: Any, where: str) -> None:
        self.tags[side][tag.form] += 1
        if tag.form in ("coded", "bare"):
            self.variants[side].setdefault(tag.move, Counter())[tag.written] += 1
        elif tag.form == "not_code":
            self.not_codes[side][tag.written] += 1
            if len(self.not_code_where[side]) < self.EXAMPLES:
                self.not_code_where[side].append(where)

    def summary(self) -> dict[str, Any]:
        return {
            "column_layouts": dict(self.layouts.most_common()),
            "tags": {s: dict(c) for s, c in self.tags.items()},
            "tag_variants": {
                s: {m: dict(c.most_common()) for m, c in v.items()}
                for s, v in self.variants.items()
            },
            "not_codes": {s: dict(c.most_common()) for s, c in self.not_codes.items()},
            "not_code_examples": self.not_code_where,
            "missing_tag_columns": dict(self.missing_tag_columns),
            "speakers_by_tags": [
                {"speaker": s, "role": r, "sentences": n}
                for (s, r), n in self.speakers_by_tags.most_common()
            ],
            "unknown_speakers": dict(self.unknown_speakers.most_common()),
            "turns_not_numbers": dict(self.turns_not_numbers.most_common()),
            "empty_sentences": self.empty_sentences,
            "file_names": self.file_names,
            "datasheet": self.datasheet,
        }

    def warnings(self) -> list[str]:
        out = []
        for side in ("teacher", "student"):
            bad = self.not_codes[side]
            if bad:
                shown = ", ".join(f"{k!r} x{n}" for k, n in bad.most_common(6))
                out.append(
                    f"{_n(sum(bad.values()), side + ' tag')} "
                    f"{'is not a code' if sum(bad.values()) == 1 else 'are not codes'}, "
                    f"left uncoded: {shown} "
                    f"(e.g. {', '.join(self.not_code_where[side][:2])})"
                )
            bare = self.tags[side].get("bare", 0)
            if bare:
                out.append(
                    f"{_n(bare, side + ' tag')} written as a bare code number (mapped by it)"
                )
            if self.missing_tag_columns[side]:
                out.append(
                    f"{self.missing_tag_columns[side]} lessons have no {side.title()} Tag column"
                )
        if self.unknown_speakers:
            n = sum(self.unknown_speakers.values())
            shown = ", ".join(f"{k!r}" for k, _ in self.unknown_speakers.most_common(5))
            out.append(
                f"{n:,} sentences by {_n(len(self.unknown_speakers), 'speaker')} neither named as "
                f"teacher or student nor coded as one: role 'other' ({shown}, ...)"
            )
        inferred = sum(n for (_, r), n in self.speakers_by_tags.items() if r != "other")
        if inferred:
            out.append(
                f"{inferred:,} sentences by named speakers (e.g. first names) got their role "
                "from the tags their sentences carry (role_source 'tags')"
            )
        if self.turns_not_numbers:
            n = sum(self.turns_not_numbers.values())
            out.append(f"{_n(n, 'Turn cell')} not a plain number (e.g. '12)'; the number kept)")
        if self.empty_sentences:
            out.append(f"{_n(self.empty_sentences, 'row')} without a sentence (kept, empty text)")
        if self.file_names["unparsed"] or self.file_names["unknown_term"]:
            out.append(
                "TalkBack file names not fully parsed: "
                + ", ".join(self.file_names["unparsed"] + self.file_names["unknown_term"])
            )
        ds = self.datasheet
        parts = [
            f"{_n(len(ds.get(key, [])), noun)} {what}"
            for key, noun, what in (
                ("unmatched_files", "lesson", "without a datasheet row"),
                ("ambiguous", "lesson", "matching differing rows"),
            )
            if ds.get(key)
        ]
        if parts:
            rows = len(ds.get("unmatched_rows", []))
            out.append(
                f"datasheet: {' and '.join(parts)} (its columns left empty); "
                f"{_n(rows, 'datasheet row')} matching no file"
            )
        return out


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
