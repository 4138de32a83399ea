"""Inputs are read-only to edukit: one guard every command calls before any work.

`guard_outputs` refuses an output that is also an input (compared after resolving symlinks and
`..`), two outputs that are the same file, and an output whose folder cannot be written; it
runs before the first row is read or the first request sent, so a slip costs nothing.
`check_run_store` refuses a SQLite file that is not an edukit run store, reading it only through
a read-only connection so it stays byte-identical.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from edukit.errors import AnnotationError, InputError

RUN_STORE_TABLES = {"runs", "requests", "responses", "annotations"}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _resolved(path: str | os.PathLike) -> Path:
    return Path(path).expanduser().resolve(strict=False)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a 300-character name: its reader says so, naming it
        return False


def guard_outputs(
    outputs: Mapping[str, str | os.PathLike | None],
    inputs: Iterable[str | os.PathLike | None],
) -> None:
    """Refuse before any work: an output (option name -> path) that is an input file, lies in an
    input folder, repeats another output, is a folder, or cannot be created in its folder.

    Raises InputError naming the output and the input it would destroy.
    """
    ins = [(Path(p), _resolved(p)) for p in inputs if p is not None]
    seen: dict[Path, str] = {}
    for option, out in outputs.items():
        if out is None:
            continue
        target = _resolved(out)
        for given, real in ins:
            if target == real:
                raise InputError(
                    f"{option} is also an input ({given}): writing it would destroy the input; "
                    "choose another output file",
                    path=out,
                )
            if _is_dir(real) and target.is_relative_to(real):
                raise InputError(
                    f"{option} is inside the input folder {given}: write it elsewhere",
                    path=out,
                )
        if target in seen:
            raise InputError(f"{option} and {seen[target]} name the same file", path=out)
        seen[target] = option
        check_writable(out, option)


def check_writable(out: str | os.PathLike, option: str = "output") -> None:
    """The output file can be written: not a folder, and its folder is (or can be) created and
    writable."""
    try:
        _check_writable(out, option)
    except OSError as exc:  # a 300-character name, a path through a file...
        from edukit.userfile import os_reason

        raise InputError(f"{option} cannot be written: {os_reason(exc)}", path=out) from None


def _check_writable(out: str | os.PathLike, option: str) -> None:
    path = Path(out)
    if path.is_dir():
        raise InputError(f"is a folder: give a file name ({option})", path=out)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} cannot be written (no permission)", path=out)
    parent = _resolved(out).parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{option}: {parent} is a file, not a folder", path=out)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option}: cannot write in the folder {parent} (no permission)", path=out)


def public_url(url: str | None) -> str | None:
    """`url` without its user info and query (`http://user:SECRET@host/v1?key=K` →
    `http://host/v1`): what may be stored, printed or written to a report. The request itself
    uses the URL as given."""
    if url is None:
        return None
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(a malformed URL, not shown)" if "@" in url else url
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secrets(url: str | None) -> list[str]:
    """The password, user name and query values a URL carries (to scrub from echoed text)."""
    if not url:
        return []
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        found = [parts.password, parts.username]
    except ValueError:
        return []
    found += [v for _, v in parse_qsl(parts.query)]
    return [unquote(s) for s in found if s]


def check_folder(folder: str | os.PathLike, option: str) -> None:
    """An output folder can be used: not a file, and it is (or can be) created where it is
    writable; a name the system refuses (300 characters) is one line too."""
    from edukit.userfile import os_reason

    path = Path(folder)
    try:
        if path.exists() and not path.is_dir():
            raise InputError(f"{option} must be a folder, and this is a file", path=folder)
        _check_writable(path / "_", option)
    except OSError as exc:
        raise InputError(f"{option} cannot be used: {os_reason(exc)}", path=folder) from None


def make_folder(folder: str | os.PathLike, option: str) -> None:
    """Create an output folder (and its parents), or say in one line why it cannot be."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from edukit.userfile import os_reason

        raise InputError(
            f"{option}: cannot create the folder: {os_reason(exc)}", path=folder
        ) from None


def check_url(url: str | None, option: str = "--base-url") -> None:
    """A malformed endpoint URL (`http://[::1`, `localhost:8080`) as one line, before any work."""
    if url is None:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise AnnotationError(f"{option} {public_url(url)!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise AnnotationError(
            f"{option} must start with http:// or https:// (got {public_url(url)!r}), for "
            "example http://localhost:8000/v1"
        )
    if not parts.hostname:
        raise AnnotationError(
            f"{option} {public_url(url)!r} names no host (e.g. http://localhost:8000/v1)"
        )


def check_run_store(path: str | os.PathLike, *, must_exist: bool) -> None:
    """Refuse a file that is not an edukit run store (an empty file, another application's
    SQLite database, anything else), reading it read-only. A missing file is an error only when
    `must_exist` (read-only commands); `annotate` creates it.
    """
    from edukit.userfile import exists, os_reason

    p = Path(path)
    if not exists(p):
        if must_exist:
            raise AnnotationError("no run store here (give --run-db FILE)", path=path)
        return
    try:
        if not p.is_file():
            raise AnnotationError("the run store must be a file, not a folder", path=path)
        size = p.stat().st_size
    except OSError as exc:
        raise AnnotationError(f"cannot read the run store: {os_reason(exc)}", path=path) from None
    if size == 0:
        if must_exist:
            raise AnnotationError("empty file: not an edukit run store", path=path)
        return
    with p.open("rb") as fh:
        magic = fh.read(len(_SQLITE_MAGIC))
    if magic != _SQLITE_MAGIC:
        raise AnnotationError("not an edukit run store (not a SQLite database)", path=path)
    tables = _tables(p)
    if not tables >= RUN_STORE_TABLES:
        raise AnnotationError(
            "not an edukit run store (a SQLite database without edukit's tables): "
            "give another --run-db; this file is left untouched",
            path=path,
        )


def _tables(path: Path) -> set[str]:
    uri = f"file:{quote(os.fspath(path.resolve()))}?mode=ro"
    for suffix in ("", "&immutable=1"):  # a WAL store may need -shm: read the file as it is
        try:
            db = sqlite3.connect(uri + suffix, uri=True)
            try:
                rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                return {r[0] for r in rows}
            finally:
                db.close()
        except sqlite3.DatabaseError:
            continue
    raise AnnotationError("cannot read the run store (a damaged SQLite file?)", path=path)
