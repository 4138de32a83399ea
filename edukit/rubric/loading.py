"""`load_rubric(path)`: read, validate and compile a rubric file, errors at file:line:column."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError

from edukit.errors import RubricError
from edukit.jsonsafe import loads
from edukit.rubric.model import Rubric
from edukit.rubric.source import Source, key_path, read_source, suggest
from edukit.rubric.spec import (
    Defaults,
    Example,
    Label,
    Output,
    RubricSpec,
    Subcategory,
    Unit,
)
from edukit.userfile import check_user_file
from edukit.userfile import exists as _exists

# Which model describes the mapping at a key path (list indices left out).
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): RubricSpec,
    ("unit",): Unit,
    ("labels",): Label,
    ("labels", "subcategories"): Subcategory,
    ("examples",): Example,
    ("output",): Output,
    ("defaults",): Defaults,
}
_BINARY_ONLY = ("version", "template", "instructions", "reasoning")


def load_rubric(path: str | Path) -> Rubric:
    """Load a rubric YAML file. Raises RubricError (with file:line:column) if it is invalid.

    A bare name that is no file (`mathdial-moves`) is the bundled rubric of that name.
    """
    from edukit.resources import resolve_rubric, rubric_names

    resolved = resolve_rubric(path)
    if not _exists(resolved):
        names = rubric_names()
        hint = suggest(Path(path).stem, names) or f" (bundled rubrics: {', '.join(names)})"
        raise RubricError(f"rubric file not found{hint}", path=path)
    source = read_source(resolved)
    try:
        spec = RubricSpec.model_validate(source.data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None
    _check_labels(spec, source)
    examples = list(spec.examples)
    origins: list[tuple[Path, str | None]] = [
        (source.path, source.where(("examples", i))) for i in range(len(examples))
    ]
    if spec.examples_file:
        examples_path = source.path.parent / spec.examples_file
        if not _exists(examples_path):
            raise source.error(("examples_file",), f"no such file: {examples_path}")
        check_user_file(examples_path, what="examples file", error=RubricError)
        if examples_path.suffix.lower() not in (".jsonl", ".csv"):
            raise source.error(("examples_file",), "must be a .jsonl or .csv file")
        file_examples, file_origins = read_examples(examples_path)
        examples += file_examples
        origins += file_origins
    _check_examples(spec, examples, origins)
    rubric = Rubric(spec, examples, source)
    rubric.example_origins = origins
    # Render every example now so a field missing from an example fails at load, at its line.
    if spec.task != "binary" or any(label.template is None for label in spec.labels):
        for n, (example, (where_path, where)) in enumerate(zip(examples, origins, strict=True), 1):
            try:
                rubric._render(None, example.item, f"example {n}")
            except RubricError as err:
                raise RubricError(err.message, path=where_path, where=where) from None
    return rubric


def _first_error(exc: ValidationError, source: Source) -> RubricError:
    # An unknown key first: it is usually a typo that also explains a "missing" error.
    errors = sorted(
        exc.errors(),
        key=lambda e: (
            e["type"] != "extra_forbidden",
            _line(source.where(_clean_loc(e["loc"], source.data))),
        ),
    )
    err = errors[0]
    loc = _clean_loc(err["loc"], source.data)
    if err["type"] == "extra_forbidden":
        model = _MODELS.get(tuple(p for p in loc[:-1] if isinstance(p, str)))
        options = list(model.model_fields) if model else []
        return source.error(loc, "unknown key" + suggest(str(loc[-1]), options))
    if err["type"] == "missing":
        return source.error(loc[:-1], f"missing required key {loc[-1]!r}")
    if err["type"] == "string_type" and isinstance(err["input"], int | float | bool):
        # `version: 1.0` reads as a number: the fix is to quote it.
        return source.error(loc, f'{err["msg"]} (put it in quotes, e.g. "{err["input"]}")')
    return source.error(loc, err["msg"])


def _clean_loc(loc: tuple, data: Any) -> tuple:
    # pydantic adds union branch names ('list[str]', 'str') to locations: keep real keys only.
    out: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str):
            out.append(part)  # a key that is missing or unknown: keep it for the message
            node = None
    return tuple(out)


def _line(where: str | None) -> tuple[int, int]:
    if not where:
        return (0, 0)
    line, _, col = where.partition(":")
    return (int(line), int(col or 0))


def _check_labels(spec: RubricSpec, source: Source) -> None:
    seen: dict[str, int] = {}
    for i, label in enumerate(spec.labels):
        if label.name in seen:
            raise source.error(
                ("labels", i, "name"),
                f"duplicate label {label.name!r} (first defined at labels[{seen[label.name]}])",
            )
        seen[label.name] = i
        if spec.task != "binary":
            for key in _BINARY_ONLY:
                if getattr(label, key) is not None:
                    raise source.error(
                        ("labels", i, key), f"only binary rubrics allow a per-label {key}"
                    )
        if spec.task == "scales":
            names = [c.name for c in label.categories or []]
            if len(names) < 2:
                raise source.error(
                    ("labels", i, "name"), "a scales label needs at least two categories"
                )
            if any(not n.strip() for n in names):
                raise source.error(("labels", i, "categories"), "a category name is empty")
            if len(set(names)) != len(names):
                raise source.error(("labels", i, "categories"), "duplicate category names")
        elif label.categories is not None:
            raise source.error(
                ("labels", i, "categories"), "only scales rubrics give labels categories"
            )
        if label.values is not None:
            if spec.task in ("single", "scales"):
                raise source.error(("labels", i, "values"), "single-choice labels take no values")
            if set(label.values) != {True, False} or sorted(label.values.values()) != [0, 1]:
                raise source.error(
                    ("labels", i, "values"),
                    "values must map true and false to 1 and 0 (e.g. {true: 0, false: 1})",
                )
    if spec.task == "single" and not spec.target:
        raise source.error(("task",), "a single-choice rubric needs `target` (e.g. target: move)")
    if spec.task == "single" and len(spec.labels) < 2:
        raise source.error(("labels",), "a single-choice rubric needs at least two labels")


def _check_examples(
    spec: RubricSpec, examples: list[Example], origins: list[tuple[Path, str | None]]
) -> None:
    names = [label.name for label in spec.labels]
    for example, (path, where) in zip(examples, origins, strict=True):
        if spec.task == "scales" or isinstance(example.labels, dict):
            _check_scales_example(spec, example, path, where)
            continue
        chosen = [example.labels] if isinstance(example.labels, str) else example.labels
        for name in chosen:
            if name not in names:
                raise RubricError(
                    f"example names unknown label {name!r}{suggest(name, names)}",
                    path=path,
                    where=where,
                )
        if spec.task == "single" and len(chosen) != 1:
            raise RubricError(
                "a single-choice example needs exactly one label", path=path, where=where
            )
        if spec.output.reasoning and not example.reasoning:
            raise RubricError(
                "output.reasoning is on, so each example needs a reasoning",
                path=path,
                where=where,
            )


def _check_scales_example(
    spec: RubricSpec, example: Example, path: Path, where: str | None
) -> None:
    if spec.task != "scales":
        raise RubricError(
            "only scales rubrics give example labels as a mapping", path=path, where=where
        )
    if not isinstance(example.labels, dict):
        raise RubricError(
            "a scales example gives each label's class (labels: {label: class, ...})",
            path=path,
            where=where,
        )
    for label in spec.labels:
        classes = [c.name for c in label.categories or []]
        value = example.labels.get(label.name)
        if value is None:
            raise RubricError(f"example has no class for {label.name!r}", path=path, where=where)
        if value not in classes:
            raise RubricError(
                f"example gives {label.name!r} unknown class {value!r}{suggest(value, classes)}",
                path=path,
                where=where,
            )
    extra = sorted(set(example.labels) - {label.name for label in spec.labels})
    if extra:
        names = [label.name for label in spec.labels]
        raise RubricError(
            f"example names unknown label {extra[0]!r}{suggest(extra[0], names)}",
            path=path,
            where=where,
        )
    if spec.output.reasoning and not example.reasoning:
        raise RubricError(
            "output.reasoning is on, so each example needs a reasoning", path=path, where=where
        )


def read_examples(path: Path) -> tuple[list[Example], list[tuple[Path, str | None]]]:
    """Examples from JSONL or CSV: item fields as columns (or, in JSONL, an `item` object), a
    `labels` column (a list, or `;`-separated in CSV) and an optional `reasoning`.

    Each example's origin is (file, line) so later errors and leakage warnings can point at it.
    """
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise RubricError("examples_file must be .jsonl or .csv", path=path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(_jsonl_rows(fh, path) if suffix == ".jsonl" else _csv_rows(fh, path))
    except FileNotFoundError:
        raise RubricError("examples file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise RubricError(f"examples file is not UTF-8 text: {exc.reason}", path=path) from None
    except OSError as exc:
        raise RubricError(f"cannot read examples file: {exc.strerror}", path=path) from None
    examples, origins = [], []
    for n, obj in rows:
        if "labels" not in obj:
            raise RubricError("example has no 'labels'", path=path, where=n)
        if "item" not in obj or suffix == ".csv":
            item = {k: v for k, v in obj.items() if k not in ("labels", "reasoning")}
            obj = {"item": item, **{k: obj[k] for k in ("labels", "reasoning") if k in obj}}
        try:
            examples.append(Example.model_validate(obj))
        except ValidationError as exc:
            first = exc.errors()[0]
            key = key_path(_clean_loc(first["loc"], obj)) or "example"
            raise RubricError(f"{key}: {first['msg']}", path=path, where=n) from None
        origins.append((path, str(n)))
    return examples, origins


def _jsonl_rows(fh: TextIO, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        obj = loads(line, path=path, where=n, error=RubricError)
        if not isinstance(obj, dict):
            raise RubricError("each line must be a JSON object", path=path, where=n)
        yield n, obj


def _csv_rows(fh: TextIO, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(fh)
    try:
        header = next(reader, None)
        if not header:
            return
        if "labels" not in header:
            raise RubricError(
                f"no 'labels' column (columns: {', '.join(header)})", path=path, where=1
            )
        start = reader.line_num + 1
        for cells in reader:
            n, start = start, reader.line_num + 1  # the line the row starts on
            if not any(cells):
                continue
            if len(cells) != len(header):
                raise RubricError(
                    f"row has {len(cells)} cells but the header has {len(header)}",
                    path=path,
                    where=n,
                )
            row: dict[str, Any] = dict(zip(header, cells, strict=True))
            labels = row["labels"].strip()
            if labels.startswith("["):
                try:
                    row["labels"] = loads(labels, path=path, where=n, error=RubricError)
                except RubricError as exc:
                    reason = exc.message.removeprefix("invalid JSON: ")
                    raise RubricError(
                        f"labels: not a JSON list: {reason}", path=path, where=n
                    ) from None
            else:
                row["labels"] = [s.strip() for s in labels.split(";") if s.strip()]
            if not row.get("reasoning"):
                row.pop("reasoning", None)
            yield n, row
    except csv.Error as exc:
        raise RubricError(f"malformed CSV: {exc}", path=path, where=reader.line_num) from None
