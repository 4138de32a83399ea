"""Check a rubric against the items it will annotate: template fields present, no leakage."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

from edukit.errors import InputError, RubricError
from edukit.rubric.model import Rubric
from edukit.rubric.source import suggest


def check_data(
    rubric: Rubric,
    columns: Iterable[str],
    texts: dict[str, Any] | None = None,
    data_name: str = "the data",
) -> list[str]:
    """Raise RubricError if a template reads a field the data lacks; return leakage warnings.

    `texts` maps item id → text of the items to annotate; a few-shot example whose text is also
    among them would leak into the evaluation set, so each one found gives a warning.
    """
    columns = [str(c) for c in columns]
    needed = {("unit", "id_field"): {rubric.id_field: None}}
    needed.update(rubric.template_fields())
    for loc, fields in needed.items():
        for name, line in fields.items():
            if name not in columns:
                raise rubric.template_error(
                    loc,
                    line,
                    f"field {name!r} is not a column of {data_name}{suggest(name, columns)} "
                    f"(columns: {', '.join(columns)})",
                )
    warnings = []
    if texts:
        seen = {_normal(t): item_id for item_id, t in texts.items() if isinstance(t, str)}
        for n, example in enumerate(rubric.examples):
            text = example.item.get(rubric.text_field)
            if isinstance(text, str) and _normal(text) in seen:
                path, where = rubric.example_origins[n]
                at = f"{path}:{where}" if where else str(path)
                warnings.append(
                    f"{at}: few-shot example {n + 1} also appears in {data_name} "
                    f"(item {seen[_normal(text)]}): it leaks into the evaluation set"
                )
    return warnings


def check_declared_fields(rubric: Rubric, *, redacting: bool = False) -> None:
    """Raise RubricError (one line, at the template line) for a template field not declared.

    Declared are `unit.text_field`, `unit.context_fields` and `unit.id_field`: `--redact`
    redacts the text and context fields, so a field outside them would reach the prompt as
    written. Under `redacting`, the id field is refused too (ids are never changed).
    """
    declared = {rubric.text_field, *rubric.context_fields}
    if not redacting:
        declared.add(rubric.id_field)
    for loc, fields in rubric.template_fields().items():
        for name, line in fields.items():
            if name in declared:
                continue
            if name == rubric.id_field:
                message = (
                    f"template field {name!r} is the item id (unit.id_field), which --redact "
                    "does not change: a redacted prompt may not show it"
                )
            else:
                message = (
                    f"template field {name!r} is not declared in unit.context_fields (nor "
                    "unit.text_field): declare it, so that --redact redacts it"
                )
            raise rubric.template_error(loc, line, message)


def render_all(rubric: Rubric, items: Any) -> int:
    """Build every request for every item, as `annotate` will (same sandbox, same budgets).

    The first template failure raises RubricError at its rubric line, naming the item; returns
    the number of requests built.
    """
    n = 0
    for row in items.to_dict("records"):
        n += len(rubric.requests(row))
    return n


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def read_items_for(rubric: Rubric, path: str | os.PathLike):
    """The items in `path` as a DataFrame whose columns the rubric's templates can read.

    Corpora (MathDial, MRBench, SIGHT) and tables with `item_id` and `text` come from
    `edukit.corpora.detect.load_items`; any other table is read with the rubric's own id and
    text fields, keeping those column names too (a rubric may read `comment`, not `text`).
    """
    from edukit.corpora.detect import detect, header, load_items
    from edukit.corpora.tables import read_table

    if detect(path) in ("mrbench", "talkmoves"):  # JSON, .xlsx or a folder: no header to read
        return load_items(path)
    cols = set(header(path))
    if detect(path) != "table" or {"item_id", "text"} <= cols:
        return load_items(path)
    if not {rubric.id_field, rubric.text_field} <= cols:
        return read_table(path)  # check_data then names the missing field and its rubric line
    return with_rubric_fields(
        rubric, load_items(path, id_col=rubric.id_field, text_col=rubric.text_field)
    )


def with_rubric_fields(rubric: Rubric, items):
    """`items` (with `item_id` and `text`) also under the rubric's own id and text field names,
    so a rubric that reads `comment` finds it whatever the table called the column."""
    for alias, column in ((rubric.id_field, "item_id"), (rubric.text_field, "text")):
        if alias not in items.columns:
            items[alias] = items[column]
    return items


def needed_columns(rubric: Rubric) -> list[str]:
    """The item fields a run with `rubric` reads: its id and text fields and every template field,
    in that order, each once."""
    names = [rubric.id_field, rubric.text_field]
    for fields in rubric.template_fields().values():
        names.extend(fields)
    return list(dict.fromkeys(names))


def check_columns(rubric: Rubric, items, path: str | os.PathLike) -> None:
    """Refuse items lacking a column the rubric reads, naming the data file and the column.

    Without this a missing text column reads as empty text everywhere (nothing sent, yet the
    run said "Done."), and a missing context column fails while rendering, at the rubric's line.
    """
    columns = [str(c) for c in items.columns]
    needed = needed_columns(rubric)
    missing = [c for c in needed if c not in columns]
    if not missing:
        return
    what = "column" if len(missing) == 1 else "columns"
    hint = ""
    if rubric.id_field in missing or rubric.text_field in missing:
        hint = "; name the table's id and text columns with --id-col and --text-col"
    raise InputError(
        f"{os.fspath(path)} has no {what} {', '.join(map(repr, missing))}, which rubric "
        f"{rubric.name} uses{suggest(missing[0], columns)} (it reads {', '.join(needed)}; the "
        f"table has {', '.join(columns) or 'no columns'}){hint}"
    )


def check_not_all_empty(rubric: Rubric, items, path: str | os.PathLike) -> None:
    """Refuse a table in which no item has text in the rubric's text field: nothing to send."""
    from edukit.annotate.recorder import is_empty

    field = rubric.text_field
    if len(items) and field in items.columns and all(map(is_empty, items[field])):
        raise RubricError(
            f"all {len(items)} items have empty text in column {field!r} (the rubric's "
            "unit.text_field): nothing to annotate; name the text column with --text-col",
            path=path,
        )
