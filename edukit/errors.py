"""The one error tree. The CLI turns these (and only these) into `Error: ...` and exit code 2."""

from __future__ import annotations

import os


class EdukitError(Exception):
    """A user-facing error: bad input, a missing file, an invalid rubric."""

    def __init__(
        self, message: str, *, path: str | os.PathLike | None = None, where: str | int | None = None
    ) -> None:
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.where = where
        super().__init__(self.format())

    def format(self) -> str:
        """`<file>:<row or line>: <message>`, leaving out the parts that are unknown."""
        prefix = self.path or ""
        if self.where is not None:
            prefix = f"{prefix}:{self.where}" if prefix else str(self.where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InputError(EdukitError):
    """A data file is missing, unreadable, in an unknown format or malformed."""


class RubricError(EdukitError):
    """A rubric file is invalid."""


class AnnotationError(EdukitError):
    """The annotation engine cannot start or continue (bad endpoint, budget, run store)."""


class AgreementError(EdukitError):
    """An agreement computation was asked for something the data cannot give."""


class ExportError(EdukitError):
    """A fine-tuning export cannot be written or does not validate."""


class RedactError(EdukitError):
    """Redaction cannot run as asked (unknown entity type, bad names file, missing pipeline)."""
