"""TalkMoves tag codes, speaker roles and TalkBack file names: the rules, one place.

A tag's leading number is its code, and the code is the label: the words after it were typed by
many hands (`1 - none`, `8 - press for  accuracy`, `8 - PreStudents for Accuracy`,
`3 - gettingSSto relate`) and are kept as written, never used to decide. A bare number in the code
range (`1`, `8`) is mapped and counted; anything else (`128`, `\\`, `7\\`) is not a code and is
reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Canonical move names (valid long-table names), in code order.
TEACHER_MOVES: dict[int, str] = {
    1: "none",
    2: "keeping_everyone_together",
    3: "getting_students_to_relate",
    4: "restating",
    5: "revoicing",
    6: "marking",  # 7 rows; not in the current coding manual
    7: "context",  # mostly on the student sentence a teacher move responds to
    8: "pressing_for_accuracy",
    9: "pressing_for_reasoning",
}
STUDENT_MOVES: dict[int, str] = {
    1: "none",
    2: "relating_to_another_student",
    3: "asking_for_more_information",
    4: "making_a_claim",
    5: "providing_evidence_or_reasoning",
}
MOVES = {"teacher": TEACHER_MOVES, "student": STUDENT_MOVES}

_TAG = re.compile(r"^\s*(\d+)\s*(?:[-\u2013]\s*(.*?))?\s*$", re.S)


@dataclass(frozen=True)
class Tag:
    """One tag cell: `move` is the canonical name ('' when the cell is no code)."""

    written: str  # the cell as text ('' when empty)
    code: int | None
    move: str
    form: str  # "empty", "coded" (N - words), "bare" (a number alone), "not_code"


EMPTY = Tag("", None, "", "empty")


def parse_tag(value: object, moves: dict[int, str]) -> Tag:
    """The code and move of a tag cell (None/NaN is empty; numbers are bare codes)."""
    if value is None or (isinstance(value, float) and value != value):
        return EMPTY
    if isinstance(value, bool):
        return Tag(str(value), None, "", "not_code")
    if isinstance(value, int | float):
        written = str(int(value)) if float(value).is_integer() else str(value)
        code = int(value) if float(value).is_integer() else None
        if code in moves:
            return Tag(written, code, moves[code], "bare")
        return Tag(written, None, "", "not_code")
    written = str(value)
    if written == "":
        return EMPTY
    m = _TAG.match(written)
    if not m or int(m.group(1)) not in moves:
        return Tag(written, None, "", "not_code")
    code = int(m.group(1))
    return Tag(written, code, moves[code], "coded" if m.group(2) is not None else "bare")


# --- speakers ----------------------------------------------------------------------------------

_TITLE = re.compile(r"^(ms|mr|mrs|miss|mx|dr|prof)\b\.?\s*(.*)$", re.I)
_TEACHER = re.compile(r"^(t|teacher|teachers)\s*\d*$|^t\s*/\s*r\s*\d*$", re.I)
_STUDENT = re.compile(r"^(s|ss|sn|student|students|class|whole class)\s*\d*$", re.I)
# share of a speaker's sentences in a lesson that must carry one side's tag for that role
ROLE_BY_TAGS = 0.8


def role_from_speaker(speaker: str) -> str:
    """`teacher`, `student` or '' (not decidable from the written speaker alone)."""
    s = speaker.strip().rstrip(":").strip()
    if not s:
        return ""
    if _TEACHER.match(s):
        return "teacher"
    if _STUDENT.match(s):
        return "student"
    title = _TITLE.match(s)
    if title and title.group(2):
        return "teacher"
    return ""


_ROLE_WORDS = """t s ss sn teacher teachers student students class whole speaker speakers speaking
video male female boy girl man woman lady unknown all everyone someone others both together group
team researcher observer facilitator facilitatior participant participants unison multiple ms mr
mrs miss mx dr prof and or with voice automated machine computer recorded recording playback
presentation camera crew classroom intercom game math message principal over pupil pupils purpose
partner full well sudent sudents teaxher unintelligible inaudible crosstalk unspecified stu mom dad
parent kids narrator announcer audio"""
# never a name: roles, titles, joining words, and what transcribers wrote for non-people
ROLE_WORDS = frozenset(_ROLE_WORDS.split())


def name_tokens(speaker: object) -> list[str]:
    """The personal name in a written speaker, as one phrase: "Ms. Smith" -> ["Smith"],
    "Shelly Gibson" -> ["Shelly Gibson"]; roles ("T1", "Students", "Speaker 2"), recordings
    ("Video playback"), lower-case words and short capitals ("CT", "PA") give nothing."""
    if not isinstance(speaker, str):
        return []
    s = speaker.strip().rstrip(":").strip()
    title = _TITLE.match(s)
    if title:
        s = title.group(2)
    words = [re.sub(r"'s$", "", w.strip(".,;:()[]'\"?!")) for w in re.split(r"[\s/]+", s)]
    words = [
        w
        for w in words
        if w[:1].isupper()
        and sum(c.isalpha() for c in w) >= 2
        and not any(c.isdigit() for c in w)
        and not (w.isupper() and len(w) <= 3)
        and w.casefold() not in ROLE_WORDS
    ]
    return [" ".join(words)] if words else []


# --- TalkBack file names -----------------------------------------------------------------------

_TALKBACK = re.compile(
    r"^TalkBack\.Year(?P<year>\d+)\.(?P<teacher>[A-Za-z'-]+)\.(?:(?P<term>[A-Za-z]+)\.)?"
    r"(?P<date>\d{6})(?P<part>.*)$"
)
TERMS = ("Fall", "Spring", "Summer")


@dataclass(frozen=True)
class TalkBackName:
    """What a Subset 2 file name says: `TalkBack.Year1.Travers.Spring.010920-2`."""

    teacher: str
    study_year: int
    term: str  # as written ('' when the name has none)
    date: str  # ISO date from MMDDYY ('' when not a date)
    part: str  # what follows the date, as written ("-2", "_", "(1)")


def parse_talkback(stem: str) -> TalkBackName | None:
    """The teacher, study year, term, date and part of a TalkBack lesson file name."""
    m = _TALKBACK.match(stem.strip())
    if not m:
        return None
    raw = m.group("date")
    try:
        iso = date(2000 + int(raw[4:]), int(raw[:2]), int(raw[2:4])).isoformat()
    except ValueError:
        iso = ""
    return TalkBackName(
        teacher=m.group("teacher"),
        study_year=int(m.group("year")),
        term=m.group("term") or "",
        date=iso,
        part=m.group("part"),
    )
