"""Jinja2 prompt templates: sandboxed, strict about missing fields, checked before use.

The sandbox already blocks attribute tricks at render time; templates are also checked when the
rubric loads so an unsafe one is refused up front, with its line, before any item is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
# No helpers: a prompt template only needs the item's fields, and each global is a way in.
_ENV.globals.clear()

# Names that only make sense as a way out of the sandbox (or into the process environment).
_FORBIDDEN_NAMES = {
    "self", "cycler", "joiner", "namespace", "lipsum", "range", "dict", "config", "request",
    "os", "sys", "environ", "getenv", "builtins", "__builtins__", "globals", "locals", "import",
}  # fmt: skip


class TemplateProblem(Exception):
    """A template is unsafe or malformed; `line` is 1-based within the template text."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def compile_template(text: str):
    """Parse and safety-check `text`; returns a jinja2 Template. Raises TemplateProblem."""
    try:
        ast = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from None
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Call)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise TemplateProblem(f"template may not access {node.attr!r}", node.lineno)
        key = getattr(node.arg, "value", None) if isinstance(node, nodes.Getitem) else None
        if isinstance(key, str) and key.startswith("_"):
            raise TemplateProblem(f"template may not access {key!r}", node.lineno)
        if isinstance(node, nodes.Name) and (
            node.name in _FORBIDDEN_NAMES or node.name.startswith("_")
        ):
            raise TemplateProblem(f"template may not use {node.name!r}", node.lineno)
        if isinstance(node, nodes.Call):
            raise TemplateProblem("template may not call functions or methods", node.lineno)
    for kind in (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends):
        found = next(iter(ast.find_all(kind)), None)
        if found is not None:
            raise TemplateProblem(
                "template may not include or import other templates", found.lineno
            )
    return _ENV.from_string(ast)


def template_fields(text: str) -> dict[str, int]:
    """The item fields a template reads, each with the (1-based) template line it first appears."""
    ast = _ENV.parse(text)
    fields = meta.find_undeclared_variables(ast)
    lines: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.name in fields:
            lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
    return dict(sorted(lines.items(), key=lambda kv: (kv[1], kv[0])))


def render(template, fields: Mapping[str, Any], what: str) -> str:
    """Render with the item's fields; a missing field names itself and `what` (`item 7134`)."""
    values = {k: _clean(v) for k, v in fields.items()}
    try:
        return template.render(values)
    except UndefinedError as exc:
        raise TemplateProblem(f"{what}: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"{what}: template refused by the sandbox: {exc}") from None


def _clean(value: Any) -> Any:
    # Missing cells arrive from pandas as NaN or None; a prompt shows them as empty text.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value
