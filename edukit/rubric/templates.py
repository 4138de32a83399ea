"""Rubric prompt templates: compiled and rendered by the one sandbox (`edukit.sandbox`).

Templates are checked when the rubric loads so an unsafe one is refused up front, with its line,
before any item is sent; at render time the sandbox bounds memory and time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from edukit import sandbox
from edukit.sandbox import TemplateProblem, compile_template, template_fields


def render(template: Any, fields: Mapping[str, Any], what: str) -> str:
    """Render with the item's fields; any failure names `what` (`item 7134`) and its line."""
    return sandbox.render(template, {k: _clean(v) for k, v in fields.items()}, what)


def _clean(value: Any) -> Any:
    # Missing cells arrive from pandas as NaN or None; a prompt shows them as empty text.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


__all__ = ["TemplateProblem", "compile_template", "render", "template_fields"]
