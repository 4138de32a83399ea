"""Excel workbooks (.xlsx) as DataFrames: one sheet, its first row the header, cells as stored.

Read with pandas' `calamine` engine (python-calamine, Rust): the TalkMoves corpus's 567
workbooks load in about 4 s with it against about 80 s with openpyxl (benchmarks/RESULTS.md).
Anything that goes wrong reading a workbook (not a zip, not a workbook, a broken sheet, no such
sheet) is one `InputError` naming the file, never a library traceback.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from edukit.errors import InputError
from edukit.resources import resolve_input

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".xlsx", ".xlsm")
ENGINE = "calamine"


def read_xlsx(path: str | os.PathLike, sheet: int | str = 0) -> pd.DataFrame:
    """Sheet `sheet` (index or name) of the workbook `path`, values kept as stored (object).

    Header cells are stripped of surrounding spaces only when the stripped name stays unique;
    blank header cells become `Unnamed: N` (pandas' naming); rows whose cells are all empty are
    dropped.
    """
    p = resolve_input(path)
    if not p.exists():
        raise InputError("file not found", path=path)
    if not p.is_file():
        raise InputError("not a file (give an .xlsx workbook)", path=path)
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"not an .xlsx workbook ({p.suffix or 'no extension'})", path=path)
    import pandas as pd

    try:
        df = pd.read_excel(p, sheet_name=sheet, engine=ENGINE, dtype=object)
    except (ValueError, KeyError, IndexError) as exc:  # e.g. no such sheet, an empty workbook
        raise InputError(f"unreadable workbook: {_reason(exc)}", path=path) from None
    except ImportError as exc:  # python-calamine missing from a broken install
        raise InputError(f"cannot read .xlsx files here: {exc}", path=path) from None
    except Exception as exc:  # calamine raises its own types for a damaged or foreign file
        raise InputError(
            f"unreadable workbook ({type(exc).__name__}: {_reason(exc)})", path=path
        ) from None
    df = df.dropna(how="all").reset_index(drop=True)
    names = [str(c) for c in df.columns]
    stripped = [n.strip() for n in names]
    if len(set(stripped)) == len(stripped):
        names = stripped
    df.columns = names
    return df


def sheet_names(path: str | os.PathLike) -> list[str]:
    """The sheet names of a workbook, in order."""
    p = resolve_input(path)
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(os.fspath(p)).sheet_names)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except Exception as exc:
        raise InputError(
            f"unreadable workbook ({type(exc).__name__}: {_reason(exc)})", path=path
        ) from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "...") if len(text) > 200 else (text or type(exc).__name__)
