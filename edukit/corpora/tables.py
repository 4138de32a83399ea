"""Generic tables: read and write CSV, JSONL and Parquet by extension; load items to annotate.

Row numbers in errors are the ones a user sees: for CSV the file line of a one-line record (the
header is line 1, so data row `i` is line `i + 2`), for JSONL the file line, for Parquet the
1-based record number.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.jsonsafe import MAX_DEPTH, check_depth
from edukit.resources import resolve_input

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".csv", ".jsonl", ".parquet")


def table_format(path: str | os.PathLike) -> str:
    """The format of a table file from its extension: `.csv`, `.jsonl` or `.parquet`."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"unknown table format {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}",
            path=path,
        )
    return suffix


def source_row(path: str | os.PathLike | None, index: int) -> int:
    """The row number a user sees for the 0-based record `index` of a table read from `path`."""
    if path is not None and Path(path).suffix.lower() == ".csv":
        return index + 2  # the header is line 1
    return index + 1


def read_table(path: str | os.PathLike, *, dtype: Any = None) -> pd.DataFrame:
    """Read a CSV, JSONL or Parquet file into a DataFrame (format chosen by extension).

    Only empty CSV cells become missing: texts such as `NA`, `None` or `null` are kept as text.
    `dtype` (a type or a column -> type mapping) is passed to the CSV reader; JSON keeps its types.
    """
    import pandas as pd

    path = resolve_input(path)
    fmt = table_format(path)
    from edukit.userfile import check_user_file

    p = check_user_file(path, what="file")
    try:
        if fmt == ".csv":
            return _read_csv(p, dtype)
        if fmt == ".jsonl":
            return _read_jsonl(p)
        return pd.read_parquet(p)
    except UnicodeDecodeError as exc:
        from edukit.corpora.csvfiles import decode_error

        raise decode_error(exc, path) from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        # pyarrow raises ArrowInvalid (a ValueError) for files that are not Parquet
        raise InputError(f"cannot read {fmt[1:]} file: {_first_line(exc)}", path=path) from exc


def _read_csv(path: Path, dtype: Any) -> pd.DataFrame:
    from edukit.corpora.csvfiles import read_csv

    return read_csv(path, dtype=dtype)


def iter_jsonl(fh: Iterable[str], path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of an open JSONL file; errors name the line."""
    for lineno, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            check_depth(obj, path=path, where=lineno)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON: {exc.msg} (column {exc.colno})", path=path, where=lineno
            ) from exc
        except RecursionError:
            raise InputError(
                f"JSON nested deeper than {MAX_DEPTH} levels", path=path, where=lineno
            ) from None
        except ValueError:  # Python refuses integers of more than 4,300 digits
            raise InputError(
                "a number with more than 4,300 digits", path=path, where=lineno
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                f"expected a JSON object per line, got {type(obj).__name__}",
                path=path,
                where=lineno,
            )
        yield lineno, obj


def _read_jsonl(path: Path) -> pd.DataFrame:
    import pandas as pd

    from edukit.corpora.csvfiles import encoding

    with path.open(encoding=encoding()) as fh:
        records = [obj for _, obj in iter_jsonl(fh, path)]
    if not records:
        raise InputError("empty file (no records)", path=path)
    return pd.DataFrame.from_records(records)


def csv_parser_error(exc: BaseException, path: str | os.PathLike, what: str) -> InputError:
    """A pandas CSV `ParserError` as a one-line InputError naming the row (header = row 1).

    pandas says "Expected 3 fields in line 5, saw 4" (records counted from the header = 1, a
    multi-line record counting once) or "EOF inside string starting at row 2" (from 0).
    """
    detail = _first_line(exc).split("C error: ")[-1]
    m = re.search(r"\b(line|row) (\d+)", detail)
    where = int(m.group(2)) + (m.group(1) == "row") if m else None
    if "EOF inside string" in detail:
        detail = "a quoted field is never closed (the file ends inside it)"
    return InputError(f"{what}: {detail}", path=path, where=where)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def write_table(df: pd.DataFrame, path: str | os.PathLike, *, raw_csv: bool = False) -> Path:
    """Write `df` as CSV, JSONL or Parquet by the extension of `path`; create parent folders.

    CSV text cells a spreadsheet would run as formulas are escaped with a leading `'` unless
    `raw_csv` (`edukit.corpora.csvfiles`); JSONL and Parquet are written verbatim.

    Parquet needs one type per column, so object columns mixing types (a long table's `value`
    holds 0/1 ints and class names) are written as text; `read_annotations` restores the ints.
    """
    fmt = table_format(path)
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == ".csv":
            from edukit.corpora.csvfiles import write_csv

            write_csv(df, p, raw=raw_csv)
        elif fmt == ".jsonl":
            df.to_json(p, orient="records", lines=True, force_ascii=False)
        else:
            _for_parquet(df).to_parquet(p, index=False)
    except OSError as exc:  # a full disk, a folder that cannot be made (/proc/x), a long name
        from edukit.userfile import os_reason

        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)  # no half-written table is left to be mistaken for one
        raise InputError(f"cannot write: {os_reason(exc)}", path=path) from None
    return p


def _for_parquet(df: pd.DataFrame) -> pd.DataFrame:
    out = df
    for col in df.columns:
        if df[col].dtype != object:
            continue
        kinds = {type(v) for v in df[col] if v is not None and v == v}
        if len(kinds) > 1:
            if out is df:
                out = df.copy()
            out[col] = df[col].map(lambda v: str(v) if v is not None and v == v else None)
    return out


def normalise_id(value: Any) -> str:
    """An id as text: integral floats lose their `.0` (`7134.0` and `"7134.0"` become "7134")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if _INTEGRAL_FLOAT.fullmatch(text):
        return text.split(".", 1)[0]
    return text


_INTEGRAL_FLOAT = re.compile(r"-?\d+\.0+")


def is_missing(value: Any) -> bool:
    """True for None, NaN/NA and empty or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # NaN
    except (TypeError, ValueError):
        return False


def read_items(path: str | os.PathLike, id_col: str, text_col: str) -> pd.DataFrame:
    """Items to annotate from any table: `item_id` (str) and `text` first, other columns kept.

    A missing column, an empty id or a duplicate id is an error naming the row; a missing text
    becomes "".
    """
    path = resolve_input(path)
    df = read_table(path, dtype={id_col: str})
    if df.empty and len(df.columns):
        raise InputError("no items: the file has a header but no rows", path=path)
    for col in (id_col, text_col):
        if col not in df.columns:
            raise InputError(
                f"missing column {col!r} (columns: {', '.join(map(str, df.columns))})",
                path=path,
                where=1 if table_format(path) != ".parquet" else None,
            )
    ids = []
    seen: dict[str, int] = {}
    for i, raw_id in enumerate(df[id_col]):
        row = source_row(path, i)
        if is_missing(raw_id):
            raise InputError(f"empty id in column {id_col!r}", path=path, where=row)
        item_id = normalise_id(raw_id)
        if item_id in seen:
            raise InputError(
                f"duplicate id {item_id!r} (first in row {seen[item_id]})", path=path, where=row
            )
        seen[item_id] = row
        ids.append(item_id)
    rest = [c for c in df.columns if c not in (id_col, text_col, "item_id", "text")]
    out = df[rest].copy()
    out.insert(0, "item_id", ids)
    out.insert(1, "text", ["" if is_missing(t) else str(t) for t in df[text_col]])
    return out.reset_index(drop=True)
