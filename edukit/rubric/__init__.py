"""Rubric files: the YAML format, validation with line numbers, prompts, schemas, SIGHT import.

`load_rubric(path)` gives a `Rubric`; `rubric.requests(item)` builds the chat requests (static
rubric text first, the item last) and `rubric.decode(request, obj)` turns an answer into
long-table rows. See rubrics/README.md for the file format.
"""

from __future__ import annotations

from typing import Any

from edukit.rubric.data import check_data, read_items_for
from edukit.rubric.loading import load_rubric, read_examples
from edukit.rubric.model import Rubric, canonical_json
from edukit.rubric.outputs import InvalidOutput
from edukit.rubric.sight import dump_rubric, import_sight, to_jinja
from edukit.rubric.spec import RubricSpec


def rubric_schema() -> dict[str, Any]:
    """JSON Schema of the rubric file format (for editors with the YAML language server)."""
    schema = RubricSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "edukit rubric"
    return schema


__all__ = [
    "InvalidOutput",
    "Rubric",
    "RubricSpec",
    "canonical_json",
    "check_data",
    "dump_rubric",
    "import_sight",
    "load_rubric",
    "read_examples",
    "read_items_for",
    "rubric_schema",
    "to_jinja",
]
