"""`edukit review export|import`: items for people to check in Label Studio, Prodigy, Sandpiper
or a spreadsheet, and their labels back as raters (issue 24)."""

from __future__ import annotations

from pathlib import Path

import typer

from edukit.commands.options import ENCODING, MAX_SEED, RAW_CSV, SEP, use_dialect

FORMAT_HELP = "label-studio (JSON tasks), prodigy (JSONL), sandpiper (CSV) or csv."
_SUFFIX = {"label-studio": ".json", "prodigy": ".jsonl", "sandpiper": ".csv", "csv": ".csv"}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def register(app: typer.Typer) -> None:
    """Add `edukit review` to the root app."""
    review = typer.Typer(
        help="Send chosen items to people (Label Studio, Prodigy, Sandpiper, a spreadsheet) "
        "and read their labels back.",
        no_args_is_help=True,
    )
    review.command("export")(export_command)
    review.command("import")(import_command)
    app.add_typer(review, name="review")


def export_command(
    annotations: list[Path] = typer.Argument(
        ...,
        help="Long annotation files with the model labels (and any human labels).",
        show_default=False,
    ),
    items: Path = typer.Option(
        ..., "--items", help="The items (text and context): a table, a MathDial or SIGHT file."
    ),
    rubric: Path = typer.Option(..., "--rubric", help="The rubric the labels follow."),
    format: str = typer.Option(..., "--format", help=FORMAT_HELP),
    out: Path = typer.Option(..., "--out", help="Write the tasks here."),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="label-studio: write the labeling configuration (XML) here "
        "(default: <out stem>.xml next to --out).",
    ),
    selection_out: Path | None = typer.Option(
        None,
        "--selection-out",
        help="Write item_id, rule, probability, stratum here "
        "(default: <out stem>.selection.csv next to --out).",
    ),
    select: str = typer.Option(
        "all",
        "--select",
        help="Rules, comma-separated, each RULE or RULE:N: disagreement, low-confidence, "
        "random, stratified, all.",
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        min=1,
        max=1_000_000,
        help="Items in all (shared by rules without :N).",
    ),
    seed: int = typer.Option(
        0, "--seed", min=0, max=MAX_SEED, help="Seed of the random and stratified picks."
    ),
    models: str | None = typer.Option(
        None,
        "--models",
        help="Model raters A,B (e.g. the arms of a compare sweep); default: raters with a "
        "version. The first one's labels define the strata.",
    ),
    stratify_by: str | None = typer.Option(
        None,
        "--stratify-by",
        help="stratified: the label whose model values are the strata (default: the rubric's "
        "first label).",
    ),
    annotators: str | None = typer.Option(
        None,
        "--annotators",
        help="sandpiper: annotator names, one set of columns each (default: reviewer).",
    ),
    id_col: str | None = typer.Option(None, "--id-col", help="Generic items: the id column."),
    text_col: str | None = typer.Option(None, "--text-col", help="Generic items: text column."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Select items to review and write them for an annotation tool (rule and probability kept)."""
    use_dialect(sep, encoding)
    _export(**dict(locals()))


def _export(
    annotations, items, rubric, format, out, config, selection_out, select, budget, seed,
    models, stratify_by, annotators, id_col, text_col, raw_csv, **_,
) -> None:  # fmt: skip
    from edukit.errors import InputError
    from edukit.paths import guard_outputs
    from edukit.review.exporting import FORMATS, ExportSettings, export_review, sessions_for
    from edukit.review.selection import SelectionSettings, check_seed, parse_rules

    if format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    want = _SUFFIX[format]
    if out.suffix.lower() != want:
        raise InputError(f"--out: a {format} file ends in {want}", path=out)
    if config is not None and format != "label-studio":
        raise InputError(
            "--config is the Label Studio labeling configuration: --format label-studio"
        )
    if annotators is not None and format != "sandpiper":
        raise InputError("--annotators names Sandpiper's annotator columns: --format sandpiper")
    if format == "label-studio" and config is None:
        config = out.with_suffix(".xml")
    if selection_out is None:
        selection_out = out.with_name(out.stem + ".selection.csv")
    settings = ExportSettings(
        format=format,
        selection=SelectionSettings(
            rules=_split(select),
            budget=budget,
            seed=seed,
            models=_split(models) or None,
            stratify_by=stratify_by,
        ),
        annotators=_split(annotators or "reviewer"),
    )
    rules = parse_rules(settings.selection.rules, budget)  # bad options fail before any file
    if stratify_by is not None and all(name != "stratified" for name, _ in rules):
        raise InputError("--stratify-by sets the strata of --select stratified")
    check_seed(seed)
    guard_outputs(
        {"--out": out, "--config": config, "--selection-out": selection_out},
        [*annotations, items, rubric],
    )
    import pandas as pd

    from edukit.annotations import read_annotations
    from edukit.corpora.detect import load_items
    from edukit.corpora.tables import write_table
    from edukit.rubric import load_rubric

    rub = load_rubric(rubric)
    frames = [read_annotations(p) for p in annotations]
    ann = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    item_table = load_items(items, id_col=id_col, text_col=text_col)
    sessions = sessions_for(items, item_table) if format == "sandpiper" else None
    result = export_review(ann, item_table, rub, settings, sessions)
    # everything is built: now write (nothing is written when anything above failed)
    if result.text is not None:
        _write_text(out, result.text)
    else:
        write_table(result.table, out, raw_csv=raw_csv)
    if result.config is not None:
        _write_text(config, result.config)
    write_table(result.selection.table, selection_out)
    counts = result.selection.table["rule"].value_counts()
    rules = ", ".join(f"{counts[r]} {r}" for r in dict.fromkeys(result.selection.table["rule"]))
    typer.echo(
        f"Selected {len(result.items)} items ({rules}); wrote {result.n_tasks} "
        f"{format} tasks to {out}"
    )
    for note in result.selection.notes:
        typer.echo(f"note: {note}")
    if result.config is not None:
        typer.echo(f"Labeling configuration: {config}")
    typer.echo(f"Selection (rule and probability per item): {selection_out}")


def _write_text(path: Path, text: str) -> None:
    from edukit.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None


def import_command(
    file: Path = typer.Argument(..., help="The tool's export of the completed tasks."),
    format: str = typer.Option(..., "--format", help=FORMAT_HELP),
    rubric: Path = typer.Option(..., "--rubric", help="The rubric the tasks were made from."),
    out: Path = typer.Option(..., "--out", help="Write the long annotation table here."),
    rater: str | None = typer.Option(
        None, "--rater", help="csv/prodigy: the reviewer's name (replaces any in the file)."
    ),
    adjudicated: bool = typer.Option(
        False, "--adjudicated", help="Write every label as the rater 'adjudicated' (gold)."
    ),
    on_conflict: str = typer.Option(
        "error",
        "--on-conflict",
        help="An annotator who answered one question of an item twice: error, or latest.",
    ),
    selection: Path | None = typer.Option(
        None,
        "--selection",
        help="The export's selection file: refuse items not in it, copy rule and probability.",
    ),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Read reviewed labels back as raters of a long annotation table (for agree and export)."""
    from edukit.corpora.tables import table_format, write_table
    from edukit.paths import guard_outputs
    from edukit.review.importing import ImportSettings, import_review, summary
    from edukit.rubric import load_rubric

    use_dialect(sep, encoding)
    table_format(out)
    guard_outputs({"--out": out}, [file, rubric, selection])
    sel = None
    if selection is not None:
        from edukit.review.selection import read_selection

        sel = read_selection(selection)
    settings = ImportSettings(
        format=format,
        rater=rater.strip() if rater else None,
        adjudicated=adjudicated,
        on_conflict=on_conflict,
        selection=sel,
    )
    result = import_review(file, load_rubric(rubric), settings)
    write_table(result.table, out, raw_csv=raw_csv)
    typer.echo(f"Imported {summary(result)}; wrote {out}")
