"""`edukit agree ANNOTATIONS...`: human IRR vs human-model agreement (issue 5)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (placeholder until implemented)."""
