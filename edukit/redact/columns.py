"""Declared names taken from a column of the items (e.g. a transcript's speaker column).

Classroom transcripts name their teachers as speakers ("Ms. Smith", "Mr. Parker") and students by
first name, and the same names occur inside sentences ("My name's Ms. Smith"). The name words of
every distinct value of the column become declared names, fed to the profile's existing names
(`make_profile(names=...)`), so they are replaced wherever they occur before anything is sent.
"""

from __future__ import annotations

import os
from typing import Any

from edukit.errors import RedactError


def names_from_column(
    items: Any, column: str, *, path: str | os.PathLike | None = None
) -> list[str]:
    """The names declared by `column` of the items DataFrame, first seen first.

    `column` is matched exactly, else case-insensitively when that is unique. Each value gives
    its name words (`edukit.corpora.talkmoves_codes.name_tokens`): titles, role codes (`T`,
    `S2`, `Students`) and recordings are dropped, "Ms. Smith" gives "Smith".
    """
    from edukit.corpora.talkmoves_codes import name_tokens

    columns = [str(c) for c in items.columns]
    found = resolve_column(columns, column)
    if found is None:
        raise RedactError(
            f"--names-from-column: no column {column!r} (columns: {', '.join(columns)})",
            path=path,
        )
    names: dict[str, None] = {}
    for value in items[found].dropna().unique():
        for name in name_tokens(str(value)):
            names.setdefault(name, None)
    return list(names)


def resolve_column(columns: list[str], column: str) -> str | None:
    """`column` among `columns`: exactly, else case-insensitively when that is unique."""
    if column in columns:
        return column
    folded = [c for c in columns if c.casefold() == column.casefold()]
    return folded[0] if len(folded) == 1 else None


def column_names(
    input: str | os.PathLike,
    column: str,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
) -> list[str]:
    """`names_from_column` over the items of `input` as `edukit annotate` reads them."""
    from edukit.corpora.detect import load_items

    return names_from_column(
        load_items(input, id_col=id_col, text_col=text_col), column, path=input
    )
