"""The annotation engine: a rubric over items, through an OpenAI-compatible model, into a run store.

`annotate` wires the pieces together: `identity` (run and request keys), `recorder` (run-store
writes), `exchange` (one request's attempts and re-asks), `scheduler` (workers, rate limits,
budget) and `batch` (the Batch API path). Every finished response is committed at once; a request
whose key already has an `ok` or `invalid` response is never sent again, so re-running the same
command resumes a run.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from edukit.annotate.aggregate import aggregate, label_confidence
from edukit.annotate.client import TIMEOUT, Connection, check_base_url
from edukit.annotate.cost import (
    Budget,
    load_prices_quietly,
    output_tokens_estimate,
    price,
    run_cost,
)
from edukit.annotate.exchange import REASK, Exchange
from edukit.annotate.identity import (
    default_input_id,
    iter_items,
    limited,
    normalise_endpoint,
    request_from_row,
    request_key,
    run_identity,
)
from edukit.annotate.progress import Reporter, RunProgress, Stats
from edukit.annotate.recorder import REDACTION_KEY, Recorder
from edukit.annotate.scheduler import Scheduler, run_sync
from edukit.annotate.settings import Endpoint, Limits, Output, Sampling, settings_from
from edukit.annotate.store import FINISHED, RunStore, dumps
from edukit.errors import AnnotationError
from edukit.paths import public_url

__all__ = [
    "REASK",
    "RunProgress",
    "RunResult",
    "aggregate",
    "annotate",
    "iter_items",
    "label_confidence",
    "normalise_endpoint",
    "output_tokens_estimate",
    "request_from_row",
    "request_key",
    "run_identity",
    "run_sync",
]

# former private names, kept for callers of the single-module engine
_run_cost = run_cost
_cost = price


@dataclass
class RunResult:
    """What a call to `annotate` did: counts, usage, cost, and the long annotation table."""

    run_id: str
    run_db: str
    counts: dict[str, int]  # requests of the items asked for, by status (pending: no answer)
    sent: int = 0  # HTTP calls made by this call (retries and re-asks included)
    cached: int = 0  # requests answered from the run store without sending
    input_tokens: int = 0  # tokens the run paid for (all its calls), reused answers excluded
    output_tokens: int = 0
    cost: float | None = None  # USD the run spent, None when the model has no price
    # "max_cost", "batch_pending", "batch_written", "interrupted" or None when nothing stopped
    # the run
    stopped: str | None = None
    items: int | None = None  # items asked for (the first --limit ones)
    items_left: int = 0  # of which without a final answer for every request
    reused: int = 0  # requests answered with another run's answers (--reuse-from)
    dry_run: bool = False
    estimate: dict[str, Any] | None = None  # for dry runs: requests, tokens, cost, batch cost
    batches: list[dict[str, Any]] = field(default_factory=list)
    resumed: bool = False
    seq_below: int | None = None  # annotation rows of the first items only (--limit)
    notes: list[str] = field(default_factory=list)  # what was learned about the server, once
    cost_estimated: bool = False  # some usage was estimated (the server reported none)
    skipped_empty: int = 0  # items whose text is empty: not sent
    # per replica of this call: url, calls, answered, errors, mean_latency, drained (and the
    # concurrency level and its history with --concurrency auto)
    replicas: list[dict[str, Any]] = field(default_factory=list)
    concurrency: int | str | None = None  # the fixed level, or "auto"
    batch_files: list[tuple[str, int]] = field(default_factory=list)  # --batch-file: (file, n)
    ingested: Any = None  # --batch-results: edukit.annotate.batchfile.Ingested
    _frame: Any = None

    @property
    def annotations(self):
        """The run's long annotation table (read from the run store on first use)."""
        if self._frame is None:
            if self.dry_run:
                import pandas as pd

                from edukit.annotate.store import ANNOTATION_COLUMNS

                self._frame = pd.DataFrame(columns=ANNOTATION_COLUMNS)
            else:
                with RunStore(self.run_db) as store:
                    self._frame = store.annotations(self.run_id, self.seq_below)
        return self._frame

    @property
    def finished(self) -> bool:
        """True when every item asked for has its answers and nothing stopped the run."""
        return (
            self.stopped is None
            and not self.dry_run
            and self.items_left == 0
            and self.counts.get("pending", 0) == 0
            and self.counts.get("api_error", 0) == 0
        )


def annotate(
    items: Any,
    rubric: Any,
    model: str | None = None,
    *,
    endpoint: Endpoint | None = None,
    sampling: Sampling | None = None,
    limits: Limits | None = None,
    output: Output | None = None,
    **options: Any,
) -> RunResult:
    """Annotate `items` (a DataFrame or an iterable of dicts) with `rubric` through `model`.

    `model` None means the rubric's `defaults.model` (an error when the rubric has none). The
    settings come in four groups (edukit.annotate.settings): `endpoint` (URL or replicas, batch
    paths, concurrency, rate limits), `sampling`, `limits` (budget and limits) and `output`
    (run store, progress); each of their fields may also be given as a keyword argument
    (`base_url=...`, `max_cost=...`).

    The run is identified by the rubric hash, model, base URL, rater, samples and `input_id`
    (the CLI passes the input path; by default the item ids of a DataFrame, or nothing for an
    iterable); calling again with the same inputs resumes it. `max_cost` is the run's budget in
    USD (earlier calls' usage included): when spent, in-flight requests finish and the run stops
    with `stopped="max_cost"`. `progress` receives a stats dict after each request; without it a
    rich progress bar goes to stderr unless `quiet`. `command` (options, without secrets) is
    recorded with the run. `redaction` (an `edukit.redact.Redaction`) redacts the items and the
    rubric's few-shot examples before any prompt is built; its profile is part of the run id and
    of every request key, and each request's counts per entity type are recorded.

    Answers are keyed by endpoint too: the same prompt to another server is sent again.
    `reuse_from` (a run id in the same store) takes that run's finished answers for identical
    prompts instead, on purpose; they are counted as reused, not as this run's spending.

    `temperature` and `logprobs` override the rubric's defaults (a different run); with
    logprobs the chosen label's probability is stored as its confidence. Items whose text is
    empty are not sent (`skipped_empty`).
    """
    ep, sm, lim, out = settings_from(endpoint, sampling, limits, output, options)
    base_url, concurrency, samples, timeout = ep.base_url, ep.concurrency, sm.samples, ep.timeout
    rater, prices, input_id = out.rater, lim.prices, out.input_id
    from edukit.annotate.params import with_params

    rubric, overrides = with_params(rubric, temperature=sm.temperature, logprobs=sm.logprobs)
    if lim.limit is not None and lim.limit < 1:  # zero items is no run: never a "Done."
        raise AnnotationError(f"--limit must be at least 1, not {lim.limit}")
    from edukit.annotate.concurrency import default_concurrency, parse_concurrency
    from edukit.annotate.replicas import replica_identity, replica_list

    replicas = replica_list(base_url, ep.endpoints)
    for r in replicas:
        check_base_url(r.url)
    if concurrency is None:
        concurrency = default_concurrency([r.url for r in replicas])
    concurrency = parse_concurrency(concurrency)
    model = model or rubric.defaults.get("model")
    if not model:
        raise AnnotationError("--model is required (the rubric sets no defaults.model)")
    samples = samples or getattr(rubric, "samples", 1) or 1
    timeout = timeout or rubric.defaults.get("timeout") or TIMEOUT
    offline = ep.batch_file is not None or bool(ep.batch_results)
    if offline and ep.batch:
        raise AnnotationError("--batch-file and --batch-results do not go with --batch")
    if len(replicas) > 1 or ep.endpoints is not None or offline:
        base_url = replica_identity(model)  # answers of any replica are interchangeable
        if ep.batch:
            raise AnnotationError("--batch uses the OpenAI Batch API: give one --base-url")
    else:
        base_url = replicas[0].url if replicas else None
    rater = rater or model
    if prices is None and (lim.dry_run or lim.max_cost is not None):
        from edukit.annotate.cost import load_prices

        prices = load_prices()  # a broken price file is an error when prices matter
    elif prices is None:
        prices = load_prices_quietly()
    red_info = None
    if out.redaction is not None:
        rubric, items = out.redaction.rubric(rubric), out.redaction.wrap(items, lim.limit)
        red_info = {"name": out.redaction.profile.name, "hash": out.redaction.profile.hash}
    red_hash = red_info["hash"] if red_info else None
    if lim.dry_run:
        return _dry_run(
            items,
            rubric,
            model,
            lim.limit,
            samples,
            ep.batch,
            prices,
            out.run_db,
            base_url,
            red_hash,
        )
    if lim.max_cost is not None and price(prices, model, 0, 0, ep.batch) is None:
        raise AnnotationError(
            f"--max-cost needs a price for model {model!r}: add it to the price table "
            "(~/.config/edukit/prices.toml)"
        )
    if input_id is None:
        input_id = default_input_id(items)
    if overrides:
        input_id = f"{input_id}|params:{dumps(overrides)}"
    from edukit.annotate.client import resolve_api_key

    if offline:  # nothing is sent: no key is needed
        keys = ["not-needed"] * len(replicas)
        api_key = "not-needed"
    else:
        keys = [resolve_api_key(r.api_key_env or ep.api_key_env, r.url) for r in replicas]
        api_key = keys[0] if keys else resolve_api_key(ep.api_key_env, None)
    pool = tuple((r.url, k, r.weight) for r, k in zip(replicas, keys, strict=True))
    run_id = run_identity(rubric, model, base_url, rater, samples, input_id, red_hash)
    recorded = dict(out.command or {})
    if out.redaction is not None:
        recorded["redact"] = out.redaction.profile.to_json()
    store = RunStore(out.run_db)
    try:
        resumed = store.open_run(
            run_id,
            {
                "options": recorded,
                "rubric": rubric.name,
                "rubric_version": rubric.version,
                "rubric_hash": rubric.hash,
                "rubric_path": os.fspath(getattr(rubric, "path", "") or ""),
                "model": model,
                "base_url": normalise_endpoint(base_url),
                "rater": rater,
                "samples": samples,
            },
        )
        stats = Stats()
        spent = store.spend(run_id)  # what earlier calls of this run paid for
        stats.input_tokens = spent["input_tokens"]
        stats.output_tokens = spent["output_tokens"]
        budget = Budget(stats, prices, model, lim.max_cost)
        reporter = Reporter(stats, out.progress, out.quiet)
        reuse = None
        if out.reuse_from is not None:
            other = store.run(out.reuse_from)
            reuse = (other["id"], other["model"], other["base_url"])
        recorder = Recorder(
            store,
            run_id,
            rubric,
            model,
            rater,
            samples,
            stats,
            reporter.report,
            endpoint=base_url,
            reuse=reuse,
            redaction=red_info,
        )
        stats.total = recorder.total(items, lim.limit)
        exchange = Exchange(
            rubric, sm.max_reasks, stats, budget, max_retries=ep.max_retries, timeout=timeout
        )
        scheduler = Scheduler(recorder, exchange, budget, reporter)
        from edukit.annotate.ladder import Ladder, estimated_responses

        endpoint = public_url(base_url) or "https://api.openai.com/v1"  # stored: no user info
        scheduler.ladder = ladder = Ladder.open(store.db, run_id, endpoint, model)
        conn = Connection(
            replicas[0].url if replicas else None,
            api_key,
            timeout,
            ep.max_retries,
            concurrency if concurrency != "auto" else 1,
            ep.rpm,
            ep.tpm,
            ep.http_client,
            replicas=pool if len(pool) > 1 else (),
            auto=concurrency == "auto",
        )
        batches: list[dict[str, Any]] = []
        files = ingested = None
        try:
            if offline:
                from edukit.annotate.batchfile import run_files

                stopped, files, ingested = run_files(
                    recorder, items, lim.limit, ep.batch_file, ep.batch_results
                )
            elif ep.batch:
                from edukit.annotate import batch as batch_api

                stopped, batches = run_sync(
                    batch_api.run_batch(recorder, scheduler, items, lim.limit, conn)
                )
            else:
                jobs = recorder.plan(items, lim.limit, lambda: scheduler.interrupted)
                stopped = run_sync(scheduler.run(jobs, conn))
        except KeyboardInterrupt:  # outside the scheduler's own Ctrl-C handling
            reporter.stop()
            stopped = "interrupted"
        store.commit()
        replicas_seen = scheduler.router.summary() if scheduler.router else []
        if concurrency == "auto":
            store.add_concurrency(run_id, replicas_seen)
        estimated = estimated_responses(store.db, run_id, exchange.estimated)
        asked = _asked(items, lim.limit, recorder.walked, stopped)
        summary = store.summary(run_id, asked)
        left = summary["items"] - summary["items_done"] + max(0, (asked or 0) - recorder.walked)
        spent = store.spend(run_id)
        return RunResult(
            run_id=run_id,
            run_db=os.fspath(out.run_db),
            counts={k: summary[k] for k in ("ok", "invalid", "api_error", "pending")},
            sent=stats.sent,
            cached=stats.cached,
            input_tokens=spent["input_tokens"],
            output_tokens=spent["output_tokens"],
            cost=run_cost(prices, model, spent),
            stopped=stopped,
            items=asked,
            items_left=left,
            reused=store.reused(run_id, asked),
            batches=batches or store.batches(run_id),
            resumed=resumed,
            seq_below=asked,
            notes=[*ladder.notes, *exchange.notes],
            cost_estimated=estimated > 0,
            skipped_empty=recorder.skipped_empty,
            replicas=replicas_seen,
            concurrency=concurrency,
            batch_files=[(os.fspath(p), n) for p, n in files or []],
            ingested=ingested,
        )
    except (sqlite3.Error, OSError) as exc:
        raise _write_failure(exc, out.run_db, run_id) from None
    finally:
        with contextlib.suppress(sqlite3.Error, OSError):
            store.close()  # after a write failure: reported above; what was committed is safe


def _asked(items: Any, limit: int | None, walked: int, stopped: str | None) -> int | None:
    """How many items this call was asked to annotate (the first `limit` ones)."""
    try:
        n = len(items)
    except TypeError:
        n = None if stopped == "interrupted" else walked  # an iterable: as far as it went
        return n if limit is None or n is None else min(n, limit)
    return n if limit is None else min(n, limit)


def _write_failure(exc: BaseException, run_db, run_id: str) -> AnnotationError:
    """One line for a run store that cannot be written (disk full, read-only, lost directory)."""
    saved = "everything committed before it"
    try:
        uri = f"file:{os.path.abspath(os.fspath(run_db))}?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            (n,) = db.execute(
                "SELECT COUNT(*) FROM annotations WHERE run_id = ?", (run_id,)
            ).fetchone()
        saved = f"the {n} annotation rows committed before it"
    except sqlite3.Error:
        pass
    return AnnotationError(
        f"cannot write to the run store ({exc}); {saved} are safe in it. Free disk space or "
        "make the file and its directory writable, then re-run the same command to resume",
        path=run_db,
    )


def _dry_run(
    items, rubric, model, limit, samples, batch, prices, run_db, endpoint, redaction=None
) -> RunResult:
    """Count and price the requests still to send; nothing is sent and no run is created."""
    from edukit.annotate.cost import estimate_tokens

    # Requests already answered in an existing run store would not be sent again.
    store = RunStore(run_db) if os.path.exists(run_db) else None
    n = cached = tin = tout = 0
    # answered requests calibrate the estimate: [estimated in, out, used in, out, requests]
    cal = [0, 0, 0, 0, 0]
    out_cache: dict[str, int] = {}
    try:
        from edukit.annotate.recorder import is_empty

        text_field = getattr(rubric, "text_field", None)
        for item in limited(items, limit):
            item.pop(REDACTION_KEY, None)
            if text_field is not None and is_empty(item.get(text_field)):
                continue  # not sent (see Recorder.plan)
            for req in rubric.requests(item):
                schema_key = dumps(req.schema)
                if schema_key not in out_cache:
                    out_cache[schema_key] = output_tokens_estimate(req.schema)
                for s in range(samples):
                    key = request_key(model, req, s, endpoint, redaction)
                    est_in = estimate_tokens(req.messages) + estimate_tokens(req.schema)
                    if store and store.status(key) in FINISHED:
                        cached += 1
                        resp = store.response(key) or {}
                        if (resp.get("input_tokens") or 0) > 0:
                            cal[0] += est_in
                            cal[1] += out_cache[schema_key]
                            cal[2] += resp["input_tokens"]
                            cal[3] += resp.get("output_tokens") or 0
                            cal[4] += 1
                        continue
                    n += 1
                    tin += est_in
                    tout += out_cache[schema_key]
    finally:
        if store:
            store.close()
    calibrated = None
    if cal[4]:  # scale by the tokens answered requests used per token estimated
        r_in = cal[2] / cal[0] if cal[0] else 1.0
        r_out = cal[3] / cal[1] if cal[1] and cal[3] else 1.0
        tin, tout = round(tin * r_in), round(tout * r_out)
        calibrated = {"requests": cal[4], "input_ratio": r_in, "output_ratio": r_out}
    estimate = {
        "requests": n,
        "cached": cached,
        "calibrated": calibrated,
        "input_tokens": tin,
        "output_tokens": tout,
        "cost": price(prices, model, tin, tout, False),
        "batch_cost": price(prices, model, tin, tout, True),
        "prices_checked": getattr(prices, "checked", None),
    }
    return RunResult(
        run_id="",
        run_db=os.fspath(run_db),
        counts={"pending": n},
        cached=cached,
        dry_run=True,
        estimate=estimate,
        input_tokens=tin,
        output_tokens=tout,
        cost=estimate["cost"],
    )
