"""Label Studio: tasks with predictions and a labeling configuration out, its JSON export in.

Formats (Label Studio 1.23, https://labelstud.io/guide/tasks.html#Basic-Label-Studio-JSON-format,
https://labelstud.io/guide/predictions.html, https://labelstud.io/guide/export.html#Label-Studio-JSON-format-of-annotated-tasks,
https://labelstud.io/tags/choices.html):
- a task is `{"data": {...}, "predictions": [{"model_version", "score", "result": [...]}]}`;
- a `choices` result is `{"from_name": QUESTION, "to_name": "text", "type": "choices",
  "value": {"choices": [...]}}`;
- the export is a list of tasks, each with `annotations` (`completed_by`, `result`,
  `was_cancelled`, `created_at`, `lead_time`, ...).
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import quoteattr

from pydantic import BaseModel, ConfigDict, ValidationError

from edukit.errors import InputError
from edukit.review.answers import Answer, Answers
from edukit.review.items import ReviewItem
from edukit.review.questions import Question

TEXT_NAME = "text"


def tasks(items: list[ReviewItem], qs: list[Question]) -> list[dict[str, Any]]:
    """The task list to import into a project (data + one prediction per model rater)."""
    out = []
    for item in items:
        data = {"item_id": item.item_id, TEXT_NAME: item.text, **item.context}
        data.update(item.selection_fields())
        predictions = []
        for p in item.predictions:
            result = [
                {
                    "from_name": q.name,
                    "to_name": TEXT_NAME,
                    "type": "choices",
                    "value": {"choices": p.answers[q.name]},
                }
                for q in qs
                if q.name in p.answers
            ]
            pred: dict[str, Any] = {"model_version": p.model, "result": result}
            if p.score is not None:
                pred["score"] = p.score
            predictions.append(pred)
        out.append({"data": data, "predictions": predictions})
    return out


def config(qs: list[Question], context_fields: list[str], title: str = "") -> str:
    """The labeling configuration: the text, its context, one `Choices` block per question
    (`choice="single"` or `"multiple"`, each option's definition as its hint)."""
    lines = ["<View>"]
    if title:
        lines.append(f"  <Header value={quoteattr(title)}/>")
    for c in context_fields:
        lines.append(f'  <Header value={quoteattr(c)} size="6"/>')
        lines.append(f"  <Text name={quoteattr('ctx_' + c)} value={quoteattr('$' + c)}/>")
    lines.append('  <Header value="Text" size="6"/>')
    lines.append(f'  <Text name="{TEXT_NAME}" value="${TEXT_NAME}"/>')
    for q in qs:
        heading = f"{q.name}: {q.hint}" if q.hint else q.name
        lines.append(f'  <Header value={quoteattr(heading)} size="5"/>')
        choice = "multiple" if q.multiple else "single"
        lines.append(
            f'  <Choices name={quoteattr(q.name)} toName="{TEXT_NAME}" choice="{choice}" '
            'showInline="true">'
        )
        for o in q.options:
            hint = f" hint={quoteattr(o.hint)}" if o.hint else ""
            lines.append(f"    <Choice value={quoteattr(o.code)}{hint}/>")
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


# --- the export ------------------------------------------------------------------------------
class _Model(BaseModel):
    # extra="forbid" with every key Label Studio 1.23's JSON export writes (checked against a
    # real export in tests/review/test_labelstudio_real.py): a misspelt or foreign file is one
    # error line, not silently missing labels.
    model_config = ConfigDict(extra="forbid")


class ResultValue(_Model):
    model_config = ConfigDict(extra="allow")  # other tags (labels, text areas) are not ours
    choices: list[str] | None = None


class Result(_Model):
    from_name: str
    to_name: str | None = None
    type: str
    value: ResultValue
    id: str | None = None
    origin: str | None = None
    score: float | None = None
    readonly: bool | None = None
    hidden: bool | None = None


class User(_Model):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


class Annotation(_Model):
    id: int | None = None
    completed_by: int | User | None = None
    result: list[Result] = []
    was_cancelled: bool = False
    ground_truth: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    draft_created_at: str | None = None
    lead_time: float | None = None
    prediction: dict | None = None
    result_count: int | None = None
    unique_id: str | None = None
    import_id: int | None = None
    last_action: str | None = None
    bulk_created: bool | None = None
    task: int | None = None
    project: int | None = None
    updated_by: int | None = None
    parent_prediction: int | None = None
    parent_annotation: int | None = None
    last_created_by: int | None = None


class Task(_Model):
    id: int | None = None
    data: dict[str, Any]
    annotations: list[Annotation] = []
    predictions: list[Any] = []
    drafts: list[Any] = []
    meta: dict[str, Any] | None = None
    file_upload: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    inner_id: int | None = None
    total_annotations: int | None = None
    cancelled_annotations: int | None = None
    total_predictions: int | None = None
    comment_count: int | None = None
    unresolved_comment_count: int | None = None
    last_comment_updated_at: str | None = None
    project: int | None = None
    updated_by: int | None = None
    comment_authors: list[Any] = []
    allow_skip: bool | None = None
    is_labeled: bool | None = None
    overlap: int | None = None


def annotator_name(user: int | User | None) -> str:
    """A Label Studio user as a rater: the e-mail address when the export has it, else
    `label-studio-user-<id>`."""
    if isinstance(user, User):
        return user.email or f"label-studio-user-{user.id}"
    return f"label-studio-user-{user}" if user is not None else "label-studio-user-unknown"


def read_export(text: str, path: Any = None) -> Answers:
    """The answers in a Label Studio JSON export (cancelled annotations are counted, not read)."""
    from edukit.jsonsafe import loads

    raw = loads(text, path=path, error=InputError)
    if not isinstance(raw, list):
        raise InputError("not a Label Studio JSON export: expected a list of tasks", path=path)
    out = Answers()
    for n, obj in enumerate(raw, 1):
        where = _task_name(obj, n)
        if not isinstance(obj, dict) or "data" not in obj:
            raise InputError(f"{where}: no 'data' (not a Label Studio task)", path=path)
        try:
            task = Task.model_validate(obj)
        except ValidationError as exc:
            raise InputError(f"{where}: {_first_error(exc)}", path=path) from None
        item_id = task.data.get("item_id")
        if item_id is None or str(item_id).strip() == "":
            raise InputError(
                f"{where}: data has no item_id (not a task edukit exported)", path=path
            )
        extra = {
            k: task.data[k] for k in ("selection_rule", "selection_probability") if k in task.data
        }
        if not task.annotations:
            out.skip("tasks without annotations")
        for a in task.annotations:
            if a.was_cancelled:
                out.skip("cancelled (skipped) annotations")
                continue
            who = annotator_name(a.completed_by)
            time = a.updated_at or a.created_at or ""
            for r in a.result:
                if r.type != "choices" or r.value.choices is None:
                    continue
                out.answers.append(
                    Answer(
                        where=f"{where}, annotator {who}",
                        item_id=str(item_id).strip(),
                        annotator=who,
                        question=r.from_name,
                        codes=list(r.value.choices),
                        time=time,
                        lead_time=a.lead_time,
                        extra=dict(extra),
                    )
                )
    return out


def _task_name(obj: Any, n: int) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), int):
        return f"task {obj['id']}"
    return f"task #{n} in the file"


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = ".".join(str(p) for p in e["loc"])
    if e["type"] == "extra_forbidden":
        return f"unexpected key {loc!r} (not a Label Studio JSON export?)"
    return f"{loc}: {e['msg']}"


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
