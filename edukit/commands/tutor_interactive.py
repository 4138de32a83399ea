"""`edukit tutor interactive run|score`: MathDial's Success@k / Telling@k (issue 16)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

interactive_app = typer.Typer(
    help="Tutor and simulated student talk; score Success@k and Telling@k as MathDial does.",
    no_args_is_help=True,
)


def register(tutor_app: typer.Typer) -> None:
    """Add `interactive` under the `tutor` group."""
    tutor_app.add_typer(interactive_app, name="interactive")


@interactive_app.command("score")
def score(
    file: Path = typer.Argument(
        ...,
        help="Conversations: CSV/JSONL/Parquet with ground_truth and conversation columns.",
        show_default=False,
    ),
    conversation_col: list[str] = typer.Option(
        ...,
        "--conversation-col",
        help="Conversation column (repeat to compare tutors).",
        show_default=False,
    ),
    max_k: int = typer.Option(7, "--max-k", help="Largest k (MathDial's evaluate.py: 7)."),
    ground_truth_col: str = typer.Option(
        "ground_truth", "--ground-truth-col", help="Ground-truth solution column."
    ),
    eom: str = typer.Option(
        "<EOM>", "--eom", help="Turn separator ('|EOM|' for MathDial's human conversations)."
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON here."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
    outcomes: Path | None = typer.Option(
        None, "--outcomes", help="Write per-problem outcomes here (CSV/JSONL/Parquet)."
    ),
) -> None:
    """Success@k and Telling@k for k = 1..K, equal to MathDial's evaluate.py, with intervals."""
    from edukit.corpora.tables import table_format, write_table
    from edukit.tutor.interactive_score import score_file

    for out in (json_out, report, outcomes):
        if out is not None and out.resolve() == file.resolve():
            from edukit.errors import InputError

            raise InputError("an output would overwrite the input file", path=out)
    if outcomes is not None:
        table_format(outcomes)
    result = score_file(
        file,
        conversation_col,
        max_k=max_k,
        ground_truth_col=ground_truth_col,
        eom=eom,
        n_boot=n_boot,
        seed=seed,
    )
    for w in result.warnings:
        typer.echo(f"Warning: {w}", err=True)
    _print(result)
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    if outcomes is not None:
        write_table(result.outcomes_table(), outcomes)
    if report is not None:
        from edukit.tutor.interactive_report import write_html

        command = shlex.join(["edukit", *sys.argv[1:]]) if sys.argv else None
        write_html(result, report, command=command, inputs=[file])


def _print(result) -> None:
    from edukit.tutor.interactive_report import rate_rows

    typer.echo(f"{result.n} problems, k = 1..{result.max_k}")
    header, rows = rate_rows(result)
    typer.echo("\t".join(header))
    for row in rows:
        typer.echo("\t".join(row))
    # evaluate.py's own lines, for a side-by-side check (its lists start with k = 0)
    for name, t in result.tutors.items():
        typer.echo(f"{name}: Success@{result.max_k}: 0 " + " ".join(map(str, t.success_at_k)))
        typer.echo(f"{name}: Telling@{result.max_k}: 0 " + " ".join(map(str, t.telling_at_k)))
