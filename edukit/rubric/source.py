"""Read a rubric YAML file keeping the line and column of every key and value.

The file is composed (not constructed) first so every node keeps its mark; tags outside plain
YAML (`!!python/object`, custom `!tags`) are refused with their line before anything is built.
"""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edukit.errors import RubricError

Path_ = tuple[str | int, ...]

_SAFE_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


@dataclass
class Source:
    """A parsed YAML document and where each of its parts was written."""

    path: Path
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # 1-based line, column

    def where(self, loc: Path_) -> str | None:
        """`line:column` of the closest part of `loc` that exists in the file."""
        loc = tuple(loc)
        while loc:
            if loc in self.marks:
                return "{}:{}".format(*self.marks[loc])
            loc = loc[:-1]
        return "{}:{}".format(*self.marks[()]) if () in self.marks else None

    def error(self, loc: Path_, message: str) -> RubricError:
        """A RubricError at `loc`, prefixed with its key path (`labels[2].definition`)."""
        key = key_path(loc)
        return RubricError(
            f"{key}: {message}" if key else message, path=self.path, where=self.where(loc)
        )


def key_path(loc: Path_) -> str:
    """`('labels', 2, 'name')` → `labels[2].name`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_source(path: str | Path) -> Source:
    """Parse `path` safely, keeping marks; RubricError on bad syntax, unsafe tags, duplicates."""
    from edukit.userfile import read_user_text

    path = Path(path)
    text = read_user_text(path, what="rubric file", error=RubricError)
    if len(text) > MAX_CHARS:
        raise RubricError(f"the rubric file is over {MAX_CHARS:,} characters", path=path)
    text = text.removeprefix("\ufeff")
    with contextlib.suppress(yaml.YAMLError):  # the composer reports it, with its line
        _check_nesting(text, path)
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise RubricError("the rubric file is empty", path=path, where=1)
        source = Source(path, None)
        _walk(node, (), source, _Walk())
        source.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else None
        raise RubricError(
            f"invalid YAML: {exc.problem or exc.context}", path=path, where=where
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        before = text[: exc.position]
        where = f"{before.count(chr(10)) + 1}:{len(before.rsplit(chr(10), 1)[-1]) + 1}"
        raise RubricError(
            f"invalid YAML: character {chr(exc.character)!r} is not allowed", path=path, where=where
        ) from None
    except yaml.YAMLError as exc:
        raise RubricError(f"invalid YAML: {str(exc).splitlines()[0]}", path=path) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(source.data, dict):
        raise RubricError("a rubric must be a mapping of keys", path=path, where=source.where(()))
    return source


MAX_CHARS = 5_000_000  # a rubric is a page of text; this leaves room for long few-shot lists
MAX_DEPTH = 30  # keys within keys; real rubrics use 4
MAX_NODES = 200_000  # values after aliases are expanded (a billion-laughs file has billions)


def _check_nesting(text: str, path: Path) -> None:
    """Refuse nesting past MAX_DEPTH, from the event stream (which, unlike the composer,
    does not recurse), before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise RubricError(
                    f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                    path=path,
                    where=f"{mark.line + 1}:{mark.column + 1}",
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


class _Walk:
    """The budget of one walk: nodes visited (aliases count each time) and the open path."""

    def __init__(self) -> None:
        self.nodes = 0
        self.open: set[int] = set()


def _walk(node: yaml.Node, loc: Path_, source: Source, state: _Walk) -> None:
    mark = (node.start_mark.line + 1, node.start_mark.column + 1)
    state.nodes += 1
    if state.nodes > MAX_NODES:
        raise RubricError(
            f"{key_path(loc) or 'document'}: the YAML expands to more than {MAX_NODES:,} values "
            "(aliases repeat their anchor's content): refusing it",
            path=source.path,
            where="{}:{}".format(*mark),
        )
    if id(node) in state.open:
        raise RubricError(
            f"{key_path(loc) or 'document'}: an alias refers to a value that contains it",
            path=source.path,
            where="{}:{}".format(*mark),
        )
    if len(loc) > MAX_DEPTH:
        raise RubricError(
            f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
            path=source.path,
            where="{}:{}".format(*mark),
        )
    source.marks.setdefault(loc, mark)
    if node.tag not in _SAFE_TAGS:
        raise RubricError(
            f"{key_path(loc) or 'document'}: unsafe or unknown YAML tag {node.tag!r}",
            path=source.path,
            where="{}:{}".format(*mark),
        )
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag not in _SAFE_TAGS or not isinstance(key_node, yaml.ScalarNode):
                raise RubricError(
                    f"{key_path(loc) or 'document'}: keys must be plain scalars",
                    path=source.path,
                    where=f"{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}",
                )
            key = key_node.value
            if key_node.tag == "tag:yaml.org,2002:bool":
                key = key.lower() in ("true", "yes", "on")
            if key in seen:
                raise RubricError(
                    f"{key_path((*loc, key))}: duplicate key",
                    path=source.path,
                    where=f"{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}",
                )
            seen.add(key)
            # A key's mark points at the key itself, so `unknown key` errors land on it.
            source.marks[(*loc, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            state.open.add(id(node))
            _walk(value_node, (*loc, key), source, state)
            state.open.discard(id(node))
    elif isinstance(node, yaml.SequenceNode):
        state.open.add(id(node))
        for i, child in enumerate(node.value):
            _walk(child, (*loc, i), source, state)
        state.open.discard(id(node))


def suggest(word: str, options: list[str]) -> str:
    """` (did you mean 'x'?)` when a close option exists."""
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
