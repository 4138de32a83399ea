"""Strict CSV reading and spreadsheet-safe CSV writing, shared by every edukit reader and writer.

Reading: a UTF-8 BOM is accepted; the separator is sniffed from the header (comma, semicolon or
tab, as Excel writes them) unless given; every record must have as many fields as the header
(`FILE:ROW: row has N fields but the header has M`, never pandas' silent implicit index); a
decoding error suggests `--encoding cp1252`.

Writing: text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
tab or carriage return) get a leading `'` (OWASP's CSV-injection rule); numbers, and number-like
text such as `-2`, stay as they are. Readers here undo the prefix, so edukit's CSVs round-trip.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
# Cells a spreadsheet evaluates; `'` first as well, so that a cell already starting with the
# escape round-trips (the writer adds one quote, the reader removes one).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """How CSV files are read: `sep` None means sniffed, `encoding` None means UTF-8 (BOM ok)."""

    sep: str | None = None
    encoding: str | None = None


_DIALECT: ContextVar[Dialect | None] = ContextVar("edukit_csv_dialect", default=None)


def set_dialect(sep: str | None = None, encoding: str | None = None) -> None:
    """Set the separator and encoding every CSV reader uses (the CLI's --sep and --encoding)."""
    if sep is not None:
        sep = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";"}.get(sep, sep)
        if sep not in SEPARATORS:
            raise InputError(f"--sep must be ',', ';' or tab, not {sep!r}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding: unknown encoding {encoding!r}") from None
    _DIALECT.set(Dialect(sep, encoding))


def dialect() -> Dialect:
    """The CSV dialect in effect (see `set_dialect`)."""
    return _DIALECT.get() or Dialect()


def encoding() -> str:
    """The text encoding to read CSV/JSONL with: the chosen one, else UTF-8 with optional BOM."""
    enc = dialect().encoding
    return "utf-8-sig" if enc is None or codecs.lookup(enc).name == "utf-8" else enc


def decode_error(exc: UnicodeDecodeError, path: str | os.PathLike) -> InputError:
    """A decoding error as one line that suggests the likely fix."""
    enc = dialect().encoding or "UTF-8"
    hint = "; if it came from Excel on Windows, try --encoding cp1252" if enc == "UTF-8" else ""
    return InputError(f"not {enc} text ({exc.reason} at byte {exc.start}){hint}", path=path)


def header_line(path: str | os.PathLike) -> str:
    """The first line of a text file (BOM removed), read in the current encoding."""
    try:
        with open(path, encoding=encoding(), newline="") as fh:
            return fh.readline()
    except UnicodeDecodeError as exc:
        raise decode_error(exc, path) from None


def sniff(header: str, candidates: str = ",;\t") -> str:
    """The separator among `candidates` that splits the header into the most fields (comma on a
    tie); the --sep option overrides it."""
    chosen = dialect().sep
    if chosen is not None:
        return chosen
    best, fields = ",", 1
    for sep in candidates:
        n = len(next(csv.reader([header.rstrip("\r\n")], delimiter=sep), []))
        if n > fields:
            best, fields = sep, n
    return best


def separator_name(sep: str) -> str:
    return SEPARATORS.get(sep, "space" if sep == " " else repr(sep))


def read_csv(
    path: str | os.PathLike,
    *,
    dtype: Any = None,
    sep: str | None = None,
    na_empty: bool = True,
    what: str = "malformed CSV row",
) -> pd.DataFrame:
    """Read a CSV strictly (see module docstring); `.attrs["separator"]` names the separator."""
    import pandas as pd

    from edukit.corpora.tables import csv_parser_error

    first = header_line(path)
    if not first.strip():
        raise InputError("empty file (no header)", path=path, where=1)
    sep = sep or sniff(first)
    check_fields(path, sep)
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            dtype=dtype,
            encoding=encoding(),
            keep_default_na=False,
            na_values=[""] if na_empty else None,
            index_col=False,
            quotechar='"',
        )
    except pd.errors.EmptyDataError as exc:
        raise InputError("empty file (no header)", path=path) from exc
    except pd.errors.ParserError as exc:
        raise csv_parser_error(exc, path, what) from exc
    except UnicodeDecodeError as exc:
        raise decode_error(exc, path) from None
    df = unescape(df)
    df.attrs["separator"] = separator_name(sep)
    return df


def check_fields(path: str | os.PathLike, sep: str) -> None:
    """Every record has as many fields as the header, else InputError at the record's line."""
    try:
        with open(path, encoding=encoding(), newline="") as fh:
            reader = csv.reader(fh, delimiter=sep, quotechar='"', strict=False)
            header = next(reader, None)
            if header is None:
                return
            width, start = len(header), reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # a blank line: pandas skips it too
                if len(cells) != width:
                    raise InputError(
                        f"row has {len(cells)} fields but the header has {width}"
                        + (" (is the separator right? see --sep)" if width == 1 else ""),
                        path=path,
                        where=line,
                    )
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path) from None
    except UnicodeDecodeError as exc:
        raise decode_error(exc, path) from None


def unescape(df: pd.DataFrame) -> pd.DataFrame:
    """Undo the writer's formula escape (`'=x` -> `=x`) in text columns and column names."""
    out = df
    for col in df.columns:
        if not _texty(df[col]):
            continue
        cells = df[col].to_numpy(dtype=object)
        hits = [i for i in _starting(df[col], "'") if _ESCAPED.match(cells[i])]
        if hits:
            if out is df:
                out = df.copy()
            fixed = cells.copy()
            fixed[hits] = [cells[i][1:] for i in hits]
            out[col] = fixed
    names = [c[1:] if isinstance(c, str) and _ESCAPED.match(c) else c for c in out.columns]
    if names != list(out.columns):
        out = out.copy() if out is df else out
        out.columns = names
    return out


_FIRST = frozenset("=+-@\t\r'")


def _starting(series: pd.Series, chars: str | frozenset) -> list[int]:
    """Positions of the text cells whose first character is in `chars` (vectorised: pandas'
    string kernels; Python only for columns they do not take)."""
    import numpy as np

    try:
        first = series.str[:1]
        mask = first.isin(list(chars)).to_numpy(dtype=bool, na_value=False)
    except (AttributeError, TypeError, ValueError):
        cells = series.to_numpy(dtype=object)
        return [i for i, v in enumerate(cells) if type(v) is str and v[:1] in chars]
    return np.flatnonzero(mask).tolist()


def _contains_cr(series: pd.Series, cells: Any) -> bool:
    try:
        return bool(series.str.contains("\r", regex=False).fillna(False).any())
    except (AttributeError, TypeError, ValueError):
        return any(type(v) is str and "\r" in v for v in cells)


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with `'`; others unchanged."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def _texty(series: Any) -> bool:
    # object columns, and pandas' string dtypes (the default for text from pandas 3 on)
    from pandas.api.types import is_object_dtype, is_string_dtype

    return is_object_dtype(series.dtype) or is_string_dtype(series.dtype)


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, raw: bool = False) -> None:
    """Write `df` as CSV: formula-like text escaped unless `raw`; any characters round-trip
    (a text holding a bare carriage return is quoted, which pandas alone does not do)."""
    out = df
    quoting = csv.QUOTE_MINIMAL
    for col in df.columns:
        if not _texty(df[col]):
            continue
        cells = df[col].to_numpy(dtype=object)
        if not raw:
            # a cheap first-character filter, then the exact rule on the few candidates
            hits = [i for i in _starting(df[col], _FIRST) if neutralise(cells[i]) is not cells[i]]
            if hits:
                if out is df:
                    out = df.copy()
                fixed = cells.copy()
                fixed[hits] = ["'" + cells[i] for i in hits]
                out[col] = fixed
        if quoting == csv.QUOTE_MINIMAL and _contains_cr(df[col], cells):
            quoting = csv.QUOTE_NONNUMERIC  # the writer leaves a bare \r unquoted otherwise
    if not raw:
        names = [neutralise(c) for c in out.columns]
        if names != list(out.columns):
            out = out.copy() if out is df else out
            out.columns = names
    out.to_csv(Path(path), index=False, quoting=quoting)
