"""What a rubric hands the annotation engine: one chat request and how to decode its answer.

Plain dataclasses, no heavy imports: the rubric builds them (`Rubric.requests(item)`), the engine
sends them and feeds the parsed JSON back to `Rubric.decode(request, obj)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PromptRequest:
    """One request for one item: the exact messages and the JSON Schema of a valid answer."""

    item_id: str
    key: str  # the decision this request makes: a label name (binary) or the rubric's target
    labels: tuple[str, ...]  # long-table labels this request decides
    version: str  # the rubric label's version (binary) or the rubric's version
    messages: list[dict[str, Any]]  # OpenAI chat messages, static rubric text first
    schema_name: str
    schema: dict[str, Any]  # strict JSON Schema (label enums, optional reasoning first)
    params: dict[str, Any] = field(default_factory=dict)  # model defaults from the rubric


@dataclass(frozen=True)
class Decision:
    """One long-table row decoded from a model answer (before provenance is added)."""

    label: str
    value: int | str  # 0/1 for binary and multi labels, the class name for single-choice
    version: str
    reasoning: str | None = None
