"""MathDial tutoring dialogues (Macina et al., Findings of EMNLP 2023) as tidy tables.

Reads the GitHub files (`data/test.csv`, `data/test.jsonl`) and the Hugging Face JSONL, where every
value is a string and newlines are the two characters backslash-n. Each `conversation` is a string
of turns separated by `|EOM|`; a turn starts with `Teacher: (move)text`, `Student: text` or, in
some dialogues, the student's name (`Cody: text`) instead of `Student:`.

Normalised between formats: `qid` is text ("6000025" from CSV, JSON int or HF string), Likert
ratings are nullable ints (CSV "4", JSON 4.0, HF "4"), and missing teacher annotations are missing
whether the file had an empty cell (CSV) or `null` (JSON).

Column types: text columns hold Python `str` (object dtype; see `_obj`), `turn`/`n_turns` int64,
`scenario` and the Likert ratings nullable `Int64`, `teacher_described_confusion` and
`self_correctness` nullable `string` (`<NA>` when not annotated).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from edukit.corpora.tables import iter_jsonl
from edukit.errors import InputError

MOVES = ("focus", "probing", "telling", "generic")

SOURCE_COLUMNS = (
    "qid",
    "scenario",
    "question",
    "ground_truth",
    "student_incorrect_solution",
    "student_profile",
    "teacher_described_confusion",
    "self-correctness",
    "self-typical-confusion",
    "self-typical-interactions",
    "conversation",
)

DIALOGUE_COLUMNS = (
    "dialogue_id",
    "qid",
    "scenario",
    "question",
    "ground_truth",
    "student_incorrect_solution",
    "student_profile",
    "student_name",
    "teacher_described_confusion",
    "self_correctness",
    "self_typical_confusion",
    "self_typical_interactions",
    "n_turns",
)

UTTERANCE_COLUMNS = (
    "item_id",
    "dialogue_id",
    "qid",
    "turn",
    "speaker",
    "move",
    "text",
    "question",
    "student_incorrect_solution",
    "history",
)

SEPARATOR = "|EOM|"
# A turn opens with a one-word speaker and a colon; a teacher turn then has a one-word move tag.
# A second parenthetical (`(focus)(1 x dozen) = ?`) or one with spaces is text, not a tag.
_SPEAKER = re.compile(r"\s*([^\W\d_][\w'’.-]*)[ \t]*:[ \t]*")
_TAG = re.compile(r"[ \t]*\(\s*([^\W\d_][\w-]*)\s*\)")
_NAME = re.compile(r"\s*([^\W\d_][\w'’-]*)")
_INTEGRAL = re.compile(r"\s*-?\d+(?:\.0*)?\s*")


@dataclass
class MathDial:
    """One MathDial file: a row per dialogue, a row per turn, and what was odd about it."""

    dialogues: pd.DataFrame
    utterances: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def read_mathdial(path: str | os.PathLike) -> MathDial:
    """Read a MathDial CSV or JSONL file (GitHub or Hugging Face layout) into tidy tables.

    Dialogue ids are `<file stem>-<0-based row>` (qid is not unique), utterance ids
    `<dialogue_id>:<turn>`. Errors name the CSV line of a one-line record (header = line 1) or the
    JSONL line.
    """
    from edukit.userfile import check_user_file

    p = path = check_user_file(path, what="file")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        rows, lines = _read_csv(p)
    elif suffix == ".jsonl":
        rows, lines = _read_jsonl(p)
    else:
        raise InputError(
            f"unknown MathDial format {suffix or '(no extension)'!r}; use .csv or .jsonl", path=path
        )
    return _parse(p, rows, lines)


def gold_annotations(utterances: pd.DataFrame) -> pd.DataFrame:
    """The gold teacher moves as a long annotation table (rater `gold`, label `move`).

    `dialogue_id` rides along so that agreement can resample whole dialogues (`--group-col`).
    """
    tagged = utterances[(utterances["speaker"] == "teacher") & (utterances["move"] != "")]
    return pd.DataFrame(
        {
            "item_id": tagged["item_id"].to_numpy(),
            "rater": "gold",
            "label": "move",
            "value": tagged["move"].to_numpy(),
            "version": "",
            "dialogue_id": tagged["dialogue_id"].to_numpy(),
        }
    )


def _read_csv(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    from edukit.corpora.csvfiles import read_csv

    df = read_csv(path, dtype=object, na_empty=False, what="malformed CSV")
    _check_columns(path, df.columns, where=1)
    # Line of a one-line record (header is line 1), as edukit.corpora.tables numbers CSV rows.
    return {c: df[c].tolist() for c in SOURCE_COLUMNS}, list(range(2, len(df) + 2))


def _read_jsonl(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    cols: dict[str, list[Any]] = {c: [] for c in SOURCE_COLUMNS}
    lines: list[int] = []
    from edukit.corpora.csvfiles import decode_error, encoding

    try:
        with path.open(encoding=encoding()) as fh:
            for lineno, obj in iter_jsonl(fh, path):
                _check_columns(path, obj.keys(), where=lineno)
                # Hugging Face rows hold only strings, with newlines escaped as backslash-n.
                hf = isinstance(obj["qid"], str)
                for c in SOURCE_COLUMNS:
                    v = obj[c]
                    cols[c].append(v.replace("\\n", "\n") if hf and isinstance(v, str) else v)
                lines.append(lineno)
    except UnicodeDecodeError as exc:
        raise decode_error(exc, path) from None
    return cols, lines


def _check_columns(path: Path, columns: Any, where: int) -> None:
    missing = [c for c in SOURCE_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"not a MathDial file: missing column{'s' if len(missing) > 1 else ''} "
            + ", ".join(repr(c) for c in missing),
            path=path,
            where=where,
        )


def _obj(values: Any) -> pd.Series:
    # Text columns stay Python strings (object dtype): converting ~100 MB of `history` to
    # pandas' Arrow-backed `str` dtype would cost more than parsing the whole file.
    return pd.Series(values, dtype=object)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _verb(count: int) -> str:
    return "starts" if count == 1 else "start"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _text(v: Any) -> str:
    if type(v) is str:  # the common case, first
        return v if v.strip() else ""
    return "" if _missing(v) else str(v)


def _annotation(v: Any) -> Any:
    return pd.NA if _missing(v) else str(v).strip()


def _integer(v: Any, column: str, path: Path, line: int) -> Any:
    """1-5 Likert and scenario values: JSON 4.0, CSV "4" and HF "4" all become 4."""
    if type(v) is str and v.isdigit():  # the common case, first
        return int(v)
    if _missing(v):
        return pd.NA
    if isinstance(v, bool) or not (
        (isinstance(v, int))
        or (isinstance(v, float) and v.is_integer())
        or (isinstance(v, str) and _INTEGRAL.fullmatch(v))
    ):
        raise InputError(f"{column} is {v!r}, expected a whole number", path=path, where=line)
    return int(float(v))


def _qid(v: Any, path: Path, line: int) -> str:
    if _missing(v):
        raise InputError("empty qid", path=path, where=line)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _student_name(profile: str) -> str:
    # Profiles read "Mariana is a 7th grade student. ..."; the name is the first word.
    m = _NAME.match(profile)
    return m.group(1) if m else ""


@dataclass
class _Turns:
    """The turns of every dialogue as flat columns, plus the counts behind the warnings."""

    n_turns: list[int] = field(default_factory=list)
    speaker: list[str] = field(default_factory=list)
    move: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    untagged: int = 0
    tag_only: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    name_turns: int = 0
    name_dialogues: int = 0
    other_names: Counter[str] = field(default_factory=Counter)


def _split_turns(
    path: Path, conversations: list[Any], d_ids: list[str], names: list[str], lines: list[int]
) -> _Turns:
    """Split every conversation into turns, building each turn's text, move and history.

    One pass, dialogue by dialogue, so each turn is touched while it is in the CPU cache. The
    published spellings (`Teacher: (move)text`, `Student: text`) take a fast path of string
    slicing and `str.isalpha`; every other turn (the student's name, other spacing or case, no
    tag, a tag with spaces or digits) goes through `_general_turn`, which defines the grammar.
    The fast path gives the same answer wherever it applies (tests/corpora/test_mathdial.py).
    """
    out = _Turns()
    add_speaker, add_move, add_text, add_history = (
        out.speaker.append,
        out.move.append,
        out.text.append,
        out.history.append,
    )
    known = frozenset(MOVES)
    unknown = out.unknown
    for i, conversation in enumerate(conversations):
        if not isinstance(conversation, str) or not conversation.strip():
            raise InputError(f"dialogue {d_ids[i]}: empty conversation", path=path, where=lines[i])
        turns = conversation.split(SEPARATOR)
        out.n_turns.append(len(turns))
        before = ""  # the history so far: "Teacher: ...\nStudent: ..."
        by_name = 0
        for turn, raw in enumerate(turns):
            add_history(before)
            if raw.startswith("Teacher: ("):
                j = raw.find(")", 10)
                tag = raw[10:j]
                if j > 0 and tag.isalpha():
                    m = tag.lower()
                    t = raw[j + 1 :].strip()
                    if m not in known:
                        unknown[m] += 1
                    if not t:
                        out.tag_only += 1
                    add_speaker("teacher")
                    add_move(m)
                    add_text(t)
                    before = f"{before}\nTeacher: {t}" if turn else "Teacher: " + t
                    continue
            elif raw.startswith("Student: "):
                t = raw[9:].strip()
                add_speaker("student")
                add_move("")
                add_text(t)
                before = f"{before}\nStudent: {t}" if turn else "Student: " + t
                continue
            # everything else, by the general grammar
            who, m, t, tagged = _general_turn(raw, path, d_ids[i], turn, lines[i])
            if who == "teacher":
                if not tagged:
                    out.untagged += 1
                elif m not in known:
                    unknown[m] += 1
                if tagged and not t:
                    out.tag_only += 1
            elif who != "student":
                if who == names[i]:
                    by_name += 1
                else:
                    out.other_names[who] += 1
                who = "student"
            add_speaker(who)
            add_move(m)
            add_text(t)
            line = ("Teacher: " if who == "teacher" else "Student: ") + t
            before = f"{before}\n{line}" if turn else line
        if by_name:
            out.name_turns += by_name
            out.name_dialogues += 1
    return out


def _general_turn(
    raw: str, path: Path, dialogue_id: str, turn: int, line: int
) -> tuple[str, str, str, bool]:
    """One turn by the full grammar: (speaker as written or `teacher`/`student`, move, text,
    whether a move tag was found). Student turns opened by a name return that name."""
    m = _SPEAKER.match(raw)
    if m is None:
        raise InputError(
            f"malformed conversation in dialogue {dialogue_id}: turn {turn} has no "
            f"'Teacher:' or 'Student:' prefix: {raw.strip()[:40]!r}",
            path=path,
            where=line,
        )
    who, end = m.group(1), m.end()
    if who.lower() == "teacher":
        t = _TAG.match(raw, end)
        if t is None:
            return "teacher", "", raw[end:].strip(), False
        return "teacher", t.group(1).lower(), raw[t.end() :].strip(), True
    return ("student" if who.lower() == "student" else who), "", raw[end:].strip(), False


def _parse(path: Path, rows: dict[str, list[Any]], lines: list[int]) -> MathDial:
    stem = path.stem
    n = len(lines)
    if n == 0:
        raise InputError("no dialogues: the file has a header but no rows", path=path)
    d_ids = [f"{stem}-{i}" for i in range(n)]
    names = [_student_name(_text(v)) for v in rows["student_profile"]]
    turns = _split_turns(path, rows["conversation"], d_ids, names, lines)
    n_turns = turns.n_turns

    qids = [_qid(v, path, ln) for v, ln in zip(rows["qid"], lines, strict=True)]
    questions = [_text(v) for v in rows["question"]]
    solutions = [_text(v) for v in rows["student_incorrect_solution"]]

    def ints(src: str) -> list[Any]:
        return [_integer(v, src, path, ln) for v, ln in zip(rows[src], lines, strict=True)]

    confusion = [_annotation(v) for v in rows["teacher_described_confusion"]]
    correctness = [_annotation(v) for v in rows["self-correctness"]]
    likert = {src: ints(src) for src in SOURCE_COLUMNS[8:10]}
    not_annotated = sum(
        a is pd.NA and b is pd.NA and c is pd.NA and d is pd.NA
        for a, b, c, d in zip(confusion, correctness, *likert.values(), strict=True)
    )
    dialogues = pd.DataFrame(
        {
            "dialogue_id": _obj(d_ids),
            "qid": _obj(qids),
            "scenario": pd.array(ints("scenario"), dtype="Int64"),
            "question": _obj(questions),
            "ground_truth": _obj([_text(v) for v in rows["ground_truth"]]),
            "student_incorrect_solution": _obj(solutions),
            "student_profile": _obj([_text(v) for v in rows["student_profile"]]),
            "student_name": _obj(names),
            "teacher_described_confusion": pd.array(confusion, dtype="string"),
            "self_correctness": pd.array(correctness, dtype="string"),
            "self_typical_confusion": pd.array(likert["self-typical-confusion"], dtype="Int64"),
            "self_typical_interactions": pd.array(
                likert["self-typical-interactions"], dtype="Int64"
            ),
            "n_turns": np.asarray(n_turns, dtype="int64"),
        },
        columns=list(DIALOGUE_COLUMNS),
    )

    # dialogue fields broadcast to their turns by index, without Python loops
    row = np.repeat(np.arange(n), n_turns)
    turn = np.arange(len(row), dtype="int64") - np.repeat(np.cumsum([0, *n_turns[:-1]]), n_turns)
    dialogue_of_turn = np.asarray(d_ids, dtype=object)[row]
    utterances = pd.DataFrame(
        {
            "item_id": _obj(list(map("{}:{}".format, dialogue_of_turn, turn.tolist()))),
            "dialogue_id": _obj(dialogue_of_turn),
            "qid": _obj(np.asarray(qids, dtype=object)[row]),
            "turn": turn,
            "speaker": _obj(turns.speaker),
            "move": _obj(turns.move),
            "text": _obj(turns.text),
            "question": _obj(np.asarray(questions, dtype=object)[row]),
            "student_incorrect_solution": _obj(np.asarray(solutions, dtype=object)[row]),
            "history": _obj(turns.history),
        },
        columns=list(UTTERANCE_COLUMNS),
    )

    warnings: list[str] = []
    for tag, count in sorted(turns.unknown.items()):
        warnings.append(
            f"unknown move tag '({tag})' in {_n(count, 'teacher turn')}: kept as move '{tag}'"
        )
    if turns.untagged:
        warnings.append(f"{_n(turns.untagged, 'teacher turn')} without a move tag: move left empty")
    if turns.tag_only:
        warnings.append(f"{_n(turns.tag_only, 'teacher turn')} with a move tag and no text")
    if turns.name_turns:
        warnings.append(
            f"{_n(turns.name_turns, 'student turn')} in {_n(turns.name_dialogues, 'dialogue')} "
            f"{_verb(turns.name_turns)} with the student's name instead of 'Student:'"
        )
    for who, count in sorted(turns.other_names.items()):
        warnings.append(
            f"{_n(count, 'turn')} {_verb(count)} with '{who}:', neither Teacher, Student nor "
            "the profile's student name: read as student turns"
        )
    if not_annotated:
        warnings.append(
            f"{_n(not_annotated, 'dialogue')} without teacher annotations (confusion, correctness, "
            "Likert ratings)"
        )
    return MathDial(dialogues=dialogues, utterances=utterances, warnings=warnings)
