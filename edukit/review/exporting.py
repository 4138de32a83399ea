"""`export_review`: select items and write them in an annotation tool's format (no files written
here: the result holds the texts and tables, the command writes them)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.review import csvformat, labelstudio, prodigy, sandpiper
from edukit.review.items import ReviewItem, review_items
from edukit.review.questions import questions
from edukit.review.selection import Selection, SelectionSettings, model_raters, select_items

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("label-studio", "prodigy", "sandpiper", "csv")


@dataclass
class ExportSettings:
    """`format` one of FORMATS; `selection` which items; `annotators` the Sandpiper annotator
    names (one set of columns each)."""

    format: str = "label-studio"
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    annotators: list[str] = field(default_factory=lambda: ["reviewer"])


@dataclass
class ReviewExport:
    """What `export_review` made: `text` (JSON/JSONL) or `table` (CSV formats), the Label
    Studio `config` XML, the `selection` table and notes for the user."""

    format: str
    items: list[ReviewItem]
    selection: Selection
    text: str | None = None
    table: pd.DataFrame | None = None
    config: str | None = None

    @property
    def n_tasks(self) -> int:
        if self.table is not None:
            return len(self.table)
        if self.format == "prodigy":
            return (self.text or "").count("\n")
        return len(self.items)


def export_review(
    ann: pd.DataFrame,
    items: pd.DataFrame,
    rubric: Any,
    settings: ExportSettings,
    sessions: pd.DataFrame | None = None,
) -> ReviewExport:
    """Select items of `ann` (a long table with model raters) and build the tool's files.

    `items` holds `item_id`, `text` and the rubric's context fields; `sessions` (dialogue_id,
    turn, speaker, text) lets Sandpiper show whole dialogues."""
    if settings.format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {settings.format!r}")
    if settings.format == "sandpiper":
        sandpiper.check_annotators(settings.annotators)
    ann = _rubric_labels(ann, rubric)
    sel = settings.selection
    if sel.stratify_by is None:
        first = questions(rubric, flat=True)[0].labels[0]
        sel = replace(sel, stratify_by=first if first in set(ann["label"]) else None)
    _check_items(ann, items, sel.models)
    selection = select_items(ann, sel)
    if selection.table.empty:
        raise InputError("no item fits the selection: nothing to review")
    models = model_raters(ann, sel.models)
    flat = settings.format == "csv"
    qs = questions(rubric, flat=flat)
    picked = review_items(items, ann, selection.table, qs, models, rubric.context_fields)
    out = ReviewExport(settings.format, picked, selection)
    if settings.format == "label-studio":
        out.text = labelstudio.dumps(labelstudio.tasks(picked, qs))
        context = list(picked[0].context) if picked else []
        out.config = labelstudio.config(qs, context, title=rubric.name)
    elif settings.format == "prodigy":
        out.text = prodigy.dumps(prodigy.tasks(picked, qs))
    elif settings.format == "sandpiper":
        out.table = sandpiper.table(picked, qs, settings.annotators, sessions)
    else:
        out.table = csvformat.table(picked, qs)
    return out


def _check_items(ann: pd.DataFrame, items: pd.DataFrame, models: list[str] | None) -> None:
    """Every item the models labelled must be in the items file (else the wrong items file)."""
    known = set(items["item_id"].astype(str))
    labelled = ann.loc[ann["rater"].isin(model_raters(ann, models)), "item_id"]
    missing = sorted(set(labelled) - known)
    if missing:
        raise InputError(
            f"item {missing[0]!r} has model labels but is not in the items file "
            f"({len(missing)} such item{'s' if len(missing) != 1 else ''}): is it the items "
            "file the model annotated?"
        )


def _rubric_labels(ann: pd.DataFrame, rubric: Any) -> pd.DataFrame:
    """The rows of the rubric's long-table labels (one line naming a table without any)."""
    from edukit.review.questions import question_for_label

    wanted = set(question_for_label(questions(rubric)))
    rows = ann[ann["label"].isin(wanted)]
    if rows.empty:
        have = ", ".join(sorted(set(ann["label"]))[:8])
        raise InputError(
            f"the annotations have none of the rubric's labels ({', '.join(sorted(wanted))}); "
            f"they have {have}"
        )
    return rows.reset_index(drop=True)


def sessions_for(items_path: Any, items: pd.DataFrame) -> pd.DataFrame | None:
    """Every turn of the dialogues behind `items` (dialogue_id, turn, speaker, text), for
    Sandpiper: a MathDial file's utterances, or the items table itself when it has turns."""
    from edukit.corpora.detect import detect

    if items_path is not None and detect(items_path) == "mathdial":
        from edukit.corpora.mathdial import read_mathdial

        u = read_mathdial(items_path).utterances
        return u[["dialogue_id", "turn", "speaker", "text"]]
    if {"dialogue_id", "turn"} <= set(items.columns):
        speaker = next((c for c in ("speaker", "role") if c in items.columns), None)
        out = items[["dialogue_id", "turn", "text"]].copy()
        out["speaker"] = items[speaker] if speaker else ""
        return out
    return None
