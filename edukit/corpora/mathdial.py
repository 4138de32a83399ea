"""MathDial tutoring dialogues (Macina et al., Findings of EMNLP 2023) as tidy tables.

Reads the GitHub files (`data/test.csv`, `data/test.jsonl`) and the Hugging Face JSONL, where every
value is a string and newlines are the two characters backslash-n. Each `conversation` is a string
of turns separated by `|EOM|`; a turn starts with `Teacher: (move)text`, `Student: text` or, in
some dialogues, the student's name (`Cody: text`) instead of `Student:`.

Normalised between formats: `qid` is text ("6000025" from CSV, JSON int or HF string), Likert
ratings are nullable ints (CSV "4", JSON 4.0, HF "4"), and missing teacher annotations are missing
whether the file had an empty cell (CSV) or `null` (JSON).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

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
_TAG = re.compile(r"\(\s*([^\W\d_][\w-]*)\s*\)")
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
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found" if not p.exists() else "not a file", path=path)
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
    """The gold teacher moves as a long annotation table (rater `gold`, label `move`)."""
    tagged = utterances[(utterances["speaker"] == "teacher") & (utterances["move"] != "")]
    return pd.DataFrame(
        {
            "item_id": tagged["item_id"].to_numpy(),
            "rater": "gold",
            "label": "move",
            "value": tagged["move"].to_numpy(),
            "version": "",
        }
    )


def _read_csv(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise InputError("empty file (no header)", path=path) from exc
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[0]
        m = re.search(r"line (\d+)", msg)
        raise InputError(
            f"malformed CSV: {msg.split('C error: ')[-1]}",
            path=path,
            where=int(m.group(1)) if m else None,
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from exc
    _check_columns(path, df.columns, where=1)
    # Line of a one-line record (header is line 1), as edukit.corpora.tables numbers CSV rows.
    return {c: df[c].tolist() for c in SOURCE_COLUMNS}, list(range(2, len(df) + 2))


def _read_jsonl(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    cols: dict[str, list[Any]] = {c: [] for c in SOURCE_COLUMNS}
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON: {exc.msg}", path=path, where=lineno) from exc
                if not isinstance(obj, dict):
                    raise InputError("expected a JSON object", path=path, where=lineno)
                _check_columns(path, obj.keys(), where=lineno)
                # Hugging Face rows hold only strings, with newlines escaped as backslash-n.
                hf = isinstance(obj["qid"], str)
                for c in SOURCE_COLUMNS:
                    v = obj[c]
                    cols[c].append(v.replace("\\n", "\n") if hf and isinstance(v, str) else v)
                lines.append(lineno)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from exc
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


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _verb(count: int) -> str:
    return "starts" if count == 1 else "start"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _text(v: Any) -> str:
    return "" if _missing(v) else str(v)


def _annotation(v: Any) -> Any:
    return pd.NA if _missing(v) else str(v).strip()


def _integer(v: Any, column: str, path: Path, line: int) -> Any:
    """1-5 Likert and scenario values: JSON 4.0, CSV "4" and HF "4" all become 4."""
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


def _parse(path: Path, rows: dict[str, list[Any]], lines: list[int]) -> MathDial:
    stem = path.stem
    n = len(lines)
    d_ids: list[str] = []
    qids: list[str] = []
    names: list[str] = []
    n_turns: list[int] = []
    # utterance columns, built as flat lists (one append per turn, no per-row frames)
    u_dialogue: list[str] = []
    u_turn: list[int] = []
    u_speaker: list[str] = []
    u_move: list[str] = []
    u_text: list[str] = []
    u_history: list[str] = []
    u_row: list[int] = []  # dialogue row of each turn, to broadcast dialogue fields
    name_turns = 0
    name_dialogues = 0
    other_names: Counter[str] = Counter()
    tag_only = 0
    untagged = 0
    unknown: Counter[str] = Counter()

    speaker_match = _SPEAKER.match
    tag_match = _TAG.match
    conversations = rows["conversation"]
    profiles = rows["student_profile"]
    for i in range(n):
        line = lines[i]
        dialogue_id = f"{stem}-{i}"
        qid = _qid(rows["qid"][i], path, line)
        name = _student_name(_text(profiles[i]))
        conversation = conversations[i]
        if _missing(conversation) or not isinstance(conversation, str):
            raise InputError(f"dialogue {dialogue_id}: empty conversation", path=path, where=line)
        history: list[str] = []
        by_name = 0
        for turn, raw in enumerate(conversation.split(SEPARATOR)):
            m = speaker_match(raw)
            if m is None:
                raise InputError(
                    f"malformed conversation in dialogue {dialogue_id}: turn {turn} has no "
                    f"'Teacher:' or 'Student:' prefix: {raw.strip()[:40]!r}",
                    path=path,
                    where=line,
                )
            who = m.group(1)
            pos = m.end()
            move = ""
            if who.lower() == "teacher":
                speaker = "teacher"
                t = tag_match(raw, pos)
                if t is not None:
                    move = t.group(1).lower()
                    pos = t.end()
                    if move not in MOVES:
                        unknown[move] += 1
                else:
                    untagged += 1
            else:
                speaker = "student"
                if who.lower() != "student":
                    if who == name:
                        by_name += 1
                    else:
                        other_names[who] += 1
            text = raw[pos:].strip()
            if speaker == "teacher" and move and not text:
                tag_only += 1
            u_dialogue.append(dialogue_id)
            u_turn.append(turn)
            u_speaker.append(speaker)
            u_move.append(move)
            u_text.append(text)
            u_history.append("\n".join(history))
            u_row.append(i)
            history.append(("Teacher: " if speaker == "teacher" else "Student: ") + text)
        if by_name:
            name_turns += by_name
            name_dialogues += 1
        d_ids.append(dialogue_id)
        qids.append(qid)
        names.append(name)
        n_turns.append(len(history))

    annotations = {
        src: [_annotation(v) for v in rows[src]]
        for src in ("teacher_described_confusion", "self-correctness")
    }
    not_annotated = sum(all(_missing(rows[c][i]) for c in SOURCE_COLUMNS[6:10]) for i in range(n))
    dialogues = pd.DataFrame(
        {
            "dialogue_id": d_ids,
            "qid": qids,
            "scenario": pd.array(
                [
                    _integer(v, "scenario", path, ln)
                    for v, ln in zip(rows["scenario"], lines, strict=True)
                ],
                dtype="Int64",
            ),
            "question": [_text(v) for v in rows["question"]],
            "ground_truth": [_text(v) for v in rows["ground_truth"]],
            "student_incorrect_solution": [_text(v) for v in rows["student_incorrect_solution"]],
            "student_profile": [_text(v) for v in profiles],
            "student_name": names,
            "teacher_described_confusion": pd.array(
                annotations["teacher_described_confusion"], dtype="string"
            ),
            "self_correctness": pd.array(annotations["self-correctness"], dtype="string"),
            **{
                col: pd.array(
                    [_integer(v, src, path, ln) for v, ln in zip(rows[src], lines, strict=True)],
                    dtype="Int64",
                )
                for col, src in (
                    ("self_typical_confusion", "self-typical-confusion"),
                    ("self_typical_interactions", "self-typical-interactions"),
                )
            },
            "n_turns": pd.array(n_turns, dtype="int64"),
        },
        columns=list(DIALOGUE_COLUMNS),
    )

    row_index = pd.array(u_row, dtype="int64")
    utterances = pd.DataFrame(
        {
            "item_id": [f"{d}:{t}" for d, t in zip(u_dialogue, u_turn, strict=True)],
            "dialogue_id": u_dialogue,
            "qid": dialogues["qid"].to_numpy()[row_index],
            "turn": pd.array(u_turn, dtype="int64"),
            "speaker": u_speaker,
            "move": u_move,
            "text": u_text,
            "question": dialogues["question"].to_numpy()[row_index],
            "student_incorrect_solution": dialogues["student_incorrect_solution"].to_numpy()[
                row_index
            ],
            "history": u_history,
        },
        columns=list(UTTERANCE_COLUMNS),
    )

    warnings: list[str] = []
    for tag, count in sorted(unknown.items()):
        warnings.append(
            f"unknown move tag '({tag})' in {_n(count, 'teacher turn')}: kept as move '{tag}'"
        )
    if untagged:
        warnings.append(f"{_n(untagged, 'teacher turn')} without a move tag: move left empty")
    if tag_only:
        warnings.append(f"{_n(tag_only, 'teacher turn')} with a move tag and no text")
    if name_turns:
        warnings.append(
            f"{_n(name_turns, 'student turn')} in {_n(name_dialogues, 'dialogue')} "
            f"{_verb(name_turns)} with the student's name instead of 'Student:'"
        )
    for who, count in sorted(other_names.items()):
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
