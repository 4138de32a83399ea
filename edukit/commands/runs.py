"""`edukit runs list|show|export`: the annotation run store (issue 4)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (placeholder until implemented)."""
