"""`edukit rubric validate|render|import-sight|hash|schema` (issue 3), `list|copy` (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, SEP, use_dialect

rubric_app = typer.Typer(
    help="Check, render, hash and import annotation rubrics (YAML).", no_args_is_help=True
)

_FILE = typer.Argument(
    ..., help="Rubric YAML file, or the name of a bundled rubric.", show_default=False
)


@rubric_app.command("list")
def list_cmd() -> None:
    """Show the bundled rubrics, one line each (use the name with --rubric or rubric copy)."""
    from edukit.resources import bundled_rubric, rubric_names
    from edukit.rubric import load_rubric

    rows = []
    for name in rubric_names():
        rubric = load_rubric(bundled_rubric(name))
        shape = f"{rubric.task}, {len(rubric.labels)} labels"
        rows.append((name, rubric.version, shape, _first_sentence(rubric.spec.description)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[3]]))


@rubric_app.command("copy")
def copy_cmd(
    name: str = typer.Argument(..., help="A bundled rubric (see `edukit rubric list`)."),
    dest: Path = typer.Argument(
        ..., help="File to write (or an existing folder).", show_default=False
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite DEST if it exists."),
) -> None:
    """Copy a bundled rubric to DEST, to start your own rubric from it."""
    from edukit.resources import copy_rubric

    target = copy_rubric(name, dest, overwrite=force)
    typer.echo(f"Wrote {target}: edit it, then `edukit rubric validate {target}`")


def _first_sentence(text: str | None) -> str:
    text = " ".join((text or "").split())
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


@rubric_app.command("validate")
def validate(
    file: Path = _FILE,
    data: Path | None = typer.Option(
        None, "--data", help="Items to annotate: check template fields and few-shot leakage."
    ),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Check a rubric file (and that DATA has the fields its templates read)."""
    use_dialect(sep, encoding)
    from edukit.rubric import check_data, load_rubric, read_items_for

    rubric = load_rubric(file)
    if data is not None:
        items = read_items_for(rubric, data)
        texts = _texts(items, rubric)
        for warning in check_data(rubric, items.columns, texts, data_name=str(data)):
            typer.echo(f"Warning: {warning}", err=True)
        from edukit.rubric.data import render_all

        render_all(rubric, items)  # what validates renders: every item, through annotate's path
    from edukit.rubric.data import check_declared_fields

    check_declared_fields(rubric)  # a field outside them would escape --redact
    typer.echo(
        f"{file}: ok: {rubric.name} {rubric.version} ({rubric.task}, {len(rubric.labels)} labels, "
        f"{len(rubric.examples)} examples) hash {rubric.hash}"
    )


@rubric_app.command("render")
def render(
    file: Path = _FILE,
    data: Path = typer.Option(..., "--data", help="Items table (CSV, JSONL, Parquet or corpus)."),
    item: str | None = typer.Option(None, "--item", help="Item id (default: the first item)."),
    label: str | None = typer.Option(None, "--label", help="Only this label's request (binary)."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Print the exact messages and JSON Schema that would be sent for one item (JSON)."""
    use_dialect(sep, encoding)
    from edukit.errors import RubricError
    from edukit.rubric import check_data, load_rubric, read_items_for
    from edukit.rubric.model import text_id

    rubric = load_rubric(file)
    items = read_items_for(rubric, data)
    check_data(rubric, items.columns, data_name=str(data))
    if items.empty:
        raise RubricError("the data has no items", path=data)
    ids = items[rubric.id_field].map(text_id)
    if item is None:
        row = items.iloc[0]
    elif (ids == item).any():
        row = items[ids == item].iloc[0]
    else:
        raise RubricError(f"no item with {rubric.id_field} {item!r}", path=data)
    requests = rubric.requests(row.to_dict())
    if label is not None:
        if label not in rubric.labels and label != rubric.target:
            from edukit.rubric.source import suggest

            options = [*rubric.labels, *([rubric.target] if rubric.target else [])]
            raise RubricError(
                f"--label: unknown label {label!r}{suggest(label, options)}", path=file
            )
        requests = [r for r in requests if label in r.labels or r.key == label]
    out = [
        {
            "item_id": r.item_id,
            "key": r.key,
            "labels": list(r.labels),
            "version": r.version,
            "params": r.params,
            "messages": r.messages,
            "schema_name": r.schema_name,
            "schema": r.schema,
        }
        for r in requests
    ]
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False, default=str))


@rubric_app.command("import-sight")
def import_sight_cmd(
    prompts_dir: Path = typer.Argument(..., help="A SIGHT prompt folder (e.g. bin_kshot)."),
    out: Path = typer.Option(..., "--out", help="Rubric YAML file to write."),
) -> None:
    """Convert a SIGHT prompt folder into a binary rubric that keeps each label's version."""
    from edukit.paths import guard_outputs
    from edukit.rubric import dump_rubric, import_sight, load_rubric

    guard_outputs({"--out": out}, [prompts_dir])
    doc = import_sight(prompts_dir)
    dump_rubric(doc, out)
    rubric = load_rubric(out)
    versions = ", ".join(f"{lab['name']} {lab['version']}" for lab in doc["labels"])
    typer.echo(f"Wrote {out}: {len(rubric.labels)} labels ({versions}) hash {rubric.hash}")


@rubric_app.command("hash")
def hash_cmd(file: Path = _FILE) -> None:
    """Print the rubric's canonical content hash (sha256)."""
    from edukit.rubric import load_rubric

    typer.echo(load_rubric(file).hash)


@rubric_app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the rubric file format (for editor autocompletion)."""
    from edukit.rubric import rubric_schema

    typer.echo(json.dumps(rubric_schema(), indent=2))


def _texts(items, rubric) -> dict[str, object] | None:
    from edukit.rubric.model import text_id

    if rubric.text_field not in items.columns or rubric.id_field not in items.columns:
        return None
    return dict(zip(items[rubric.id_field].map(text_id), items[rubric.text_field], strict=True))


def register(app: typer.Typer) -> None:
    """Add `edukit rubric ...` to the root app."""
    app.add_typer(rubric_app, name="rubric")
