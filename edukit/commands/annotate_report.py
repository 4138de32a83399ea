"""What `edukit annotate` says: the dry-run estimate, the summary, per-replica and concurrency
lines, batch results, and what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edukit.annotate.engine import RunResult

ITEMS_LEFT = 3  # exit code: the run ended with items left (budget, API errors, batches running)


def redaction_message(redaction, examples: bool = True) -> str:
    """What --redact replaced: the profile, counts per entity type and (dry run) three examples."""
    p = redaction.profile
    counts = ", ".join(f"{k} {redaction.totals[k]}" for k in p.entities)
    lines = [
        f"Redaction profile {p.name} ({p.hash}): {redaction.items_redacted} of "
        f"{redaction.items} items changed; replaced {counts}"
    ]
    if examples:
        if not redaction.examples:
            lines.append("No item needed redaction.")
        for item_id, text in redaction.examples:
            short = " ".join(text.split())
            lines.append(f"  {item_id}: {short[:200] + ('...' if len(short) > 200 else '')}")
    return "\n".join(lines)


def _money(usd: float | None) -> str:
    """Dollars to four places, or why there is no figure."""
    return "unknown (no price for this model)" if usd is None else f"${usd:,.4f}"


def dry_run_message(est: dict, model: str) -> str:
    """The one-line dry-run report: requests, estimated tokens, cost with and without batch."""
    checked = est.get("prices_checked")
    if est["cost"] is None:  # say it once, not once per figure
        cost = f"cost unknown: no price for {model} (see `edukit prices`)"
    else:
        cost = (
            f"estimated cost {_money(est['cost'])}, with the Batch API "
            f"{_money(est['batch_cost'])}" + (f" (prices checked {checked})" if checked else "")
        )
    return (
        f"Dry run (nothing sent): {est['requests']} requests to {model}, "
        f"~{est['input_tokens']:,} input and ~{est['output_tokens']:,} output tokens; {cost}"
        + (f"; {est['cached']} more already answered in the run store" if est.get("cached") else "")
        + _calibration(est.get("calibrated"))
    )


def _calibration(cal: dict | None) -> str:
    """How the answered requests corrected the token estimate (characters / 4)."""
    if not cal:
        return ""
    return (
        f"; token estimates calibrated on {cal['requests']} answered requests (input "
        f"x{cal['input_ratio']:.2f}, output x{cal['output_ratio']:.2f})"
    )


def summary_message(result: RunResult) -> str:
    """The final summary: items done and left, requests by status, requests sent and cached,
    tokens and what this run spent."""
    c = result.counts
    items = ""
    if result.items is not None:
        items = f"{result.items - result.items_left} of {result.items} items done"
        items += f" ({result.items_left} left); " if result.items_left else "; "
    reused = f", {result.reused} reused from another run" if result.reused else ""
    estimated = getattr(result, "cost_estimated", False)
    skipped = getattr(result, "skipped_empty", 0)
    cost = _money(result.cost)
    if estimated:
        cost = f"~{cost} (estimated: the server reported no token usage)"
    return (
        f"Run {result.run_id}: {items}{c['ok']} ok, {c['invalid']} invalid, {c['api_error']} "
        f"API errors, {c['pending']} pending; {result.sent} requests sent, {result.cached} "
        f"answered from the run store{reused}; tokens {'~' if estimated else ''}"
        f"{result.input_tokens:,} in / {result.output_tokens:,} out; cost {cost}"
        + (
            f"; {skipped} empty item{'s' if skipped != 1 else ''} skipped (no text, not sent)"
            if skipped
            else ""
        )
    )


def replica_lines(replicas: list[dict]) -> list[str]:
    """One line per replica of a replica set: calls, answers, errors, latency (and drains)."""
    if len(replicas) < 2:
        return []
    out = []
    for r in replicas:
        lat = r.get("mean_latency")
        lat_text = f", mean latency {lat:.2f} s" if lat is not None else ""
        drained = f", drained {r['drained']}x" if r.get("drained") else ""
        out.append(
            f"  replica {r['url']}: {r['calls']} calls, {r['errors']} errors{lat_text}{drained}"
        )
    return out


def concurrency_line(replicas: list[dict]) -> str:
    """--concurrency auto: the level each replica ended at, its peak and how often it moved."""
    parts = []
    for r in replicas:
        c = r.get("concurrency") or {}
        if c:
            where = f"{r['url']} " if len(replicas) > 1 else ""
            parts.append(f"{where}level {c['level']} (peak {c['peak']}, {c['changes']} changes)")
    return "Concurrency auto: " + ("; ".join(parts) or "no calls made")


def ingested_message(report) -> str:
    """What reading batch result files did."""
    extra = ""
    if report.known:
        extra += f", {report.known} already answered"
    if report.foreign:
        extra += f", {report.foreign} for requests not in this run"
    if report.errors:
        extra += f", {len(report.errors)} malformed lines (changed nothing)"
    return (
        f"Batch results: {report.stored} answers stored, {report.failed} error lines, "
        f"{report.invalid} answers not following the schema{extra}"
    )


def interrupted_message(result: RunResult) -> str:
    """The one line after Ctrl-C."""
    with_rows = len(result.annotations)
    return (
        f"Interrupted: {with_rows} annotations saved in {result.run_db}; re-run the same "
        "command to resume."
    )


def next_step_message(result: RunResult, max_cost: float | None, run_db: Path) -> str:
    """What to do next: resume after --max-cost, wait for batches, retry API errors, or done."""
    left = result.items_left
    if result.stopped == "max_cost":
        return (
            f"Stopped: the run reached --max-cost ${max_cost:g} with {left} items left. "
            "Everything finished is saved; re-run the same command with a higher --max-cost "
            f"(or without it) to resume (exit code {ITEMS_LEFT})."
        )
    if result.stopped == "batch_written":
        first = result.batch_files[0][0]
        return (
            f"Run the batch file(s) where the model is, e.g. `vllm run-batch -i {first} -o "
            "results.jsonl --model MODEL`, then re-run this command with --batch-results "
            f"results.jsonl instead of --batch-file (exit code {ITEMS_LEFT} until then)."
        )
    if result.ingested is not None and left:
        return (
            f"{left} items left: {result.counts['pending'] + result.counts['api_error']} "
            "requests have no answer yet (error lines, lines not in the files read, answers "
            "that do not follow the schema). Read more results with --batch-results, or write "
            f"what is left with --batch-file (exit code {ITEMS_LEFT})."
        )
    if result.stopped == "batch_pending":
        ids = ", ".join(b["id"] for b in result.batches)
        return (
            f"Batches submitted or still running ({ids}). Check them with `edukit runs show "
            f"{result.run_id} --run-db {run_db}`; re-run the same command to ingest the results "
            f"(exit code {ITEMS_LEFT} until then)."
        )
    if result.counts["api_error"] or left:
        errors = result.counts["api_error"]
        return (
            f"{left} items left: {errors} requests failed with API errors; re-run the same "
            f"command to retry them (exit code {ITEMS_LEFT})."
        )
    return "Done."
