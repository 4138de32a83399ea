"""One reviewer's answer to one question, as every tool's reader hands it to `importing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    """`where` names the task or line for error messages (e.g. `task 12`, `line 4`)."""

    where: str
    item_id: str
    annotator: str
    question: str
    codes: list[str]
    time: str = ""
    lead_time: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # selection_rule, selection_probability


@dataclass
class Answers:
    """Everything read from one export: the answers, and the tasks that are not labels."""

    answers: list[Answer] = field(default_factory=list)
    not_labels: dict[str, int] = field(default_factory=dict)  # cancelled/skipped/... -> count

    def skip(self, why: str) -> None:
        self.not_labels[why] = self.not_labels.get(why, 0) + 1
