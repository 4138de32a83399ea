"""`edukit annotate INPUT --rubric FILE --model NAME` (issue 4)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (placeholder until implemented)."""
