"""`import_review`: a completed export back into edukit's long annotation table.

Each reviewer becomes a rater (Label Studio `completed_by`, Prodigy `_annotator_id` or
`_session_id`, Sandpiper annotator names, a spreadsheet's `rater` column or `rater=`); with
`adjudicated=True` every answer is written as the rater `adjudicated`. Rows keep `source` (the
tool), `time`, `lead_time`, `task` (where in the file) and, when the task carries them,
`selection_rule` and `selection_probability`. Cancelled, skipped, ignored and rejected tasks
are not labels: they are counted in `ImportResult.not_labels`.

Refused with one line naming the task and annotator: an unknown item (not in the selection
file, when one is given), a question the rubric lacks, a value outside its options, several
values for a single-choice question, and one annotator answering one question of an item twice
(unless `on_conflict="latest"`, which keeps the latest answer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.review.answers import Answer, Answers
from edukit.review.exporting import FORMATS
from edukit.review.questions import Question, questions

if TYPE_CHECKING:
    import pandas as pd

ADJUDICATED = "adjudicated"
CONFLICTS = ("error", "latest")
IMPORT_COLUMNS = (
    "item_id",
    "rater",
    "label",
    "value",
    "version",
    "source",
    "task",
    "time",
    "lead_time",
    "selection_rule",
    "selection_probability",
)


@dataclass
class ImportSettings:
    """`format` one of FORMATS; `rater` names the reviewer of a CSV or Prodigy file (replacing
    any names in it); `adjudicated` writes the
    rater `adjudicated`; `on_conflict` `error` or `latest`; `selection` (a selection table)
    marks the known items and gives each its rule and probability."""

    format: str = "label-studio"
    rater: str | None = None
    adjudicated: bool = False
    on_conflict: str = "error"
    selection: pd.DataFrame | None = None


@dataclass
class ImportResult:
    table: pd.DataFrame
    not_labels: dict[str, int] = field(default_factory=dict)
    raters: list[str] = field(default_factory=list)
    replaced: int = 0  # answers an annotator gave again, the earlier one dropped (latest)


def read_answers(path: str | os.PathLike, rubric: Any, settings: ImportSettings) -> Answers:
    """The raw answers in an export file of `settings.format`."""
    from pathlib import Path

    if settings.format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {settings.format!r}")
    p = Path(path)
    if settings.format in ("label-studio", "prodigy"):
        text = _read_text(p)
        if settings.format == "label-studio":
            from edukit.review import labelstudio

            return labelstudio.read_export(text, path=p)
        from edukit.review import prodigy

        return prodigy.read_export(text, path=p, rater=settings.rater)
    from edukit.corpora.tables import read_table

    df = read_table(p, dtype=str)
    if settings.format == "sandpiper":
        from edukit.review import sandpiper

        return sandpiper.read_export(df, questions(rubric), path=p)
    from edukit.review import csvformat

    context = [rubric.text_field, *rubric.context_fields]
    return csvformat.read_export(
        df, questions(rubric, flat=True), context, path=p, rater=settings.rater
    )


def _read_text(path) -> str:
    """An annotation tool's JSON or JSONL export (UTF-8, as both tools write it)."""
    from edukit.userfile import read_user_text

    return read_user_text(path, what="export", limit="data")


def import_review(path: str | os.PathLike, rubric: Any, settings: ImportSettings) -> ImportResult:
    """Read an export and check every answer against the rubric (see module docstring)."""
    if settings.on_conflict not in CONFLICTS:
        raise InputError(f"--on-conflict must be error or latest, not {settings.on_conflict!r}")
    if settings.rater and settings.format in ("label-studio", "sandpiper"):
        raise InputError(
            f"--rater is for csv and prodigy files: a {settings.format} export names its "
            "annotators (rename them later with agree --rename)"
        )
    answers = read_answers(path, rubric, settings)
    qs = {q.name: q for q in questions(rubric, flat=settings.format == "csv")}
    return to_table(answers, qs, settings, path)


def to_table(
    answers: Answers, qs: dict[str, Question], settings: ImportSettings, path: Any = None
) -> ImportResult:
    """Validated answers as a long table (one row per rater, item and label)."""
    import pandas as pd

    known, rules = _selection(settings.selection)
    rename = ADJUDICATED if settings.adjudicated else None  # rater= is applied by the readers
    kept: dict[tuple[str, str, str], Answer] = {}
    replaced = 0
    for a in answers.answers:
        q = qs.get(a.question)
        if q is None:
            raise InputError(
                f"{a.where}: a result for {a.question!r}, which the rubric does not have "
                f"(its questions: {', '.join(qs)})",
                path=path,
            )
        alternatives = a.extra.pop("_alternatives", [])
        if known is not None and a.item_id not in known:
            # Sandpiper: session:sequence for dialogue turns, the session for flat items
            a.item_id = next((i for i in alternatives if i in known), a.item_id)
        if known is not None and a.item_id not in known:
            raise InputError(
                f"{a.where}: unknown item {a.item_id!r} (not in the selection file)", path=path
            )
        codes = []
        for given in a.codes:
            code = q.code_for(given)
            if code is None:
                raise InputError(
                    f"{a.where}: {a.question} = {given!r} is not one of the rubric's options "
                    f"({', '.join(q.codes)})",
                    path=path,
                )
            codes.append(code)
        if not q.multiple and len(codes) != 1:
            what = "no value" if not codes else f"{len(codes)} values ({', '.join(codes)})"
            if not codes:
                answers.skip("answers with no option chosen")
                continue
            raise InputError(
                f"{a.where}: {what} for the single-choice question {a.question}", path=path
            )
        a.codes = codes
        # adjudicated: one answer per item, whoever gave it
        key = (a.item_id, rename or a.annotator, a.question)
        if key in kept:
            if settings.on_conflict == "error":
                first = kept[key]
                who = (
                    f"annotator {a.annotator} answered"
                    if first.annotator == a.annotator
                    else f"annotators {first.annotator} and {a.annotator} (--adjudicated) answered"
                )
                raise InputError(
                    f"{a.where}: {who} {a.question} of item {a.item_id} twice (also at "
                    f"{first.where.split(', annotator')[0].split(', rater')[0]}); "
                    "give --on-conflict latest to keep the latest answer",
                    path=path,
                )
            replaced += 1
            if (a.time or "") < (kept[key].time or ""):
                continue  # the kept one is later
        kept[key] = a
    rows = []
    source = settings.format
    for a in kept.values():
        q = qs[a.question]
        rule, prob = rules.get(a.item_id, (None, None))
        rule = a.extra.get("selection_rule", rule)
        prob = a.extra.get("selection_probability", prob)
        for label, value in q.rows(a.codes):
            rows.append(
                {
                    "item_id": a.item_id,
                    "rater": rename or a.annotator,
                    "label": label,
                    "value": value,
                    "version": "",
                    "source": source,
                    "task": a.where.split(", annotator")[0].split(", rater")[0],
                    "time": a.time or "",
                    "lead_time": a.lead_time,
                    "selection_rule": rule or "",
                    "selection_probability": _probability(prob),
                }
            )
    table = pd.DataFrame(rows, columns=list(IMPORT_COLUMNS))
    if not rows:
        raise InputError(
            "no labels in the file"
            + (f" ({_counts(answers.not_labels)})" if answers.not_labels else ""),
            path=path,
        )
    table = _values_typed(table)
    raters = list(dict.fromkeys(table["rater"]))
    return ImportResult(table, dict(answers.not_labels), raters, replaced)


def _values_typed(table: pd.DataFrame) -> pd.DataFrame:
    from edukit.annotations import normalise_annotations

    return normalise_annotations(table)


def _probability(value: Any) -> float | str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return ""
    return f if 0 < f <= 1 else ""


def _selection(selection: pd.DataFrame | None):
    if selection is None:
        return None, {}
    rules = {}
    for item, rule, prob in zip(
        selection["item_id"].astype(str),
        selection["rule"],
        selection.get("probability", [None] * len(selection)),
        strict=True,
    ):
        rules[item] = (rule, prob)
    return set(rules), rules


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def summary(result: ImportResult) -> str:
    """One line: labels, raters, and the tasks that were not labels."""
    n_items = result.table["item_id"].nunique()
    line = (
        f"{len(result.table)} labels on {n_items} items from "
        f"{len(result.raters)} rater{'s' if len(result.raters) != 1 else ''} "
        f"({', '.join(result.raters)})"
    )
    if result.not_labels:
        line += f"; not labels: {_counts(result.not_labels)}"
    if result.replaced:
        line += f"; {result.replaced} repeated answers replaced by the latest"
    return line
