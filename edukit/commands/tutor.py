"""`edukit tutor ...`: evaluate tutors (the group; its subcommands live in their own modules)."""

from __future__ import annotations

import typer

tutor_app = typer.Typer(
    help="Evaluate tutors: interactively with a simulated student (Success@k, Telling@k).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `edukit tutor ...` to the root app."""
    from edukit.commands import tutor_interactive

    tutor_interactive.register(tutor_app)
    app.add_typer(tutor_app, name="tutor")
