"""MRBench tutor responses (Maurya et al., NAACL 2025) as tidy tables.

Reads the four JSON files of the release: `MRBench_V1.json` and `MRBench_V2.json` (responses under
`anno_llm_responses`, 8 dimensions), `mrbench_v3_devset.json` (`tutor_responses`, 4 dimensions,
the BEA 2025 shared task's data) and `mrbench_v3_testset.json` (`tutor_responses`, no labels,
tutors anonymised). Quirks handled here:

- `conversation_id` is not unique (V1 repeats 4 ids with the same history and other responses):
  a dialogue id is the conversation id when it is unique in the file, else the id plus a short
  hash of the history and the responses, so ids are unique and the same on every read.
- Histories use NBSP and `"\\xa0\\n\\xa0"` between turns and student turns span several lines:
  turns are split on a newline followed by a speaker prefix (`Tutor:`, `Student:`, and the one
  `Turor:` typo), never on a newline alone.
- The humanlikeness key is lower case in the files; edukit's label is `Humanlikeness`.
- `Split` is the split of the source corpus (MathDial or Bridge), not MRBench's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.resources import resolve_input

if TYPE_CHECKING:
    import pandas as pd

# Canonical label names, in the paper's order, and the key each has in the files.
DIMENSIONS = (
    "Mistake_Identification",
    "Mistake_Location",
    "Revealing_of_the_Answer",
    "Providing_Guidance",
    "Actionability",
    "Coherence",
    "Tutor_Tone",
    "Humanlikeness",
)
SHARED_TASK_DIMENSIONS = DIMENSIONS[:2] + DIMENSIONS[3:5]
_FILE_KEYS = {"humanlikeness": "Humanlikeness"}
FILE_KEY = {v: k for k, v in _FILE_KEYS.items()}  # canonical name -> key in the files
_CANONICAL = {d.casefold(): d for d in DIMENSIONS}  # a key spelled in another case


def response_id(dialogue_id: str, tutor: str) -> str:
    """`<dialogue_id>:<tutor>`, with `%` and `:` inside either part percent-escaped, so that
    dialogue `7:GPT4` with tutor `X` and dialogue `7` with tutor `GPT4:X` get different ids
    (ids without those characters read as before: `291616268:GPT4`)."""

    def esc(part: str) -> str:
        return part.replace("%", "%25").replace(":", "%3A")

    return f"{esc(str(dialogue_id))}:{esc(str(tutor))}"


# Declared category order per dimension (best first for the ordinal ones), as spelled in the data.
YES_SCALE = ("Yes", "To some extent", "No")
CATEGORIES: dict[str, tuple[str, ...]] = {
    **{d: YES_SCALE for d in DIMENSIONS},
    "Revealing_of_the_Answer": (
        "No",
        "Yes (and the answer is correct)",
        "Yes (but the answer is incorrect)",
    ),
    "Tutor_Tone": ("Encouraging", "Neutral", "Offensive"),
}

# The dialogue context each response row and each dialogue row carries.
_CONTEXT_COLUMNS = ("data", "split", "topic", "ground_truth", "history", "turns")
RESPONSE_COLUMNS = (
    "item_id",
    "text",
    "dialogue_id",
    "conversation_id",
    "tutor",
    *_CONTEXT_COLUMNS,
    "response_raw",
)
DIALOGUE_COLUMNS = (
    "dialogue_id",
    "conversation_id",
    *_CONTEXT_COLUMNS,
    "n_turns",
    "tutors",
    "n_responses",
)
ANNOTATION_COLUMNS = ("item_id", "rater", "label", "value", "version", "conversation_id", "tutor")

_RESPONSE_KEYS = ("anno_llm_responses", "tutor_responses")
# A turn starts at the beginning of the history or after a newline, with a speaker and a colon.
_TURN = re.compile(r"(?:^|\n)[ \t\xa0]*(Tutor|Turor|Student)[ \t\xa0]*:", re.I)
_MISSING_TEXT = {"", "not available", "n/a", "na", "none"}


@dataclass
class MRBench:
    """One MRBench file: a row per dialogue, per response, per gold label, and what was odd."""

    dialogues: pd.DataFrame
    responses: pd.DataFrame
    annotations: pd.DataFrame
    version: str  # "v1/v2" (8 dimensions, source metadata) or "v3" (tutor_responses)
    dimensions: tuple[str, ...]  # the labelled dimensions present (empty for the test set)
    warnings: list[str] = field(default_factory=list)


def is_mrbench(path: str | os.PathLike) -> bool:
    """True for a `.json` file whose first record has the MRBench keys (reads only a prefix)."""
    p = resolve_input(path)
    if p.suffix.lower() != ".json":
        return False
    try:
        if not p.is_file():  # inside the try: is_file raises for a 300-character name
            return False
        with p.open(encoding="utf-8-sig") as fh:
            head = fh.read(65536)
    except (OSError, UnicodeDecodeError):
        return False
    return (
        head.lstrip().startswith("[")
        and '"conversation_history"' in head
        and (any(f'"{k}"' in head for k in _RESPONSE_KEYS))
    )


def clean_text(text: str) -> str:
    """NBSP to spaces, surrounding whitespace removed (internal newlines kept)."""
    return text.replace("\xa0", " ").strip()


def split_turns(history: str) -> list[dict[str, str]]:
    """The turns of a history: `[{"speaker": "Tutor"|"Student", "text": ...}, ...]`.

    A turn starts at a newline followed by `Tutor:`, `Student:` (or the `Turor:` typo), so that
    multi-line student answers stay one turn. Text before the first prefix becomes a Tutor turn.
    """
    turns: list[dict[str, str]] = []
    matches = list(_TURN.finditer(history))
    if not matches:
        text = clean_text(history)
        return [{"speaker": "Tutor", "text": text}] if text else []
    lead = clean_text(history[: matches[0].start()])
    if lead:
        turns.append({"speaker": "Tutor", "text": lead})
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        end = nxt.start() if nxt is not None else len(history)
        speaker = "Student" if m.group(1).lower() == "student" else "Tutor"
        turns.append({"speaker": speaker, "text": clean_text(history[m.end() : end])})
    return turns


def format_turns(turns: list[dict[str, str]]) -> str:
    """The history as clean text, one `Speaker: text` turn after another."""
    return "\n".join(f"{t['speaker']}: {t['text']}" for t in turns)


def read_mrbench(path: str | os.PathLike) -> MRBench:
    """Read an MRBench JSON file (V1, V2, V3 dev or V3 test) into tidy tables.

    Response item ids are `<dialogue_id>:<tutor>` with the tutor as spelled in the file (`%` and
    `:` inside either part percent-escaped: `response_id`). An annotation key in another case
    (`mistake_identification`) is read as its dimension; two keys of one response that give one
    label are an error, never counted twice. Gold
    annotations are the long table (rater `gold`, canonical label names, values as spelled in
    the data) with `conversation_id` and `tutor` riding along for clustered intervals.
    """
    import pandas as pd

    p = resolve_input(path)
    records = load_records(p)
    warnings: list[str] = []
    key = _RESPONSE_KEYS[0] if _RESPONSE_KEYS[0] in records[0] else _RESPONSE_KEYS[1]
    version = "v1/v2" if key == "anno_llm_responses" else "v3"
    ids = _dialogue_ids(records, key, p)
    dialogues, responses, gold = [], [], []
    typos = 0
    unknown: Counter[str] = Counter()
    respelled: Counter[str] = Counter()
    for n, (rec, did) in enumerate(zip(records, ids, strict=True)):
        where = f"record {n + 1}"
        history = rec["conversation_history"]
        typos += len(re.findall(r"(?:^|\n)[ \t\xa0]*Turor[ \t\xa0]*:", history))
        turns = split_turns(history)
        clean_history = format_turns(turns)
        turns_json = json.dumps(turns, ensure_ascii=False)
        meta = {
            "data": _opt(rec.get("Data")),
            "split": _opt(rec.get("Split")),
            "topic": _opt(rec.get("Topic")),
            "ground_truth": _opt(rec.get("Ground_Truth_Solution")),
        }
        tutors = rec[key]
        cid = str(rec["conversation_id"])
        for tutor, body in tutors.items():
            item_id = response_id(did, tutor)
            raw = body["response"]
            responses.append(
                {
                    "item_id": item_id,
                    "text": clean_text(raw),
                    "dialogue_id": did,
                    "conversation_id": cid,
                    "tutor": tutor,
                    **meta,
                    "history": clean_history,
                    "turns": turns_json,
                    "response_raw": raw,
                }
            )
            seen: dict[str, str] = {}  # label (casefolded) -> the key that gave it
            for file_key, value in (body.get("annotation") or {}).items():
                label = _FILE_KEYS.get(file_key) or _CANONICAL.get(file_key.casefold(), file_key)
                if label.casefold() in seen:  # one response, one label: never counted twice
                    raise InputError(
                        f"annotation keys {seen[label.casefold()]!r} and {file_key!r} differ "
                        f"only by case (both are label {label}): keep one",
                        path=p,
                        where=f"{where}, {tutor}",
                    )
                seen[label.casefold()] = file_key
                if label != file_key and file_key not in _FILE_KEYS:
                    respelled[file_key] += 1
                if label not in CATEGORIES:
                    unknown[file_key] += 1
                elif value not in CATEGORIES[label]:
                    raise InputError(
                        f"{file_key} has unknown value {value!r} (expected one of "
                        f"{', '.join(CATEGORIES[label])})",
                        path=p,
                        where=f"{where}, {tutor}",
                    )
                gold.append((item_id, "gold", label, value, "", cid, tutor))
        dialogues.append(
            {
                "dialogue_id": did,
                "conversation_id": cid,
                **meta,
                "history": clean_history,
                "turns": turns_json,
                "n_turns": len(turns),
                "tutors": ";".join(tutors),
                "n_responses": len(tutors),
            }
        )
    if typos:
        warnings.append(f"{typos} turn(s) start with the typo 'Turor:': read as Tutor turns")
    for k, c in sorted(respelled.items()):
        label = _CANONICAL[k.casefold()]
        warnings.append(f"annotation key {k!r} in {c} response(s): read as label {label!r}")
    for k, c in sorted(unknown.items()):
        warnings.append(f"unknown annotation key {k!r} in {c} response(s): kept as label {k!r}")
    repeated = len(ids) - len({str(r["conversation_id"]) for r in records})
    if repeated:
        warnings.append(
            f"{repeated} conversation id(s) repeat an earlier one: dialogue ids get a short hash"
        )
    ann = pd.DataFrame(gold, columns=list(ANNOTATION_COLUMNS))
    present = set(ann["label"])
    return MRBench(
        dialogues=pd.DataFrame(dialogues, columns=list(DIALOGUE_COLUMNS)),
        responses=pd.DataFrame(responses, columns=list(RESPONSE_COLUMNS)),
        annotations=ann,
        version=version,
        dimensions=tuple(d for d in DIMENSIONS if d in present),
        warnings=warnings,
    )


def gold_annotations(path: str | os.PathLike) -> pd.DataFrame:
    """The gold labels of an MRBench file as a long annotation table (rater `gold`)."""
    return read_mrbench(path).annotations


def _opt(value: Any) -> str | None:
    if value is None:
        return None
    text = clean_text(str(value))
    return None if text.lower() in _MISSING_TEXT else text


def load_records(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The dialogue records of an MRBench file, checked (depth-bounded JSON, required keys)."""
    from edukit.jsonsafe import loads
    from edukit.userfile import read_user_text

    p = Path(path)
    text = read_user_text(p, what="file", limit="data")
    if not text.strip():
        raise InputError("empty file: not an MRBench file", path=p)
    data = loads(text, path=p)
    if not isinstance(data, list) or not data:
        raise InputError("not an MRBench file: expected a non-empty list of dialogues", path=p)
    key = None
    for n, rec in enumerate(data):
        where = f"record {n + 1}"
        if not isinstance(rec, dict):
            raise InputError("dialogue is not a JSON object", path=p, where=where)
        key = key or next((k for k in _RESPONSE_KEYS if k in rec), None)
        missing = [k for k in ("conversation_id", "conversation_history", key) if k not in rec]
        if missing:
            raise InputError(
                "not an MRBench dialogue: missing "
                + ", ".join(repr(m) if m else " or ".join(_RESPONSE_KEYS) for m in missing),
                path=p,
                where=where,
            )
        _check_record(rec, key, p, where)
    return data


def _check_record(rec: dict[str, Any], key: str, p: Path, where: str) -> None:
    """The shapes `read_mrbench` relies on: history text, an object of tutors, each with a
    response text and (optionally) an object of annotations."""
    if not isinstance(rec["conversation_history"], str):
        raise InputError("conversation_history is not text", path=p, where=where)
    if isinstance(rec["conversation_id"], (dict, list)):
        raise InputError("conversation_id is not a text or number", path=p, where=where)
    tutors = rec[key]
    if not isinstance(tutors, dict):
        raise InputError(f"{key} is not an object of tutors", path=p, where=where)
    for tutor, body in tutors.items():
        if not isinstance(body, dict) or not isinstance(body.get("response"), str):
            raise InputError(
                f"tutor {tutor!r} has no response text", path=p, where=f"{where}, {tutor}"
            )
        if not isinstance(body.get("annotation") or {}, dict):
            raise InputError(
                f"tutor {tutor!r}: annotation is not an object", path=p, where=f"{where}, {tutor}"
            )


def _dialogue_ids(records: list[dict[str, Any]], key: str, p: Path) -> list[str]:
    """Conversation id when unique in the file, else id + 8 hex digits of history and responses."""
    counts = Counter(str(r["conversation_id"]) for r in records)
    ids: list[str] = []
    seen: set[str] = set()
    for n, rec in enumerate(records):
        cid = str(rec["conversation_id"])
        did = cid
        if counts[cid] > 1:
            content = json.dumps(
                [rec["conversation_history"], {t: b.get("response") for t, b in rec[key].items()}],
                sort_keys=True,
                ensure_ascii=False,
            )
            did = f"{cid}-{hashlib.sha256(content.encode('utf-8')).hexdigest()[:8]}"
        if did in seen:
            raise InputError(
                f"dialogue {cid!r} appears twice with the same history and responses",
                path=p,
                where=f"record {n + 1}",
            )
        seen.add(did)
        ids.append(did)
    return ids
