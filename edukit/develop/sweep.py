"""Run a sweep: every arm an ordinary annotate run in one run store, then compare them.

Before any request the plan is priced: one dry run per arm (requests not yet answered in the run
store, estimated tokens and dollars) and their sum. Arms then run one after the other, each with
what is left of `--max-cost` for the whole sweep (its own earlier spending included, as in
`annotate`); when the budget stops an arm, the sweep stops there, so the arms before it are
complete and comparable and the message names them. Identical requests are shared: an arm whose
request key (endpoint, model, messages, schema, parameters, sample) is already answered takes the
answer from the store without sending it. Re-running the same command resumes every arm.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.develop.arms import Arm, build_arms, label_names, load, read_plan, variant
from edukit.develop.evaluate import Settings
from edukit.develop.passes import ArmRun, find_run
from edukit.errors import AgreementError, AnnotationError
from edukit.paths import public_url

if TYPE_CHECKING:
    import pandas as pd

    from edukit.annotate.engine import RunResult
    from edukit.develop.result import CompareResult

ITEMS_LEFT = 3
INTERRUPTED = 130


@dataclass
class SweepOptions:
    """What `edukit compare ITEMS --gold GOLD ...` was asked (see the command's help)."""

    items: Path
    gold: Path
    humans: list[str]
    rubrics: Sequence[str] = ()
    models: Sequence[str] = ()
    strategies: Sequence[str] = ()
    plan: Path | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    run_db: Path = Path("edukit-runs.sqlite")
    limit: int | None = None
    concurrency: int = 8
    max_cost: float | None = None
    dry_run: bool = False
    quiet: bool = True
    holdout: float | None = None
    holdout_seed: int = 0
    final: str | None = None
    errors: str | None = None  # the arm of the error analysis (checked before any request)
    group_col: str | None = None
    command: str | None = None
    http_client: Any = None


@dataclass
class Outcome:
    """The comparison (None for a dry run or when no arm is complete), a message, an exit code."""

    result: CompareResult | None
    message: str
    exit_code: int = 0
    plan: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, ArmRun] = field(default_factory=dict)


def run_compare(
    opts: SweepOptions, settings: Settings | None = None, echo: Callable[[str], None] = print
) -> Outcome:
    """Plan, price, run and compare the arms (the library side of `edukit compare ITEMS`)."""
    from edukit.develop.holdout import split_for

    settings = settings or Settings()
    plan = read_plan(opts.plan) if opts.plan else None
    arms = build_arms(
        list(opts.rubrics),
        list(opts.models),
        list(opts.strategies),
        opts.base_url,
        opts.api_key_env,
        plan,
    )
    names = [a.name for a in arms]
    for option, value in (
        ("--final", opts.final),
        ("--errors", opts.errors),
        ("--baseline", settings.baseline if settings else None),
    ):  # before any request: a typo must not cost a sweep
        if value is not None and value not in names:
            raise AnnotationError(f"{option} {value!r} is not an arm ({', '.join(names)})")
    gold, groups = _gold(opts)
    for arm in arms:
        _check_labels(arm, gold, opts.gold)
    split = split_for(gold, opts, groups)
    arms_run = [a for a in arms if a.name == opts.final] if opts.final else arms
    items = {a.rubric: _items(a.rubric, opts.items) for a in arms_run}
    wanted = split.final_items if opts.final else split.dev_items
    subset = {
        r: df[df["item_id"].astype(str).isin(wanted)].reset_index(drop=True)
        for r, df in items.items()
    }
    for df in subset.values():
        if df.empty:
            which = "held-out" if opts.final else "development"
            raise AgreementError(
                f"none of the {len(wanted)} {which} gold items is among the items of "
                f"{opts.items} (ids are compared as text)",
                path=opts.gold,
            )
    tag = split.tag(final=bool(opts.final))
    rows = [_plan_row(a, subset[a.rubric], opts, tag) for a in arms_run]
    if split.held_out:
        which = "the held-out items only (a final look)" if opts.final else "the other items"
        echo(
            f"Held-out split {split.id}: {len(split.held_out)} of {len(split.all_items)} gold "
            f"items set aside (fraction {split.fraction:g}, seed {split.seed}"
            + (f", whole {split.group_col} groups" if split.group_col else "")
            + f"); the arms annotate {which}."
        )
    echo(plan_message(rows))
    if opts.dry_run:
        return Outcome(None, "Dry run: nothing sent.", 0, rows)
    runs: dict[str, ArmRun] = {}
    spent = 0.0
    stopped = None
    for arm in arms_run:
        budget = None if opts.max_cost is None else max(0.0, opts.max_cost - spent)
        run = _run_arm(arm, subset[arm.rubric], opts, tag, budget)
        runs[arm.name] = run
        spent += run.cost or 0.0
        if run.stopped in ("interrupted", "max_cost"):
            stopped = run.stopped
            break
    complete = [a.name for a in arms_run if a.name in runs and runs[a.name].finished]
    left = [a.name for a in arms_run if a.name not in complete]
    code = INTERRUPTED if stopped == "interrupted" else ITEMS_LEFT if left else 0
    message = _stop_message(stopped, complete, left, runs, opts)
    if opts.final and opts.final in complete:  # a look is counted once its figures exist
        split.record_final_look(opts, opts.final)
    if not complete:
        return Outcome(None, message, code or ITEMS_LEFT, rows, runs)
    evaluated = gold[gold["item_id"].astype(str).isin(wanted)]
    done = [a for a in arms_run if a.name in complete]
    if settings is not None and settings.baseline in left:  # it exists, it is not finished
        from dataclasses import replace

        settings = replace(settings, baseline=None)
        message += " The --baseline arm is incomplete: every pair of complete arms is shown."
    result = _compare(evaluated, groups, opts, settings, done, runs)
    result.plan = rows
    result.holdout = split.to_json(opts, final=opts.final)
    if left:
        result.warnings.append(message)
    return Outcome(result, message if left or stopped else "", code, rows, runs)


def _annotate(
    arm: Arm,
    items: pd.DataFrame,
    opts: SweepOptions,
    tag: str,
    *,
    max_cost: float | None = None,
    dry_run: bool = False,
    rubric: Any = None,
    rater: str | None = None,
) -> RunResult:
    """The one call of `edukit.annotate.engine.annotate` (an arm is an ordinary run)."""
    from edukit.annotate.engine import annotate
    from edukit.resources import resolve_input

    rubric = rubric if rubric is not None else variant(load(arm.rubric), arm.strategy)
    source = os.fspath(resolve_input(opts.items).resolve())
    return annotate(
        items,
        rubric,
        arm.model,
        base_url=arm.base_url,
        api_key_env=arm.api_key_env,
        run_db=opts.run_db,
        rater=rater or arm.name,
        concurrency=opts.concurrency,
        limit=opts.limit,
        samples=arm.samples,
        temperature=arm.temperature,
        max_cost=max_cost,
        dry_run=dry_run,
        quiet=opts.quiet,
        input_id=f"{source}|None|None{tag}",
        command={
            "tag": tag,
            "compare": opts.command,
            "arm": arm.name,
            "strategy": arm.strategy,
            "input": source,
            "rubric": arm.rubric,
            "model": arm.model,
            "base_url": public_url(arm.base_url),
            "api_key_env": arm.api_key_env,
        },
        http_client=opts.http_client,
    )


def _plan_row(arm: Arm, items: pd.DataFrame, opts: SweepOptions, tag: str) -> dict[str, Any]:
    dry = _annotate(arm, items, opts, tag, dry_run=True, rater=_first_rater(arm))
    est = dict(dry.estimate or {})
    if arm.strategy == "verify":
        est = _with_review(est, arm, items, opts, tag)
    n = len(items) if opts.limit is None else min(len(items), opts.limit)
    return {
        "arm": arm.name,
        "strategy": arm.strategy,
        "model": arm.model,
        "items": n,
        "requests": int(est.get("requests", 0)),
        "cached": int(est.get("cached", 0)),
        "input_tokens": int(est.get("input_tokens", 0)),
        "output_tokens": int(est.get("output_tokens", 0)),
        "cost": est.get("cost"),
    }


def _first_rater(arm: Arm) -> str | None:
    return f"{arm.name} (first pass)" if arm.strategy == "verify" else None


def _with_review(
    est: dict[str, Any], arm: Arm, items: pd.DataFrame, opts: SweepOptions, tag: str
) -> dict[str, Any]:
    """The first pass's estimate plus the review pass: a dry run over the first answers already
    in the store, and for each first-pass request still to send one review of about its size."""
    from edukit.annotate.budget import price
    from edukit.annotate.cost import load_prices
    from edukit.develop.verify import VerifyRubric, first_answers, review_tokens

    first = variant(load(arm.rubric), "few-shot")
    run_id = find_run(opts.run_db, _first_rater(arm), arm.model, first.hash, tag)
    review = VerifyRubric(first, first_answers(os.fspath(opts.run_db), run_id))
    dry = _annotate(arm, items, opts, tag, dry_run=True, rubric=review).estimate or {}
    n1 = int(est.get("requests", 0))
    per_in = (est.get("input_tokens", 0) / n1) if n1 else 0
    per_out = (est.get("output_tokens", 0) / n1) if n1 else 0
    tin = int(
        est.get("input_tokens", 0)
        + dry.get("input_tokens", 0)
        + n1 * (per_in + per_out + review_tokens())
    )
    tout = int(est.get("output_tokens", 0) + dry.get("output_tokens", 0) + n1 * per_out)
    return {
        "requests": n1 + int(dry.get("requests", 0)) + n1,
        "cached": int(est.get("cached", 0)) + int(dry.get("cached", 0)),
        "input_tokens": tin,
        "output_tokens": tout,
        "cost": price(load_prices(), arm.model, tin, tout, False),
    }


def _run_arm(
    arm: Arm, items: pd.DataFrame, opts: SweepOptions, tag: str, budget: float | None
) -> ArmRun:
    """One arm's runs: one, or for `verify` the first pass and the review pass."""
    if arm.strategy != "verify":
        return ArmRun([_annotate(arm, items, opts, tag, max_cost=budget)])
    from edukit.develop.verify import VerifyRubric, first_answers

    first = _annotate(arm, items, opts, tag, max_cost=budget, rater=_first_rater(arm))
    if first.stopped or not first.finished:
        return ArmRun([first])
    rest = None if budget is None else max(0.0, budget - (first.cost or 0.0))
    review = VerifyRubric(
        variant(load(arm.rubric), "few-shot"), first_answers(first.run_db, first.run_id)
    )
    second = _annotate(arm, items, opts, tag, max_cost=rest, rubric=review)
    return ArmRun([first, second])


def plan_total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of the arms' dry runs (cost None when one arm's model has no price)."""
    costs = [r["cost"] for r in rows]
    return {
        "requests": sum(r["requests"] for r in rows),
        "cached": sum(r["cached"] for r in rows),
        "input_tokens": sum(r["input_tokens"] for r in rows),
        "output_tokens": sum(r["output_tokens"] for r in rows),
        "cost": None if any(c is None for c in costs) else sum(costs),
    }


def plan_message(rows: list[dict[str, Any]]) -> str:
    """The cost plan as text: one line per arm and the total."""

    def usd(c: float | None) -> str:
        return "cost unknown (no price)" if c is None else f"~${c:,.4f}"

    lines = ["Cost plan (before any request):"]
    for r in rows:
        lines.append(
            f"  {r['arm']}: {r['items']} items, {r['requests']} requests to send"
            + (f" ({r['cached']} already answered)" if r["cached"] else "")
            + f", ~{r['input_tokens']:,} input / ~{r['output_tokens']:,} output tokens, "
            + usd(r["cost"])
        )
    t = plan_total(rows)
    lines.append(
        f"  total: {t['requests']} requests, ~{t['input_tokens']:,} input / "
        f"~{t['output_tokens']:,} output tokens, {usd(t['cost'])} (identical requests of "
        "different arms are counted in each but sent once)"
    )
    return "\n".join(lines)


def _stop_message(stopped, complete, left, runs, opts) -> str:
    if not left and not stopped:
        return ""
    done = ", ".join(complete) or "none"
    parts = []
    for name in left:
        run = runs.get(name)
        if run is None:
            parts.append(f"{name} (not started)")
        else:
            parts.append(f"{name} ({run.items_left} items left)")
    if stopped == "max_cost":
        why = f"the sweep reached --max-cost ${opts.max_cost:g}"
    elif stopped == "interrupted":
        why = "interrupted"
    else:
        why = "items left (API errors)"
    return (
        f"Stopped: {why}. Complete arms: {done}. Incomplete: {', '.join(parts)}. Everything "
        "finished is saved; re-run the same command to resume (the comparison covers the "
        "complete arms only)."
    )


def _gold(opts: SweepOptions) -> tuple[pd.DataFrame, Any]:
    """The human labels (only the `--humans` raters) and the bootstrap's clusters."""
    from edukit.annotations import is_sight_wide, read_annotations
    from edukit.develop.comparison import _groups_for

    ann = read_annotations(opts.gold)
    present = set(ann["rater"])
    absent = [h for h in opts.humans if h not in present]
    if absent:
        raise AgreementError(
            f"no ratings from {', '.join(absent)} (raters: {', '.join(sorted(map(str, present)))})",
            path=opts.gold,
        )
    gold = ann[ann["rater"].isin(opts.humans)].reset_index(drop=True)
    groups = _groups_for(opts.gold, gold, opts.group_col, is_sight_wide(opts.gold))
    return gold, groups


def _check_labels(arm: Arm, gold: pd.DataFrame, path: Path) -> None:
    names = label_names(load(arm.rubric))
    have = set(gold["label"])
    if not have & set(names):
        raise AgreementError(
            f"the gold labels ({', '.join(sorted(map(str, have)))}) include none of arm "
            f"{arm.name}'s labels ({', '.join(names)})",
            path=path,
        )


def _items(rubric: str, path: Path) -> pd.DataFrame:
    from edukit.rubric.data import check_not_all_empty, read_items_for

    rub = load(rubric)
    items = read_items_for(rub, path)
    check_not_all_empty(rub, items, path)
    items = items.copy()
    items["item_id"] = items["item_id"].astype(str)
    return items


def _compare(gold, groups, opts, settings, arms: list[Arm], runs) -> CompareResult:
    import pandas as pd

    from edukit.develop.comparison import compare_arms

    frames = [gold]
    usage = {}
    for arm in arms:
        run = runs[arm.name]
        ann = run.annotations
        frames.append(ann.assign(rater=arm.name))
        usage[arm.name] = {
            "cost_usd": run.cost,
            "tokens": {"input": run.input_tokens, "output": run.output_tokens},
            "latency_s": _latency(run.last),
            "items": run.items,
            "invalid": _invalid(run.last),
            "info": {
                "rubric": arm.rubric,
                "strategy": arm.strategy,
                "model": arm.model,
                "base_url": public_url(arm.base_url),
                "run": run.run_id,
            },
        }
    table = pd.concat(frames, ignore_index=True)
    from edukit.annotations import normalise_annotations

    table = normalise_annotations(table)
    return compare_arms(table, opts.humans, [a.name for a in arms], settings, groups, usage)


def _latency(run: RunResult) -> float | None:
    """Mean seconds per answered request of the run (None when not recorded)."""
    import sqlite3

    with sqlite3.connect(run.run_db) as db:
        (value,) = db.execute(
            "SELECT AVG(r.latency) FROM requests q JOIN responses r ON r.key = q.key "
            "WHERE q.run_id = ? AND r.latency IS NOT NULL",
            (run.run_id,),
        ).fetchone()
    return value


def _invalid(run: RunResult) -> dict[str, tuple[int, int]]:
    """Per label: (invalid answers, answered requests) of the run."""
    import json
    import sqlite3

    out: dict[str, list[int]] = {}
    with sqlite3.connect(run.run_db) as db:
        rows = db.execute(
            "SELECT q.labels, r.status FROM requests q JOIN responses r ON r.key = q.key "
            "WHERE q.run_id = ? AND r.status IN ('ok', 'invalid')",
            (run.run_id,),
        ).fetchall()
    for labels, status in rows:
        for label in json.loads(labels):
            c = out.setdefault(label, [0, 0])
            c[0] += status == "invalid"
            c[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}
