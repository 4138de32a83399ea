"""Check a rubric against the items it will annotate: template fields present, no leakage."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

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
    needed = {("unit", "id_field"): [rubric.id_field]}
    needed.update(rubric.template_fields())
    for loc, fields in needed.items():
        for name in fields:
            if name not in columns:
                raise rubric.source.error(
                    loc,
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


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
