"""`edukit tutor interactive run|score`: MathDial's Success@k / Telling@k (issue 16)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import typer

from edukit.commands.annotate import INTERRUPTED, ITEMS_LEFT  # one set of exit codes
from edukit.commands.options import (
    ENCODING,
    MAX_BOOT,
    MAX_CONCURRENCY,
    MAX_ITEMS,
    MAX_RPM,
    MAX_SEED,
    MAX_TURN_TOKENS,
    MAX_TURNS,
    RAW_CSV,
    SEP,
    use_dialect,
)

BAD_INPUT = 2  # exit code: the input or options cannot work (here: turns no re-run can obtain)

interactive_app = typer.Typer(
    help="Tutor and simulated student talk; score Success@k and Telling@k as MathDial does.",
    no_args_is_help=True,
)


def register(tutor_app: typer.Typer) -> None:
    """Add `interactive` under the `tutor` group."""
    tutor_app.add_typer(interactive_app, name="interactive")


@interactive_app.command("run")
def run(
    problems: Path = typer.Argument(
        ...,
        help="Problems: a MathDial CSV/JSONL, or a table with question, ground_truth, "
        "student_incorrect_solution (and optionally student_profile).",
        show_default=False,
    ),
    tutor_model: str = typer.Option(
        ..., "--tutor-model", help="The tutor's model name at its endpoint.", show_default=False
    ),
    student_model: str = typer.Option(
        ..., "--student-model", help="The simulated student's model.", show_default=False
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        help="The problems with the conversation column (.jsonl, .csv or .parquet).",
        show_default=False,
    ),
    tutor_base_url: str | None = typer.Option(
        None, "--tutor-base-url", help="The tutor's OpenAI-compatible endpoint."
    ),
    student_base_url: str | None = typer.Option(
        None, "--student-base-url", help="The student's OpenAI-compatible endpoint."
    ),
    tutor_api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--tutor-api-key-env", help="Environment variable with the tutor's key."
    ),
    student_api_key_env: str = typer.Option(
        "OPENAI_API_KEY",
        "--student-api-key-env",
        help="Environment variable with the student's key.",
    ),
    max_turns: int = typer.Option(
        4,
        "--max-turns",
        min=1,
        max=MAX_TURNS,
        help="Rounds (student turn, tutor turn) after the greeting.",
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=MAX_ITEMS, help="The first N problems only."
    ),
    tutor_system: Path | None = typer.Option(
        None,
        "--tutor-system",
        help="The tutor's system prompt: the jinja2 template given to `export finetune "
        "--system-template` (default: that command's default prompt).",
    ),
    tutor_grounding: str | None = typer.Option(
        None,
        "--tutor-grounding",
        help="The `export finetune --grounding` fields of the tutor's prompt (comma list, 'none').",
    ),
    name: str | None = typer.Option(
        None, "--name", help="Name of the conversation column (default: the tutor model)."
    ),
    turns: Path | None = typer.Option(
        None, "--turns", help="Long turn table here (default: <out>-turns.<ext>)."
    ),
    run_db: Path = typer.Option(
        Path("edukit-runs.sqlite"), "--run-db", help="SQLite run store (resumable)."
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, max=MAX_CONCURRENCY, help="Conversations in flight."
    ),
    rpm: float | None = typer.Option(
        None, "--rpm", min=1, max=MAX_RPM, help="Requests per minute limit (each side)."
    ),
    max_tokens: int = typer.Option(
        512, "--max-tokens", min=1, max=MAX_TURN_TOKENS, help="Token limit per turn."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> int:
    """Tutor and simulated student talk (MathDial's protocol); resumable, 0 requests on re-run."""
    from edukit.corpora.tables import table_format, write_table
    from edukit.errors import InputError
    from edukit.paths import check_run_store, guard_outputs, public_url
    from edukit.tutor.interactive import Endpoint, read_problems, run_interactive

    use_dialect(sep, encoding)
    table_format(out)  # a bad extension fails before anything is sent or paid for
    turns = turns or out.with_name(f"{out.stem}-turns{out.suffix}")
    table_format(turns)
    guard_outputs({"--out": out, "--turns": turns, "--run-db": run_db}, [problems, tutor_system])
    check_run_store(run_db, must_exist=False)
    from edukit.commands.files import at_template, read_system_template

    template = None
    if tutor_system is not None:  # the one sandbox checks it before any request
        template = read_system_template(tutor_system, InputError, "tutor system prompt file")
    grounding = None
    if tutor_grounding is not None:
        grounding = [g.strip() for g in tutor_grounding.split(",") if g.strip()]
        grounding = [] if grounding == ["none"] else grounding
    table = read_problems(problems)
    options = {
        "problems": os.fspath(problems.resolve()),
        "tutor_model": tutor_model,
        "tutor_base_url": public_url(tutor_base_url),
        "tutor_api_key_env": tutor_api_key_env,  # the variable's name, never its value
        "student_model": student_model,
        "student_base_url": public_url(student_base_url),
        "student_api_key_env": student_api_key_env,
        "max_turns": max_turns,
        "limit": limit,
        "tutor_system": os.fspath(tutor_system) if tutor_system else None,
        "tutor_grounding": grounding,
        "name": name,
        "concurrency": concurrency,
        "rpm": rpm,
        "max_tokens": max_tokens,
    }
    result = at_template(  # a render-time template error names the --tutor-system file
        tutor_system,
        run_interactive,
        table,
        Endpoint(tutor_model, tutor_base_url, tutor_api_key_env),
        Endpoint(student_model, student_base_url, student_api_key_env),
        rounds=max_turns,
        name=name,
        limit=limit,
        tutor_template=template,
        tutor_grounding=grounding,
        run_db=run_db,
        concurrency=concurrency,
        rpm=rpm,
        max_tokens=max_tokens,
        quiet=quiet,
        source=problems,
        command=options,
    )
    if result.interrupted:  # as annotate: one line, exit 130, outputs left for the resumed run
        saved = sum(len(c.turns) - 1 for c in result.conversations)  # not the fixed greetings
        typer.echo(
            f"Interrupted: {saved} turns saved in {run_db}; re-run the same command to resume.",
            err=True,
        )
        return INTERRUPTED
    long = result.turns()
    for frame, path in ((result.table, out), (long, turns)):
        try:
            write_table(frame, path, raw_csv=raw_csv)
        except OSError as exc:
            raise InputError(
                f"cannot write: {exc.strerror or exc}; every turn is saved in the run store, so "
                "re-running the command with another --out sends nothing",
                path=path,
            ) from None
    n = len(result.conversations)
    typer.echo(
        f"{n - result.unfinished} of {n} conversations finished ({max_turns} rounds); "
        f"column {result.column!r} in {out}, {len(long)} turns in {turns}"
    )
    for s in result.sides.values():
        typer.echo(
            f"{s.role} {s.model}: {s.sent} requests sent, {s.cached} answered from the run store; "
            f"tokens {s.input_tokens:,} in / {s.output_tokens:,} out; cost {_money(s.cost)}"
        )
    typer.echo(f"{result.sent} requests sent")
    if result.cut_turns:
        typer.echo(
            f"Note: {result.cut_turns} turns were cut at {result.turn_cap:,} characters (32 per "
            "--max-tokens token: the server sent more than it allows); the cut text is what "
            "later turns saw.",
            err=True,
        )
    stuck = result.stuck
    retry = [c for c in result.conversations if c.failed and not c.permanent]
    if stuck:
        finished = len(result.conversations) - result.unfinished
        typer.echo(_stuck_message(stuck, out, result.column, finished), err=True)
    if retry:
        why = f" ({retry[0].error})" if retry[0].error else ""
        typer.echo(
            f"{len(retry)} conversations stopped at a failed turn{why}; re-run the same "
            "command to resume them.",
            err=True,
        )
        return ITEMS_LEFT
    if stuck:
        return BAD_INPUT  # nothing a re-run can do: the options or the server must change
    typer.echo(
        f"Score it: edukit tutor interactive score {out} --conversation-col {result.column!r}"
    )
    return 0


def _stuck_message(stuck, out: Path, column: str, finished: int) -> str:
    """The conversations no re-run can finish: the server's reason and what to change."""
    first = stuck[0]
    reason = first.error or "the request failed"
    if "context" in reason.lower():
        change = (
            "lower --max-turns, shorten the problems (a shorter history), or give the server a "
            "bigger context (llama-server -c N)"
        )
    else:
        change = "change the model, the endpoint or --max-tokens"
    score = (
        f" Score the {finished} finished conversations with `edukit tutor interactive score "
        f"{out} --conversation-col {column!r} --finished-only`."
        if finished
        else ""
    )
    return (
        f"{len(stuck)} conversations stopped for good at a turn the server will not answer: "
        f"{reason} (e.g. {first.conversation_id}, turn {len(first.turns)}). Re-running will not "
        f"send it again; to go on, {change}.{score}"
    )


def _money(usd: float | None) -> str:
    return "unknown (no price for this model)" if usd is None else f"${usd:,.4f}"


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
    max_k: int = typer.Option(
        7, "--max-k", min=1, max=MAX_TURNS, help="Largest k (MathDial's evaluate.py: 7)."
    ),
    ground_truth_col: str = typer.Option(
        "ground_truth", "--ground-truth-col", help="Ground-truth solution column."
    ),
    eom: str = typer.Option(
        "<EOM>", "--eom", help="Turn separator ('|EOM|' for MathDial's human conversations)."
    ),
    n_boot: int = typer.Option(
        1000, "--n-boot", min=0, max=MAX_BOOT, help="Bootstrap resamples (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Bootstrap seed."),
    finished_only: bool = typer.Option(
        False,
        "--finished-only",
        help="Score only the problems whose conversations are finished (the others are counted "
        "and reported); by default an unfinished conversation is an error.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON here."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
    outcomes: Path | None = typer.Option(
        None, "--outcomes", help="Write per-problem outcomes here (CSV/JSONL/Parquet)."
    ),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Success@k and Telling@k for k = 1..K, equal to MathDial's evaluate.py, with intervals."""
    from edukit.corpora.tables import table_format, write_table
    from edukit.paths import guard_outputs
    from edukit.tutor.interactive_score import score_file

    use_dialect(sep, encoding)
    if outcomes is not None:
        table_format(outcomes)
    guard_outputs({"--json": json_out, "--report": report, "--outcomes": outcomes}, [file])
    result = score_file(
        file,
        conversation_col,
        max_k=max_k,
        ground_truth_col=ground_truth_col,
        eom=eom,
        n_boot=n_boot,
        seed=seed,
        finished_only=finished_only,
    )
    for w in result.warnings:
        typer.echo(f"Warning: {w}", err=True)
    _print(result)
    try:
        if json_out is not None:
            json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        if outcomes is not None:
            write_table(result.outcomes_table(), outcomes, raw_csv=raw_csv)
        if report is not None:
            from edukit.tutor.interactive_report import write_html

            command = shlex.join(["edukit", *sys.argv[1:]]) if sys.argv else None
            write_html(result, report, command=command, inputs=[file])
    except OSError as exc:
        from edukit.errors import InputError

        raise InputError(f"cannot write: {exc.strerror or exc}", path=exc.filename) from None


def _print(result) -> None:
    from edukit.tutor.interactive_report import difference_rows, rate_rows

    left = f" ({result.left_out} unfinished left out)" if result.left_out else ""
    typer.echo(f"{result.n} problems{left}, k = 1..{result.max_k}")
    _table(*rate_rows(result))
    if result.differences:
        typer.echo("Paired differences (same problems, same resamples):")
        _table(*difference_rows(result))
    # evaluate.py's own lines, for a side-by-side check (its lists start with k = 0)
    typer.echo("As MathDial's evaluate.py prints them:")
    for name, t in result.tutors.items():
        typer.echo(f"{name}: Success@{result.max_k}: 0 " + " ".join(map(str, t.success_at_k)))
        typer.echo(f"{name}: Telling@{result.max_k}: 0 " + " ".join(map(str, t.telling_at_k)))


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
