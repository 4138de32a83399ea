"""MathDial's interactive tutoring metrics for one conversation: Success@k and Telling@k.

The rules are those of MathDial's scorer (Macina et al., Findings of EMNLP 2023;
github.com/eth-nlped/mathdial, `interactivetutoring/evaluate.py`), restated here so that edukit's
numbers equal the reference's on the same file:

- The answer is the last line of the ground-truth solution (split on newlines, and then on a
  literal backslash-n, which MathDial's files also contain), stripped.
- A turn mentions the answer when one of the numbers in it equals the answer. Numbers are runs of
  ASCII digits with an optional decimal part (`[0-9]+(\\.[0-9]+)?`), found after every comma is
  deleted (so `1,234` is 1234, and `3,4` is 34). An answer that `float()` reads is compared as a
  float with an absolute tolerance of 1e-7: `12.0`, `$12` and `-12` mention 12 (signs are not
  part of numbers), `120` and `3.12` do not. Any other answer must equal one of the number
  strings exactly.
- A conversation is the column's text split on `<EOM>`; a turn belongs to a role when, stripped,
  it starts with `Teacher:` or `Student:` (case-sensitive). Other turns are ignored.
- `first_mention(role)` is the number of that role's turns *before* the first turn that mentions
  the answer, counted from 0, or None when none does. The teacher's greeting is the teacher's turn
  0 and the student's walk-through of its incorrect solution is the student's turn 0.
- Success@k: the student's first mention is at most k. Telling@k: the teacher's first mention is
  at most min(student's first mention, k) (no mention counts as infinitely late).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

EOM = "<EOM>"
TEACHER = "Teacher"
STUDENT = "Student"
TOLERANCE = 1e-7

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def numbers_in(text: str) -> list[str]:
    """The number strings MathDial's scorer sees in `text` (commas deleted first)."""
    return _NUMBER.findall(text.replace(",", ""))


def mentions_answer(text: str, answer: str) -> bool:
    """Whether a number in `text` equals `answer` (as floats when `answer` reads as one)."""
    numbers = numbers_in(text)
    answer = answer.replace(",", "")
    try:
        target = float(answer)
    except ValueError:
        return answer in numbers
    return any(abs(target - float(n)) < TOLERANCE for n in numbers)


def reference_answer(ground_truth: str) -> str:
    """The answer MathDial's scorer takes from a ground-truth solution: its last line."""
    last = ground_truth.split("\n")[-1].strip()
    return last.split("\\n")[-1].strip()


def split_turns(conversation: str, eom: str = EOM) -> list[str]:
    """A conversation as written in MathDial's output files, split into turns."""
    return conversation.split(eom)


def first_mention(role: str, turns: Sequence[str], answer: str) -> int | None:
    """How many of `role`'s turns come before its first one mentioning `answer` (None: never)."""
    prefix = f"{role}:"
    count = 0
    for turn in turns:
        turn = turn.strip()
        if turn.startswith(prefix):
            if mentions_answer(turn, answer):
                return count
            count += 1
    return None


@dataclass(frozen=True)
class Outcome:
    """Where the answer first appears in one conversation, per role (None: never)."""

    student: int | None
    teacher: int | None

    def success(self, k: int) -> bool:
        """Success@k: the student states the answer within k of its turns (counted from 0)."""
        return self.student is not None and self.student <= k

    def telling(self, k: int) -> bool:
        """Telling@k: the teacher states the answer no later than the student, and within k."""
        student = math.inf if self.student is None else self.student
        return self.teacher is not None and self.teacher <= min(student, k)


def outcome(turns: Sequence[str], answer: str) -> Outcome:
    """The first mentions of `answer` by the student and by the teacher in `turns`."""
    return Outcome(first_mention(STUDENT, turns, answer), first_mention(TEACHER, turns, answer))


def rate_at_k(outcomes: Sequence[Outcome], k: int, metric: str) -> float:
    """Success@k or Telling@k over conversations, summed in MathDial's order.

    The reference adds `outcome / n` problem by problem; the same floating-point sum (rather than
    count / n, which can differ in the last bit) makes the numbers equal to the reference's.
    """
    n = len(outcomes)
    if n == 0:
        return math.nan
    total = 0.0
    for o in outcomes:
        total += (o.success(k) if metric == "success" else o.telling(k)) / n
    return total
