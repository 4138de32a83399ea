"""A rubric as the questions a reviewer answers, and the way back to long-table rows.

One question per decision a reviewer makes:
- `single` rubric: one single-choice question (named after the rubric's target) over the labels;
- `multi` rubric: one multiple-choice question (the rubric's target or name) over the labels; a
  reviewer's choices become 1 for the chosen labels and 0 for the others;
- `binary` rubric: one yes/no question per label (the label's own long-table values);
- `scales` rubric: one single-choice question per label over its categories.

`flat=True` asks a multi rubric's labels one yes/no question each (a spreadsheet column per
label). Option codes are what a tool stores: the class or label name, or `yes`/`no`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

YES, NO = "yes", "no"
_TRUE_WORDS = {"yes", "1", "true", "y"}
_FALSE_WORDS = {"no", "0", "false", "n"}


@dataclass(frozen=True)
class Option:
    code: str  # what the tool stores
    text: str  # what the reviewer sees
    hint: str = ""  # the rubric's definition


@dataclass(frozen=True)
class Question:
    """One decision: `name` (a tool's field name), single or multiple choice, its options, and
    the long-table labels it answers (`labels`; for yes/no questions `values` = (false, true))."""

    name: str
    multiple: bool
    options: tuple[Option, ...]
    hint: str
    labels: tuple[str, ...]
    kind: str  # "yesno", "choice" (one label, class value) or "subset" (labels chosen -> 1)
    values: tuple[Any, Any] = (0, 1)

    @property
    def codes(self) -> list[str]:
        return [o.code for o in self.options]

    def code_for(self, given: str) -> str | None:
        """The option code a reviewer's answer stands for (yes/no spelled any usual way), or
        None when it is not one of the question's options."""
        text = str(given).strip()
        if text in self.codes:
            return text
        if self.kind == "yesno":
            low = text.lower()
            if low in _TRUE_WORDS or low == str(self.values[1]).lower():
                return YES
            if low in _FALSE_WORDS or low == str(self.values[0]).lower():
                return NO
        return None

    def rows(self, codes: Iterable[str]) -> list[tuple[str, Any]]:
        """(label, value) rows for a reviewer's chosen option codes (already valid)."""
        codes = list(codes)
        if self.kind == "yesno":
            return [(self.labels[0], self.values[1] if codes[0] == YES else self.values[0])]
        if self.kind == "choice":
            return [(self.labels[0], codes[0])]
        chosen = set(codes)
        return [
            (label, self.values[1] if label in chosen else self.values[0]) for label in self.labels
        ]

    def answer(self, values: Mapping[str, Any]) -> list[str] | None:
        """A rater's long-table values (label -> value) as option codes; None when the rater
        did not decide every label of the question."""
        if any(label not in values for label in self.labels):
            return None
        if self.kind == "yesno":
            return [YES if _same(values[self.labels[0]], self.values[1]) else NO]
        if self.kind == "choice":
            return [str(values[self.labels[0]])]
        return [label for label in self.labels if _same(values[label], self.values[1])]


def _same(a: Any, b: Any) -> bool:
    return str(a).strip() == str(b).strip()


def questions(rubric: Any, *, flat: bool = False) -> list[Question]:
    """The rubric's questions, in file order (see the module docstring)."""
    spec = rubric.spec
    if rubric.task == "single":
        options = tuple(Option(lab.name, lab.name, _hint(lab)) for lab in spec.labels)
        target = rubric.target or "label"
        return [Question(target, False, options, _oneline(spec.description), (target,), "choice")]
    if rubric.task == "multi" and not flat:
        options = tuple(Option(lab.name, lab.name, _hint(lab)) for lab in spec.labels)
        labels = tuple(lab.name for lab in spec.labels)
        first = spec.labels[0].values or {False: 0, True: 1}
        return [
            Question(
                rubric.target or rubric.name,
                True,
                options,
                _oneline(spec.description),
                labels,
                "subset",
                (first[False], first[True]),
            )
        ]
    out = []
    for lab in spec.labels:
        if rubric.task == "scales":
            options = tuple(
                Option(c.name, c.name, _oneline(c.definition)) for c in lab.categories or []
            )
            out.append(Question(lab.name, False, options, _hint(lab), (lab.name,), "choice"))
        else:
            values = lab.values or {False: 0, True: 1}
            options = (Option(YES, YES), Option(NO, NO))
            out.append(
                Question(
                    lab.name,
                    False,
                    options,
                    _hint(lab),
                    (lab.name,),
                    "yesno",
                    (values[False], values[True]),
                )
            )
    return out


def _hint(label: Any) -> str:
    return _oneline(label.definition)


def _oneline(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def question_for_label(qs: list[Question]) -> dict[str, Question]:
    """Long-table label -> the question that answers it."""
    return {label: q for q in qs for label in q.labels}
