"""`edukit compare`: arms (strategies x rubric versions x models) against human labels."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from edukit.commands.options import (
    ENCODING,
    MAX_BOOT,
    MAX_COST_USD,
    MAX_ITEMS,
    MAX_SEED,
    SEP,
    check_finite,
    use_dialect,
)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def register(app: typer.Typer) -> None:
    """Add `edukit compare` to the root app."""
    app.command("compare")(compare_command)


def compare_command(
    ctx: typer.Context,
    items: Path | None = typer.Argument(
        None,
        help="Items to annotate (a table, a SIGHT or MathDial file, or sample:NAME); not with "
        "--from.",
        show_default=False,
    ),
    gold: Path | None = typer.Option(
        None,
        "--gold",
        help="Human labels: a long annotation table or a SIGHT file (default: "
        "ITEMS when it holds them).",
    ),
    humans: str | None = typer.Option(None, "--humans", help="Human (gold) raters: H1,H2."),
    from_: Path | None = typer.Option(
        None,
        "--from",
        help="Compare annotations that already exist (no requests): the model "
        "raters of a long table, or a SIGHT file with --prompts.",
    ),
    prompts: list[Path] = typer.Option(
        [], "--prompts", help="--from a SIGHT file: one arm per prompt folder (repeatable)."
    ),
    arms: str | None = typer.Option(None, "--arms", help="--from: only these raters as arms."),
    rubric: list[str] = typer.Option(
        [], "--rubric", help="Rubric file or bundled name (repeatable: versions of a scheme)."
    ),
    model: list[str] = typer.Option([], "--model", help="Model name (repeatable)."),
    strategy: list[str] = typer.Option(
        [],
        "--strategy",
        help="zero-shot, few-shot, reasoning, few-shot+reasoning or verify "
        "(repeatable; default few-shot: the rubric as written).",
    ),
    plan: Path | None = typer.Option(
        None, "--plan", help="Sweep plan YAML (arms with their own endpoints and parameters)."
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint."),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key."
    ),
    run_db: Path = typer.Option(
        Path("edukit-runs.sqlite"), "--run-db", help="SQLite run store (resumable)."
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=MAX_ITEMS, help="The first N items (at least 1)."
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, max=256, help="Requests in flight per arm."
    ),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        max=MAX_COST_USD,
        help="USD for the whole sweep (arms run in order; resumable).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the cost plan; send nothing."),
    holdout: float | None = typer.Option(
        None,
        "--holdout",
        min=0,
        max=0.9,
        help="Fraction of gold items held out, 0-0.9 "
        "(default 0.3 with 50 or more gold items; 0: none).",
    ),
    holdout_seed: int = typer.Option(
        0, "--holdout-seed", min=0, max=MAX_SEED, help="Seed of the split."
    ),
    final: str | None = typer.Option(
        None, "--final", help="Evaluate this arm on the held-out items (counted as a final look)."
    ),
    errors: str | None = typer.Option(
        None, "--errors", help="Error analysis of this arm (with --out)."
    ),
    out: Path | None = typer.Option(None, "--out", help="--errors: write the items here (CSV)."),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Paired differences against this arm only (default: all pairs)."
    ),
    labels: str | None = typer.Option(None, "--labels", help="Only these labels."),
    group_col: str | None = typer.Option(
        None, "--group-col", help="Cluster column for the bootstrap and the split (none: items)."
    ),
    metric: str = typer.Option("cohen", "--metric", help="cohen|fleiss|alpha|ac1|percent."),
    margin: float = typer.Option(0.1, "--margin", min=0, max=1, help="Verdict margin, 0-1."),
    n_boot: int = typer.Option(1000, "--n-boot", min=0, max=MAX_BOOT, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Bootstrap seed."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON here."),
    markdown_out: Path | None = typer.Option(None, "--markdown", help="Write Markdown here."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
    annotations_out: Path | None = typer.Option(
        None, "--annotations-out", help="Write the arms' labels (rater = arm) here."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Compare arms with human labels: agreement, paired differences, cost, held-out split."""
    use_dialect(sep, encoding)
    check_finite(max_cost=max_cost, margin=margin, holdout=holdout)
    from edukit.develop import Settings
    from edukit.errors import AgreementError

    outputs = {
        "--json": json_out,
        "--markdown": markdown_out,
        "--report": report,
        "--annotations-out": annotations_out,
        "--out": out,
    }
    from edukit.paths import guard_outputs

    guard_outputs({**outputs, "--run-db": run_db}, [items, gold, from_, plan, *prompts])
    for path in (p for p in outputs.values() if p):
        if not path.parent.is_dir():
            raise AgreementError(f"cannot write here: no folder {path.parent}", path=path)
    if annotations_out is not None:
        from edukit.corpora.tables import table_format

        table_format(annotations_out)
    if errors and out is None:
        raise AgreementError("--errors ARM needs --out FILE.csv")
    if out is not None and not errors:
        raise AgreementError("--out is for --errors ARM")
    hum = _split(humans)
    if not hum:
        raise AgreementError("name the human (gold) raters with --humans H1,H2")
    settings = Settings(
        metric=metric,
        n_boot=n_boot,
        seed=seed,
        margin=margin,
        labels=_split(labels) or None,
        baseline=baseline,
    )
    command = _command(ctx)
    if from_ is not None:
        sweep_only = {
            "ITEMS": items is not None,
            "--gold": gold is not None,
            "--rubric": rubric,
            "--model": model,
            "--strategy": strategy,
            "--plan": plan,
            "--base-url": base_url,
            "--limit": limit is not None,
            "--max-cost": max_cost is not None,
            "--dry-run": dry_run,
            "--holdout": holdout is not None,
            "--final": final,
        }
        given = [k for k, v in sweep_only.items() if v]
        if given:
            raise AgreementError(
                f"--from compares existing annotations: leave out {', '.join(given)} (for a sweep)"
            )
        from edukit.develop import from_annotations

        result = from_annotations(from_, hum, prompts, _split(arms) or None, settings, group_col)
        inputs = [from_, *prompts]
        code = 0
    else:
        from edukit.develop.sweep import SweepOptions, run_compare
        from edukit.paths import check_run_store, check_url

        if prompts or arms:  # options of --from: a sweep would ignore them
            raise AgreementError("--prompts and --arms go with --from (existing annotations)")
        check_url(base_url)
        check_run_store(run_db, must_exist=False)

        if items is None:
            raise AgreementError("give ITEMS to annotate (or --from ANNOTATIONS)")
        check_finite(max_cost=max_cost)
        opts = SweepOptions(
            items=items,
            gold=gold or items,
            humans=hum,
            rubrics=rubric,
            models=model,
            strategies=strategy,
            plan=plan,
            base_url=base_url,
            api_key_env=api_key_env,
            run_db=run_db,
            limit=limit,
            concurrency=concurrency,
            max_cost=max_cost,
            dry_run=dry_run,
            quiet=quiet,
            holdout=holdout,
            holdout_seed=holdout_seed,
            final=final,
            errors=errors,
            group_col=group_col,
            command=command,
        )
        outcome = run_compare(opts, settings, echo=typer.echo)
        if outcome.result is None:  # dry run, or nothing to compare yet
            typer.echo(outcome.message)
            raise typer.Exit(outcome.exit_code)
        result = outcome.result
        inputs = [p for p in (items, gold, plan) if p]
        code = outcome.exit_code
        if outcome.message:
            typer.echo(outcome.message, err=True)
        planned = {row["arm"] for row in outcome.plan}
        if errors in planned and errors not in result.arms:  # the stop left it incomplete
            typer.echo(f"--errors {errors}: the arm is incomplete; re-run to finish it", err=True)
            errors = None
    _print(result)
    _write(result, json_out, markdown_out, report, annotations_out, command, inputs)
    if errors:
        from edukit.develop.errors_table import error_table, write_errors

        table = error_table(result, errors, _texts(from_, items, gold))
        write_errors(table, out)
        typer.echo(f"wrote {len(table)} disagreements of {errors} to {out}", err=True)
    if code:
        raise typer.Exit(code)


def _command(ctx: typer.Context) -> str:
    """The command line as run, rebuilt from the parsed options (defaults left out)."""
    from edukit.paths import public_url

    parts = ["edukit", "compare"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or value == param.default or value == [] or value == ():
            continue
        if param.param_type_name == "argument":
            parts.append(str(value))
            continue
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            if value:
                parts.append(flag)
            continue
        for v in value if isinstance(value, list | tuple) else [value]:
            parts += [flag, str(public_url(v) if flag == "--base-url" else v)]
    return shlex.join(parts)


def _texts(from_: Path | None, items: Path | None, gold: Path | None):
    """The items' text (for the error table): from the items or a SIGHT/MathDial gold file."""
    from edukit.develop.errors_table import item_texts

    for p in (items, from_, gold):
        if p is not None:
            texts = item_texts(p)
            if texts is not None:
                return texts
    return None


def _print(result) -> None:
    from rich.table import Table

    from edukit.commands.agree import _console_for
    from edukit.develop.paired import multiplicity_note
    from edukit.develop.report import holdout_line
    from edukit.report import METRIC_NAMES

    s = result.settings
    header, rows = result.table()
    t = Table(title=f"Arms ranked by mean human-model {METRIC_NAMES.get(s.metric, s.metric)}")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    console = _console_for(t)
    console.print(t)
    line = holdout_line(result)
    if line:
        console.print(line, markup=False)
    header, rows = result.label_rows()
    t = Table(title="per arm and label (95% intervals)")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    _console_for(t).print(t)
    if result.differences:
        header, rows = result.difference_rows()
        t = Table(title="paired differences (b - a)")
        for h in header:
            t.add_column(h)
        for r in rows:
            t.add_row(*r)
        console.print(t)
        console.print(multiplicity_note(s.alpha, len(result.differences)), markup=False)
    front = result.pareto
    if front:
        console.print("cost-agreement Pareto front: " + ", ".join(front), markup=False)
    for w in result.warnings:
        console.print(f"warning: {w}", markup=False)


def _write(result, json_out, markdown_out, report, annotations_out, command, inputs) -> None:
    import json

    from edukit.commands.files import write_outputs
    from edukit.errors import AgreementError

    def md() -> str:
        from edukit.develop.report import markdown

        return markdown(result, command, inputs)

    def page() -> str:
        from edukit.develop.report import html

        return html(result, command, inputs)

    write_outputs(
        [
            (json_out, lambda: json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"),
            (markdown_out, md),
            (report, page),
        ],
        AgreementError,
    )
    if annotations_out is not None:
        from edukit.corpora.tables import write_table

        try:
            write_table(result.annotations, annotations_out)
        except OSError as exc:
            raise AgreementError(
                f"cannot write: {exc.strerror or exc}", path=annotations_out
            ) from None
        typer.echo(f"wrote {annotations_out}", err=True)
