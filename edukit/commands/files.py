"""File helpers the commands share: their report outputs and a user's system template."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import typer

from edukit.errors import EdukitError, ExportError


def write_outputs(
    jobs: Iterable[tuple[Path | None, Callable[[], str]]], error: type[EdukitError]
) -> None:
    """Write each requested output (`(path or None, text function)`); one that cannot be written
    does not stop the others, and the first failure is raised as `error` after them all."""
    failed = None
    for path, text in jobs:
        if not path:
            continue
        try:
            path.write_text(text(), encoding="utf-8")
        except OSError as exc:
            failed = failed or error(f"cannot write: {exc.strerror or exc}", path=path)
            continue
        typer.echo(f"wrote {path}", err=True)
    if failed:
        raise failed


def at_template(template_path: Path | None, fn: Callable[..., Any], *args, **kwargs) -> Any:
    """`fn(...)`, a system-template error (`template: ...` with no file) named at its file."""
    try:
        return fn(*args, **kwargs)
    except ExportError as exc:
        if exc.path is None and exc.message.startswith("template: ") and template_path:
            raise ExportError(exc.message, path=template_path, where=exc.where) from None
        raise


def read_system_template(
    path: Path, error: type[EdukitError], what: str = "system template file"
) -> str:
    """The text of a system-prompt template file, checked by the one sandbox before any work.

    An unreadable file is one `error` naming the file and `what` it is (edukit.userfile)."""
    from edukit.export.examples import check_template
    from edukit.userfile import read_user_text

    template = read_user_text(path, what=what, error=error)
    at_template(path, check_template, template)
    return template
