"""`edukit redact INPUT --out FILE`: personal information replaced by typed placeholders."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, PHONE_REGIONS, RAW_CSV, SEP, use_dialect


def register(app: typer.Typer) -> None:
    """Add `edukit redact` to the root app."""
    app.command("redact")(redact_command)


def redact_command(
    input: Path = typer.Argument(
        ..., help="Items: a table (CSV/JSONL/Parquet), a MathDial or a SIGHT file."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Write the redacted items here (.csv, .jsonl, .parquet)."
    ),
    entities: list[str] | None = typer.Option(
        None,
        "--entities",
        help="Entity types to replace, comma-separated or repeated: EMAIL, URL, PHONE, HANDLE, "
        "IP, NAME (rules); PERSON, GPE, LOC, ORG, DATE (need --spacy-model). "
        "Default: the profile's.",
    ),
    names: Path | None = typer.Option(
        None, "--names", help="UTF-8 text file of declared names to replace, one per line."
    ),
    profile: str | None = typer.Option(
        None,
        "--profile",
        help="Preset: rules (default), contact (no names), ner (rules + a pipeline's entities).",
    ),
    spacy_model: str | None = typer.Option(
        None,
        "--spacy-model",
        help="An installed spaCy pipeline (e.g. en_core_web_sm) or its directory, for NER.",
    ),
    names_from_column: str | None = typer.Option(
        None,
        "--names-from-column",
        help="Also replace the names written in this column of the items (e.g. speaker: "
        "'Ms. Smith' gives Smith; role codes such as T, S2, Students are skipped).",
    ),
    per_dialogue: bool = typer.Option(
        False, "--per-dialogue", help="One placeholder numbering per dialogue (MathDial)."
    ),
    phone_regions: str | None = PHONE_REGIONS,
    report: Path | None = typer.Option(
        None, "--report", help="Write a JSON report: profile, counts per type, items changed."
    ),
    id_col: str | None = typer.Option(None, "--id-col", help="Generic tables: the id column."),
    text_col: str | None = typer.Option(
        None, "--text-col", help="Generic tables: the text column."
    ),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Replace e-mails, URLs, phones, handles, IPs and declared names with placeholders.

    The output keeps every item id and column; `edukit annotate` reads it like the input.
    """
    from edukit.corpora.tables import table_format
    from edukit.paths import guard_outputs
    from edukit.redact import make_profile, redact_file

    use_dialect(sep, encoding)
    table_format(out)  # a bad extension fails before any work
    guard_outputs({"--out": out, "--report": report}, [input, names])
    settings = dict(
        entities=entities,
        names_file=names,
        spacy_model=spacy_model,
        scope="dialogue" if per_dialogue else "item",
        phone_regions=phone_regions,
    )
    prof = make_profile(profile, **settings)  # bad options fail before the items are read
    if names_from_column is not None:
        from edukit.redact.columns import column_names

        declared = column_names(input, names_from_column, id_col=id_col, text_col=text_col)
        prof = make_profile(profile, names=tuple(declared), **settings)
    also = (names_from_column,) if names_from_column else ()  # the column holds the names
    result = redact_file(
        input, out, prof, id_col=id_col, text_col=text_col, raw_csv=raw_csv, also=also
    )
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
    p = result["profile"]
    typer.echo(
        f"Redacted {result['items_redacted']} of {result['items']} items "
        f"({counts}) with profile {p['name']} ({p['hash']}) in {result['seconds']:.1f} s; "
        f"wrote {out}"
    )
    if report is not None:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        typer.echo(f"Wrote the report to {report}")
