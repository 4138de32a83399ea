"""`edukit load mathdial|mrbench|sight|talkmoves|table ...`: load a corpus into a tidy table."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, MAX_ITEMS, MAX_SEED, RAW_CSV, SEP, use_dialect

load_app = typer.Typer(
    help="Load a corpus into a tidy table (CSV, JSONL or Parquet by the --out extension).",
    no_args_is_help=True,
)

_PATH = typer.Argument(..., help="The corpus file.", show_default=False)
_OUT = typer.Option(
    None, "--out", "-o", help="Write the table here (.csv, .jsonl or .parquet); else a summary."
)


class MathDialLevel(StrEnum):
    dialogues = "dialogues"
    utterances = "utterances"


class MRBenchLevel(StrEnum):
    responses = "responses"
    dialogues = "dialogues"
    annotations = "annotations"


class SightLevel(StrEnum):
    items = "items"
    annotations = "annotations"


@load_app.command("mathdial")
def mathdial(
    path: Path = _PATH,
    level: MathDialLevel = typer.Option(
        MathDialLevel.utterances, "--level", help="One row per dialogue or per turn."
    ),
    out: Path | None = _OUT,
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """MathDial CSV/JSONL (GitHub or Hugging Face layout) as dialogues or utterances."""
    from edukit.corpora.mathdial import read_mathdial

    use_dialect(sep, encoding)
    _check_out(out, path)
    md = read_mathdial(path)
    df = md.dialogues if level is MathDialLevel.dialogues else md.utterances

    def summary() -> str:
        u = md.utterances
        teacher = int((u["speaker"] == "teacher").sum())
        return (
            f"{path}: {len(md.dialogues):,} dialogues, {len(u):,} utterances "
            f"({teacher:,} teacher, {len(u) - teacher:,} student)"
        )

    _show(df, out, level.value, raw_csv, summary)
    _warn(md.warnings)


@load_app.command("mrbench")
def mrbench(
    path: Path = _PATH,
    level: MRBenchLevel = typer.Option(
        MRBenchLevel.responses,
        "--level",
        help="One row per tutor response, per dialogue, or per gold label (long table).",
    ),
    out: Path | None = _OUT,
    raw_csv: bool = RAW_CSV,
) -> None:
    """MRBench JSON (V1, V2, V3 dev or test) as responses, dialogues or gold annotations."""
    from edukit.corpora.mrbench import read_mrbench

    _check_out(out, path)
    mr = read_mrbench(path)
    df = {
        MRBenchLevel.responses: mr.responses,
        MRBenchLevel.dialogues: mr.dialogues,
        MRBenchLevel.annotations: mr.annotations,
    }[level]

    def summary() -> str:
        return (
            f"{path}: {len(mr.dialogues):,} dialogues, {len(mr.responses):,} responses by "
            f"{_n(mr.responses['tutor'].nunique(), 'tutor')}, {len(mr.annotations):,} gold labels "
            f"on {_n(len(mr.dimensions), 'dimension')}"
        )

    _show(df, out, level.value, raw_csv, summary)
    _warn(mr.warnings)


@load_app.command("sight")
def sight(
    path: Path = _PATH,
    prompts: Path | None = typer.Option(
        None, "--prompts", help="SIGHT prompt folder: keep only the model versions it names."
    ),
    level: SightLevel = typer.Option(
        SightLevel.annotations,
        "--level",
        help="The comments, or the long annotation table (item_id, rater, label, value, version).",
    ),
    out: Path | None = _OUT,
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """SIGHT annotations (sample_dataset.csv or sight_dataset.csv) as items or long annotations."""
    from edukit.corpora.sight import read_sight

    use_dialect(sep, encoding)
    _check_out(out, path, prompts)
    s = read_sight(path, prompts=prompts)
    df = s.items if level is SightLevel.items else s.annotations

    def summary() -> str:
        ann = s.annotations
        return (
            f"{path}: {len(s.items):,} comments, {len(ann):,} annotations by "
            f"{_n(ann['rater'].nunique(), 'rater')} on {_n(ann['label'].nunique(), 'label')}"
        )

    _show(df, out, level.value, raw_csv, summary)
    _warn(s.warnings)


class TalkMovesLevel(StrEnum):
    utterances = "utterances"
    lessons = "lessons"
    annotations = "annotations"


class Role(StrEnum):
    teacher = "teacher"
    student = "student"
    other = "other"


@load_app.command("talkmoves")
def talkmoves(
    path: Path = typer.Argument(
        ...,
        help="The corpus folder (Subset 1/, Subset 2/, the datasheet), a subset folder or one "
        "lesson .xlsx.",
        show_default=False,
    ),
    level: TalkMovesLevel = typer.Option(
        TalkMovesLevel.utterances,
        "--level",
        help="One row per sentence, per lesson (datasheet joined), or per gold code (long table).",
    ),
    role: Role | None = typer.Option(
        None, "--role", help="utterances/annotations: only the sentences of this role."
    ),
    out: Path | None = _OUT,
    anomalies: Path | None = typer.Option(
        None, "--anomalies", help="Write the summary of everything odd in the files (JSON)."
    ),
    sample_lessons: int | None = typer.Option(
        None,
        "--sample-lessons",
        min=1,
        max=MAX_ITEMS,
        help="Keep a random sample of N lessons (1 to the number of lessons); the annotations "
        "record selection_rule random and selection_probability N / lessons.",
    ),
    seed: int | None = typer.Option(
        None, "--seed", min=0, max=MAX_SEED, help="--sample-lessons: seed of the draw (0)."
    ),
    raw_csv: bool = RAW_CSV,
) -> None:
    """TalkMoves lesson workbooks (.xlsx) as sentences, lessons or gold talk-move codes."""
    import json

    from edukit.corpora.talkmoves import load_talkmoves

    if seed is not None and sample_lessons is None:
        from edukit.errors import InputError

        raise InputError("--seed is the seed of --sample-lessons: give --sample-lessons N")
    seed = 0 if seed is None else seed
    if sample_lessons is not None:
        from edukit.errors import InputError
        from edukit.review.selection import check_seed

        check_seed(seed)
        if sample_lessons < 1:
            raise InputError(f"--sample-lessons must be at least 1, not {sample_lessons}")
    _check_out(out, path)
    if anomalies is not None:
        from edukit.paths import guard_outputs

        guard_outputs({"--out": out, "--anomalies": anomalies}, [path])
    if role is not None and level is TalkMovesLevel.lessons:
        from edukit.errors import InputError

        raise InputError("--role applies to --level utterances or annotations, not lessons")
    tm = load_talkmoves(path)
    if sample_lessons is not None:
        from dataclasses import replace

        from edukit.corpora.talkmoves_tables import sample_lessons as draw

        tables = {k: tm.table(k) for k in ("utterances", "lessons", "annotations")}
        tm = replace(tm, **draw(tables, sample_lessons, seed))
    df = tm.table(level.value)
    if role is not None:
        df = df[df["role"] == role.value].reset_index(drop=True)

    def summary() -> str:
        u = tm.utterances
        roles = u["role"].value_counts()
        return (
            f"{path}: {len(tm.lessons):,} lessons, {len(u):,} sentences "
            f"({int(roles.get('teacher', 0)):,} teacher, {int(roles.get('student', 0)):,} "
            f"student, {int(roles.get('other', 0)):,} other), {len(tm.annotations):,} gold codes"
        )

    _show(df, out, level.value, raw_csv, summary)
    if anomalies is not None:
        anomalies.write_text(
            json.dumps(tm.anomalies, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        typer.echo(f"Wrote the anomaly summary to {anomalies}")
    _warn(tm.warnings)


@load_app.command("table")
def table(
    path: Path = _PATH,
    id_col: str = typer.Option(..., "--id-col", help="The column of item ids."),
    text_col: str = typer.Option(..., "--text-col", help="The column of texts to annotate."),
    out: Path | None = _OUT,
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Any CSV/JSONL/Parquet file as items: item_id, text, then the other columns."""
    from edukit.corpora.tables import read_items

    use_dialect(sep, encoding)
    _check_out(out, path)
    df = read_items(path, id_col, text_col)
    _show(df, out, "items", raw_csv, lambda: f"{path}: {len(df):,} items")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _check_out(out: Path | None, *inputs: Path | None) -> None:
    # a bad --out (extension, an input's name, no folder) fails before the long read
    if out is not None:
        from edukit.corpora.tables import table_format
        from edukit.paths import guard_outputs

        table_format(out)
        guard_outputs({"--out": out}, inputs)


def _show(df, out: Path | None, what: str, raw_csv: bool, summary: Callable[[], str]) -> None:
    """Write the table to --out; without --out, the corpus summary and the table's shape."""
    if out is None:
        typer.echo(summary())
        typer.echo(f"{what}: {len(df):,} rows; columns: {', '.join(map(str, df.columns))}")
        typer.echo("(use --out FILE to write them)")
    else:
        from edukit.corpora.tables import write_table

        write_table(df, out, raw_csv=raw_csv)
        typer.echo(f"Wrote {len(df):,} {what} to {out}")


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        typer.echo(f"Warning: {warning}", err=True)


def register(app: typer.Typer) -> None:
    """Add `edukit load ...` to the root app."""
    app.add_typer(load_app, name="load")
