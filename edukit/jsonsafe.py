"""JSON from untrusted files with a bound on nesting depth (a 100,000-deep `[[[...` would
otherwise end in a RecursionError in the parser or in any code that walks the result)."""

from __future__ import annotations

import json
import os
from typing import Any

from edukit.errors import InputError

MAX_DEPTH = 100


def loads(
    text: str | bytes,
    *,
    path: str | os.PathLike | None = None,
    where: str | int | None = None,
    error: type[Exception] = InputError,
) -> Any:
    """`json.loads` that raises `error` (an EdukitError) for bad JSON or nesting past MAX_DEPTH.

    Errors say `invalid JSON: ...`; JSONDecodeError is not caught when `error` is None-like.
    """
    try:
        obj = json.loads(text)
    except RecursionError:
        raise error(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, where=where) from None
    except json.JSONDecodeError as exc:
        if where is None:  # a whole JSON file: its line is the place
            where, detail = exc.lineno, f"column {exc.colno}"
        else:
            detail = f"line {exc.lineno} column {exc.colno}"
        raise error(f"invalid JSON: {exc.msg} ({detail})", path=path, where=where) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"invalid JSON: {exc}", path=path, where=where) from None
    check_depth(obj, path=path, where=where, error=error)
    return obj


def check_depth(
    obj: Any,
    *,
    path: str | os.PathLike | None = None,
    where: str | int | None = None,
    error: type[Exception] = InputError,
) -> None:
    """Raise `error` when `obj` nests lists/objects deeper than MAX_DEPTH (walked iteratively)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise error(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, where=where)
        stack.extend((child, depth + 1) for child in children)
