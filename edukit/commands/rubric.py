"""`edukit rubric validate|render|import-sight|hash|schema` (issue 3)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (placeholder until implemented)."""
