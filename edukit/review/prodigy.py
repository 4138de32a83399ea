"""Prodigy: JSONL tasks for its `choice` interface out, its annotated JSONL (`db-out`) in.

Format (https://prodi.gy/docs/api-interfaces#choice, https://prodi.gy/docs/api-loaders#input):
a task is `{"text", "options": [{"id", "text"}], "accept": [ids pre-selected], "meta": {...}}`;
`config.choice_style` is `single` or `multiple`. Annotated tasks add `answer` (`accept`,
`reject` or `ignore`), `_input_hash`, `_task_hash`, `_view_id`, `_timestamp` (Unix seconds),
`_annotator_id` and `_session_id` (https://prodi.gy/docs/api-database,
https://prodi.gy/docs/task-routing#multi-user-sessions).

One task per item and question: one per item for single and multi rubrics (the joint choice),
one per item and label for binary and scales rubrics.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edukit.errors import InputError
from edukit.review.answers import Answer, Answers
from edukit.review.items import ReviewItem
from edukit.review.questions import Question


def tasks(items: list[ReviewItem], qs: list[Question]) -> list[dict[str, Any]]:
    """The JSONL records (one per item and question), the first model's answer pre-selected."""
    out = []
    for item in items:
        for q in qs:
            pred = next((p for p in item.predictions if q.name in p.answers), None)
            options = [
                {"id": o.code, "text": f"{o.text}: {o.hint}" if o.hint else o.text}
                for o in q.options
            ]
            meta: dict[str, Any] = {"item_id": item.item_id, "question": q.name}
            if pred is not None:
                meta["model"] = pred.model
                if pred.score is not None:
                    meta["score"] = pred.score
            meta.update(item.selection_fields())
            meta.update(item.context)
            out.append(
                {
                    "text": item.text,
                    "options": options,
                    "accept": list(pred.answers[q.name]) if pred else [],
                    "meta": meta,
                    "config": {"choice_style": "multiple" if q.multiple else "single"},
                }
            )
    return out


def dumps(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int
    text: str
    style: str | None = None
    image: str | None = None
    html: str | None = None


class _Meta(BaseModel):
    model_config = ConfigDict(extra="allow")  # the context fields and anything a recipe adds
    item_id: str | int
    question: str
    selection_rule: str | None = None
    selection_probability: float | str | None = None


class Record(BaseModel):
    """An annotated task as Prodigy's `db-out` writes it (extra keys refused)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    text: str
    options: list[_Option]
    accept: list[str | int] = []
    meta: _Meta
    answer: Literal["accept", "reject", "ignore"]
    config: dict[str, Any] | None = None
    input_hash: int | None = Field(None, alias="_input_hash")
    task_hash: int | None = Field(None, alias="_task_hash")
    view_id: str | None = Field(None, alias="_view_id")
    timestamp: int | float | None = Field(None, alias="_timestamp")
    annotator_id: str | None = Field(None, alias="_annotator_id")
    session_id: str | None = Field(None, alias="_session_id")
    is_binary: bool | None = Field(None, alias="_is_binary")


def read_export(text: str, path: Any = None, rater: str | None = None) -> Answers:
    """The answers in a Prodigy JSONL export; `reject` and `ignore` are counted, not read."""
    from edukit.jsonsafe import loads

    out = Answers()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        obj = loads(line, path=path, where=f"line {n}", error=InputError)
        if not isinstance(obj, dict):
            raise InputError("not a Prodigy task (a JSON object)", path=path, where=f"line {n}")
        try:
            rec = Record.model_validate(obj)
        except ValidationError as exc:
            e = exc.errors()[0]
            loc = ".".join(str(p) for p in e["loc"])
            msg = "unexpected key" if e["type"] == "extra_forbidden" else e["msg"]
            raise InputError(f"{loc}: {msg}", path=path, where=f"line {n}") from None
        if rec.answer != "accept":
            out.skip(f"{rec.answer}ed tasks" if rec.answer != "ignore" else "ignored tasks")
            continue
        who = rater or rec.annotator_id or rec.session_id
        if not who:
            raise InputError(
                "no _annotator_id or _session_id: name the annotator with --rater",
                path=path,
                where=f"line {n}",
            )
        when = (
            datetime.fromtimestamp(rec.timestamp, tz=UTC).isoformat()
            if rec.timestamp is not None
            else ""
        )
        extra = {
            k: v
            for k, v in (
                ("selection_rule", rec.meta.selection_rule),
                ("selection_probability", rec.meta.selection_probability),
            )
            if v is not None
        }
        out.answers.append(
            Answer(
                where=f"line {n}, annotator {who}",
                item_id=str(rec.meta.item_id).strip(),
                annotator=who,
                question=rec.meta.question,
                codes=[str(a) for a in rec.accept],
                time=when,
                extra=extra,
            )
        )
    return out
