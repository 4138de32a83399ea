"""`edukit tutor ...`: evaluate tutors (`score`, `submission`: MRBench; issue 15).

The group stays plain so that other tutor commands (e.g. `tutor interactive`) hang under it.
"""

from __future__ import annotations

import shlex
from enum import StrEnum
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, MAX_BOOT, MAX_SEED, SEP, use_dialect

tutor_app = typer.Typer(
    help="Evaluate tutors: MRBench scoring (DAMR, BEA 2025 metrics); interactively with a "
    "simulated student (Success@k, Telling@k).",
    no_args_is_help=True,
)


class Tone(StrEnum):
    encouraging = "encouraging"
    non_offensive = "non-offensive"


class Weights(StrEnum):
    linear = "linear"
    quadratic = "quadratic"
    none = "none"


@tutor_app.command("score")
def score(
    path: Path = typer.Argument(
        ..., help="An MRBench JSON file with gold labels (V1, V2 or V3 dev).", show_default=False
    ),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="A judge's labels: long annotation table (CSV/JSONL/Parquet)."
    ),
    rater: str | None = typer.Option(
        None, "--rater", help="The rater in --predictions to score (needed if there are several)."
    ),
    tone: Tone = typer.Option(
        Tone.encouraging, "--tone", help="Desired Tutor_Tone: Encouraging, or not Offensive."
    ),
    weights: Weights = typer.Option(
        Weights.linear, "--weights", help="Kappa weights over the declared category order."
    ),
    n_boot: int = typer.Option(
        1000, "--n-boot", min=0, max=MAX_BOOT, help="Bootstrap resamples (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Bootstrap seed."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the results as JSON."),
    report: Path | None = typer.Option(
        None, "--report", help="Write a self-contained HTML report."
    ),
    markdown_out: Path | None = typer.Option(None, "--markdown", help="Write Markdown tables."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """The paper's DAMR table per tutor and dimension; with --predictions, the judge's scores."""
    from edukit.paths import guard_outputs
    from edukit.tutor.mrbench_report import damr_rows, metric_rows

    command = _command(locals())
    use_dialect(sep, encoding)
    outputs = {"--json": json_out, "--report": report, "--markdown": markdown_out}
    guard_outputs(outputs, [path, predictions])
    result = _score(path, predictions, rater, tone, weights, n_boot, seed)
    typer.echo(_plain(*damr_rows(result)))
    if result.scores is not None:
        typer.echo(f"\nThe judge {result.rater} against gold (95% intervals by conversation):")
        typer.echo(_plain(*metric_rows(result)))
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}", err=True)
    inputs = [p for p in (path, predictions) if p is not None]
    _write(result, json_out, report, markdown_out, command, inputs)


@tutor_app.command("submission")
def submission_command(
    test_file: Path = typer.Argument(
        ..., help="The MRBench V3 test file (mrbench_v3_testset.json).", show_default=False
    ),
    predictions: Path = typer.Option(..., "--predictions", help="Long annotation table."),
    out: Path = typer.Option(..., "--out", help="The submission JSON to write."),
    rater: str | None = typer.Option(None, "--rater", help="The rater in --predictions."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Write predictions in the BEA 2025 shared task's submission layout (the test file with
    each response's predicted labels)."""
    from edukit.annotations import read_annotations
    from edukit.paths import guard_outputs
    from edukit.tutor.mrbench_submission import submission, write_submission

    use_dialect(sep, encoding)
    guard_outputs({"--out": out}, [test_file, predictions])
    records, warnings = submission(test_file, read_annotations(predictions), rater=rater)
    write_submission(records, out)
    n = sum(
        len(r["tutor_responses"] if "tutor_responses" in r else r["anno_llm_responses"])
        for r in records
    )
    typer.echo(f"Wrote {n:,} responses with predicted labels to {out}")
    for warning in warnings:
        typer.echo(f"Warning: {warning}", err=True)


def _score(path, predictions, rater, tone, weights, n_boot, seed):
    from edukit.tutor.mrbench_score import score_mrbench

    preds = None
    if predictions is not None:
        from edukit.annotations import read_annotations

        preds = read_annotations(predictions)
    return score_mrbench(
        path,
        preds,
        rater=rater,
        tone=tone.value,
        n_boot=n_boot,
        seed=seed,
        weights=None if weights is Weights.none else weights.value,
    )


def _plain(header: list[str], rows: list[list[str]]) -> str:
    from edukit.commands.info import table

    return "\n".join(table(header, rows))


def _write(result, json_out, report, markdown_out, command, inputs) -> None:
    """Write each requested output; one that cannot be written does not stop the others."""
    import json

    from edukit.commands.files import write_outputs
    from edukit.errors import InputError
    from edukit.tutor import mrbench_report as rep

    jobs = [
        (json_out, lambda: json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"),
        (report, lambda: rep.html(result, command=command, inputs=inputs)),
        (markdown_out, lambda: rep.markdown(result, command=command, inputs=inputs)),
    ]
    write_outputs(jobs, InputError)


def _command(args: dict) -> str:
    parts = ["edukit", "tutor", "score", str(args["path"])]
    for flag, name in (
        ("--predictions", "predictions"),
        ("--rater", "rater"),
        ("--tone", "tone"),
        ("--weights", "weights"),
        ("--n-boot", "n_boot"),
        ("--seed", "seed"),
        ("--json", "json_out"),
        ("--report", "report"),
        ("--markdown", "markdown_out"),
        ("--sep", "sep"),
        ("--encoding", "encoding"),
    ):
        value = args.get(name)
        if value is not None:
            parts += [flag, str(value.value if isinstance(value, StrEnum) else value)]
    return shlex.join(parts)


def register(app: typer.Typer) -> None:
    """Add the `edukit tutor` group (with `tutor interactive`) to the root app."""
    from edukit.commands import tutor_interactive

    tutor_interactive.register(tutor_app)
    app.add_typer(tutor_app, name="tutor")
