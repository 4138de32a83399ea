"""`edukit runs list|show|export|ingest`: the annotation run store (issue 4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from edukit.commands.options import RAW_CSV

if TYPE_CHECKING:
    from edukit.annotate.store import RunStore

runs_app = typer.Typer(
    help="Annotation runs in the run store: list, show, export, ingest batches.",
    no_args_is_help=True,
)

RUN_DB = typer.Option(Path("edukit-runs.sqlite"), "--run-db", help="SQLite run store.")


def register(app: typer.Typer) -> None:
    """Add `edukit runs ...` to the root app."""
    app.add_typer(runs_app, name="runs")


def _open(run_db: Path) -> RunStore:
    """The run store at `run_db`; an error (not a new empty file) when there is none."""
    from edukit.annotate.store import RunStore
    from edukit.paths import check_run_store

    check_run_store(run_db, must_exist=True)  # read-only: a foreign file stays untouched
    return RunStore(run_db)


def _when(ts: float) -> str:
    """A store timestamp as a UTC date and time."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@runs_app.command("list")
def list_runs(run_db: Path = RUN_DB) -> None:
    """One line per run: id, date, rubric, model, rater and request counts."""
    with _open(run_db) as store:
        runs = store.runs()
    if not runs:
        typer.echo("No runs.")
        return
    typer.echo("run_id\tcreated\trubric\tmodel\trater\trequests\tok\tinvalid\tapi_error\tpending")
    for r in runs:
        typer.echo(
            f"{r['id']}\t{_when(r['created'])}\t{r['rubric']}@{r['rubric_version']}\t"
            f"{r['model']}\t{r['rater']}\t{r['requests']}\t{r['ok']}\t{r['invalid']}\t"
            f"{r['api_error']}\t{r['pending']}"
        )


@runs_app.command("show")
def show_run(
    run: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    run_db: Path = RUN_DB,
    refresh: bool = typer.Option(
        True, "--refresh/--no-refresh", help="Poll unfinished batches (and ingest finished ones)."
    ),
) -> None:
    """Details of one run: options, counts, usage, cost and batch status."""
    from edukit.annotate.batch import run_details

    with _open(run_db) as store:
        info = run_details(store, run, refresh=refresh)
        redactions = store.redactions(info["run"]["id"])
    r = info["run"]
    typer.echo(f"run {r['id']} created {_when(r['created'])}, updated {_when(r['updated'])}")
    typer.echo(f"rubric {r['rubric']} {r['rubric_version']} ({r['rubric_hash'][:12]})")
    typer.echo(f"model {r['model']} at endpoint {r['base_url']}; rater {r['rater']}")
    opts = {k: v for k, v in r["options"].items() if v not in (None, False, "")}
    if r["options"]:  # the run's effective samples, and whether the last call had a limit
        opts["samples"] = r["samples"]
        opts.setdefault("limit", "none")
    if opts:
        typer.echo("options " + ", ".join(f"{k}={v}" for k, v in sorted(opts.items())))
    s = info["summary"]
    typer.echo(
        f"requests {s['requests']}: {s['ok']} ok, {s['invalid']} invalid, {s['api_error']} API "
        f"errors, {s['pending']} pending; {s['annotations']} annotation rows"
    )
    cost = info["cost"]
    from edukit.annotate.ladder import estimated_responses, learned_facts

    with _open(run_db) as store:
        estimated = estimated_responses(store.db, r["id"])
        learned = learned_facts(store.db, r["id"])
    typer.echo(
        f"tokens {s['input_tokens']:,} in / {s['output_tokens']:,} out; cost "
        + ("unknown" if cost is None else f"${cost:,.4f}")
        + (f" (estimated: {estimated} responses came without token usage)" if estimated else "")
    )
    calls = info["calls"]
    if calls["calls"]:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(calls["by_status"].items()))
        lat = ", ".join(f"{q} {v:.2f} s" for q, v in calls["latency"].items())
        typer.echo(f"HTTP calls {calls['calls']}: {parts}; elapsed {calls['elapsed']:.1f} s")
        if lat:
            typer.echo(f"latency {lat}")
    replicas = info.get("replicas") or []
    if len(replicas) > 1 or str(r["base_url"]).startswith("replicas:"):
        for rep in replicas:
            p50 = f", p50 latency {rep['p50']:.2f} s" if rep["p50"] is not None else ""
            typer.echo(f"replica {rep['url']}: {rep['calls']} calls, {rep['errors']} errors{p50}")
    for c in info.get("concurrency") or []:
        steps = " ".join(f"{t:g}s:{level}" for t, level, _ in c["history"][-12:])
        typer.echo(
            f"concurrency auto at {c['url']}: level {c['level']} (peak {c['peak']}, "
            f"{c['changes']} changes; last: {steps})"
        )
    typer.echo(redaction_line(r["options"].get("redact"), redactions))
    for fact in learned:
        if fact["endpoint"]:
            typer.echo(f"learned: {fact['reason']}")
    for b in info["batches"]:
        done = " (ingested)" if b["ingested"] else ""
        typer.echo(f"batch {b['id']}: {b['status']}{done}, {b['n_requests']} requests")
    if info.get("note"):
        typer.echo(info["note"])


def redaction_line(profile: dict | None, record: dict | None) -> str:
    """Whether the run's text was redacted before it was sent, how, and what was replaced."""
    if not profile:
        return "redaction: none (the text was sent as it is)"
    counts = (record or {}).get("counts", {})
    replaced = ", ".join(f"{k} {counts.get(k, 0)}" for k in profile["entities"])
    model = f", spaCy pipeline {profile['spacy_model']}" if profile.get("spacy_model") else ""
    return (
        f"redaction: profile {profile['name']} ({profile['hash']}), scope {profile['scope']}, "
        f"{profile['names']} listed names{model}; {(record or {}).get('requests', 0)} requests "
        f"recorded; replaced {replaced}"
    )


@runs_app.command("export")
def export_run(
    run: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    out: Path = typer.Option(..., "--out", help="Output table (.csv, .jsonl, .parquet)."),
    run_db: Path = RUN_DB,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Write a run's long annotation table with its provenance columns."""
    from edukit.corpora.tables import table_format, write_table
    from edukit.paths import guard_outputs

    table_format(out)
    guard_outputs({"--out": out}, [run_db])
    with _open(run_db) as store:
        df = store.annotations(store.run(run)["id"])
    write_table(df, out, raw_csv=raw_csv)
    typer.echo(f"Wrote {len(df)} annotation rows to {out}")


@runs_app.command("ingest")
def ingest_run(
    run: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    run_db: Path = RUN_DB,
) -> None:
    """Poll a run's batches and store the answers of those that finished (exit 3 while some
    are still running)."""
    from edukit.annotate.batch import run_details
    from edukit.commands.annotate import ITEMS_LEFT

    with _open(run_db) as store:
        info = run_details(store, run, refresh=True)
    for b in info["batches"]:
        typer.echo(f"batch {b['id']}: {b['status']}{' (ingested)' if b['ingested'] else ''}")
    if info.get("note"):
        typer.echo(info["note"])
    typer.echo(f"{info['summary']['annotations']} annotation rows in run {info['run']['id']}")
    if any(not b["ingested"] for b in info["batches"]):
        raise typer.Exit(ITEMS_LEFT)  # work left: batches still running
