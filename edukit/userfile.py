"""The one way edukit opens a user's file: the checks every reader needs, each failure one line.

`check_user_file` (for readers that stream the file in their own encoding: CSV, JSONL, Parquet)
checks that the path names an existing regular file no larger than the limit; `read_user_text`
also reads it as UTF-8 text (a BOM is dropped). Each failure raises one `InputError` (or the
reader's own `EdukitError` subclass, `error=`) naming the file: missing, a folder, too large, not
readable (a 300-character name, no permission), not UTF-8 text. Bundled names (`sample:NAME`)
resolve through `edukit.resources.resolve_input` first.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from edukit.errors import EdukitError, InputError

# The largest file edukit reads, by kind: larger than any corpus (MathDial's train split is
# ~20 MB, SIGHT's transcripts 11 MB), small enough that reading one cannot exhaust a laptop.
LIMITS = {
    "data": 1 << 30,  # tables, corpora, annotation and fine-tuning files (1 GiB)
    "text": 64 << 20,  # files read whole as text: rubrics, names, prices, templates (64 MiB)
}


def check_user_file(
    path: str | os.PathLike,
    *,
    what: str,
    error: type[EdukitError] = InputError,
    limit: str = "data",
) -> Path:
    """The path of an existing regular file within the size limit of its kind (`LIMITS`);
    otherwise one `error` naming the file and `what` it should be ("file", "names file", ...)."""
    p, st = _stat(path, what, error)
    if stat.S_ISDIR(st.st_mode):
        raise error(f"a folder, not {_a(what)}", path=path)
    if not stat.S_ISREG(st.st_mode):
        raise error(f"not a regular file ({_a(what)} is needed)", path=path)
    max_bytes = LIMITS[limit]
    if st.st_size > max_bytes:
        raise error(
            f"{_is(what)}too large ({st.st_size:,} bytes; edukit reads at most {max_bytes:,})",
            path=path,
        )
    return p


def check_user_folder(
    path: str | os.PathLike, *, what: str, error: type[EdukitError] = InputError
) -> Path:
    """The path of an existing folder (a SIGHT prompt folder...); otherwise one `error`."""
    p, st = _stat(path, what, error)
    if not stat.S_ISDIR(st.st_mode):
        raise error(f"a file, not {_a(what)}", path=path)
    return p


def _stat(
    path: str | os.PathLike, what: str, error: type[EdukitError]
) -> tuple[Path, os.stat_result]:
    """The resolved path and its stat; one `error` when nothing is there or it cannot be read."""
    from edukit.resources import resolve_input

    p = Path(resolve_input(path))
    try:
        return p, p.stat()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise error(f"{what} not found", path=path) from None
        raise error(f"cannot read{_the(what)}: {os_reason(exc)}", path=path) from None


def exists(path: str | os.PathLike) -> bool:
    """False only when nothing is at `path`; a path `stat` cannot look at (a 300-character name,
    no permission) counts as there, for `check_user_file` to name the reason."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno not in (errno.ENOENT, errno.ENOTDIR)
    return True


def read_user_text(
    path: str | os.PathLike,
    *,
    what: str,
    error: type[EdukitError] = InputError,
    limit: str = "text",
) -> str:
    """The UTF-8 text of a user's file (a BOM dropped), after `check_user_file`'s checks."""
    p = check_user_file(path, what=what, error=error, limit=limit)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read{_the(what)}: {os_reason(exc)}", path=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"{exc.reason} at byte {exc.start}"
        raise error(f"{_is(what)}not UTF-8 text ({reason})", path=path) from None


# "file not found", "not UTF-8 text"; "names file not found", "names file is not UTF-8 text"
def _the(what: str) -> str:
    return "" if what == "file" else f" the {what}"


def _a(what: str) -> str:
    """`what` with its article: "a names file", "an endpoints file"."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def _is(what: str) -> str:
    return "" if what == "file" else f"{what} is "


def os_reason(exc: OSError) -> str:
    """An OSError's reason in words, for one error line."""
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return exc.strerror or str(exc)
