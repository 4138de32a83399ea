"""The annotation engine: a rubric over items, through an OpenAI-compatible model, into a run store.

Work is streamed: one producer walks the items and builds their requests while a fixed pool of
`concurrency` workers sends them, connected by a bounded queue, so memory does not grow with the
corpus. Every finished response is committed at once; a request whose key already has an `ok` or
`invalid` response is never sent again, so re-running the same command resumes a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from edukit.annotate.client import MAX_RETRIES, TIMEOUT, Connection, check_base_url
from edukit.annotate.store import FINISHED, RunStore, dumps
from edukit.errors import AnnotationError
from edukit.prompt import Decision, PromptRequest

REASK = (
    "Your answer could not be used: {error}\n"
    "Answer again with only a JSON object that follows the required schema."
)


@dataclass
class RunResult:
    """What a call to `annotate` did: counts, usage, cost, and the long annotation table."""

    run_id: str
    run_db: str
    counts: dict[str, int]  # the run's requests by status: ok, invalid, api_error, pending
    sent: int = 0  # HTTP requests made by this call (re-asks included)
    cached: int = 0  # requests answered from the run store without sending
    input_tokens: int = 0  # usage of the whole run, failed and re-asked attempts included
    output_tokens: int = 0
    cost: float | None = None  # USD for the run's usage, None when the model has no price
    stopped: str | None = None  # "max_cost", "batch_pending" or None when the run finished
    dry_run: bool = False
    estimate: dict[str, Any] | None = None  # for dry runs: requests, tokens, cost, batch cost
    batches: list[dict[str, Any]] = field(default_factory=list)
    resumed: bool = False
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
                    self._frame = store.annotations(self.run_id)
        return self._frame

    @property
    def finished(self) -> bool:
        """True when every request of the run has an answer and nothing stopped it."""
        return self.stopped is None and not self.dry_run and self.counts.get("pending", 0) == 0


def request_key(model: str, request: PromptRequest, sample: int) -> str:
    """sha256 over canonical JSON of (model, messages, schema, params, sample index).

    `model` is the model actually asked; a rubric's `defaults.model` in the params is only the
    default for it (never sent), so it is left out of the key.
    """
    payload = {
        "model": model,
        "messages": request.messages,
        "schema": request.schema,
        "params": {k: v for k, v in request.params.items() if k != "model"},
        "sample": sample,
    }
    return hashlib.sha256(dumps(payload).encode("utf-8")).hexdigest()


def run_identity(
    rubric: Any, model: str, base_url: str | None, rater: str, samples: int, input_id: str
) -> str:
    """A run is its inputs: the same rubric, model, endpoint, rater, samples and input resume it."""
    payload = {
        "rubric_hash": rubric.hash,
        "model": model,
        "base_url": base_url or "",
        "rater": rater,
        "samples": samples,
        "input": input_id,
    }
    return hashlib.sha256(dumps(payload).encode("utf-8")).hexdigest()[:16]


def iter_items(items: Any) -> Iterator[dict[str, Any]]:
    """Rows of a DataFrame or any iterable of mappings, one dict at a time."""
    if hasattr(items, "itertuples") and hasattr(items, "columns"):
        cols = [str(c) for c in items.columns]
        for values in items.itertuples(index=False, name=None):
            yield dict(zip(cols, values, strict=True))
        return
    for item in items:
        yield dict(item) if not isinstance(item, dict) else item


def request_from_row(row: Mapping[str, Any]) -> PromptRequest:
    """Rebuild a PromptRequest from its run-store row."""
    return PromptRequest(
        item_id=row["item_id"],
        key=row["decision"],
        labels=tuple(row["labels"]),
        version=row["version"],
        messages=row["messages"],
        schema_name=row["schema_name"],
        schema=row["schema"],
        params=row["params"],
    )


def label_confidence(
    text: str, decisions: list[Decision], logprobs: list[tuple[str, float]] | None
) -> dict[str, float]:
    """Probability of each chosen value: exp(sum of the logprobs of the tokens spelling it)."""
    if not logprobs:
        return {}
    starts, pos = [], 0
    for token, _ in logprobs:
        starts.append(pos)
        pos += len(token)
    out: dict[str, float] = {}
    for d in decisions:
        literal = json.dumps(d.value if not isinstance(d.value, int) else bool(d.value))
        literals = {literal, json.dumps(d.value)}
        for lit in literals:
            m = re.search(rf'"{re.escape(d.label)}"\s*:\s*({re.escape(lit)})', text)
            if m:
                lo, hi = m.span(1)
                total = sum(
                    lp
                    for (tok, lp), s in zip(logprobs, starts, strict=True)
                    if s < hi and s + len(tok) > lo
                )
                out[d.label] = math.exp(total)
                break
    return out


def aggregate(
    group: list[tuple[str, list[Decision], dict[str, float]] | None],
) -> list[dict[str, Any]]:
    """Annotation rows from the K samples of one request: majority value, vote share.

    `group[s]` is (key, decisions, logprob confidences) for a valid sample, None for an invalid
    one. With one sample the confidence is the logprob probability when the server gave one.
    """
    votes: dict[str, list[tuple[int, str, Decision, float | None]]] = {}
    for s, entry in enumerate(group):
        if entry is None:
            continue
        key, decisions, conf = entry
        for d in decisions:
            votes.setdefault(d.label, []).append((s, key, d, conf.get(d.label)))
    rows = []
    for label, vs in votes.items():
        if len(group) == 1:
            s, key, d, conf = vs[0]
        else:
            counts = Counter(json.dumps(v[2].value) for v in vs)
            best = max(counts.values())
            # ties go to the value voted first, so the result does not depend on dict order
            winner = next(
                json.dumps(v[2].value) for v in vs if counts[json.dumps(v[2].value)] == best
            )
            s, key, d, _ = next(v for v in vs if json.dumps(v[2].value) == winner)
            conf = best / len(vs)
        rows.append(
            {
                "label": label,
                "value": d.value,
                "version": d.version,
                "sample": s,
                "reasoning": d.reasoning,
                "confidence": conf,
                "key": key,
            }
        )
    return rows


class _Group:
    """The K samples of one request of one item, until all are answered."""

    __slots__ = ("left", "request", "results", "seq")

    def __init__(self, request: PromptRequest, seq: int, samples: int) -> None:
        self.request = request
        self.seq = seq
        self.left = samples
        self.results: list[Any] = [None] * samples


@dataclass
class _Stats:
    total: int | None = None
    done: int = 0
    sent: int = 0
    cached: int = 0
    errors: int = 0
    invalid: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    started: float = field(default_factory=time.monotonic)

    def snapshot(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {
            "total": self.total,
            "done": self.done,
            "sent": self.sent,
            "cached": self.cached,
            "errors": self.errors,
            "invalid": self.invalid,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "elapsed": elapsed,
            "rate": self.sent / elapsed,
        }


def annotate(
    items: Any,
    rubric: Any,
    model: str | None,
    *,
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    run_db: str | os.PathLike = "edukit-runs.sqlite",
    rater: str | None = None,
    concurrency: int = 8,
    rpm: float | None = None,
    tpm: float | None = None,
    limit: int | None = None,
    samples: int | None = None,
    max_cost: float | None = None,
    max_reasks: int = 2,
    dry_run: bool = False,
    batch: bool = False,
    quiet: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
    input_id: str | None = None,
    prices: Any = None,
    timeout: float = TIMEOUT,
    max_retries: int = MAX_RETRIES,
    command: Mapping[str, Any] | None = None,
    http_client: Any = None,
) -> RunResult:
    """Annotate `items` (a DataFrame or an iterable of dicts) with `rubric` through `model`.

    `model` None means the rubric's `defaults.model` (an error when the rubric has none).

    The run is identified by the rubric hash, model, base URL, rater, samples and `input_id`
    (the CLI passes the input path; by default the item ids of a DataFrame, or nothing for an
    iterable); calling again with the same inputs resumes it. `max_cost` is the run's budget in
    USD (earlier calls' usage included): when spent, in-flight requests finish and the run stops
    with `stopped="max_cost"`. `progress` receives a stats dict after each request; without it a
    rich progress bar goes to stderr unless `quiet`. `command` (options, without secrets) is
    recorded with the run.
    """
    if concurrency < 1:
        raise AnnotationError("--concurrency must be at least 1")
    model = model or rubric.defaults.get("model")
    if not model:
        raise AnnotationError("--model is required (the rubric sets no defaults.model)")
    samples = samples or getattr(rubric, "samples", 1) or 1
    rater = rater or model
    if prices is None and (dry_run or max_cost is not None):
        from edukit.annotate.cost import load_prices

        prices = load_prices()  # a broken price file is an error when prices matter
    elif prices is None:
        prices = _prices()
    if dry_run:
        return _dry_run(items, rubric, model, limit, samples, batch, prices, run_db)
    if max_cost is not None and _cost(prices, model, 0, 0, batch) is None:
        raise AnnotationError(
            f"--max-cost needs a price for model {model!r}: add it to the price table "
            "(~/.config/edukit/prices.toml)"
        )
    if input_id is None:
        input_id = _default_input_id(items)
    check_base_url(base_url)
    from edukit.annotate.client import resolve_api_key

    api_key = resolve_api_key(api_key_env, base_url)
    run_id = run_identity(rubric, model, base_url, rater, samples, input_id)
    store = RunStore(run_db)
    try:
        resumed = store.open_run(
            run_id,
            {
                "options": dict(command or {}),
                "rubric": rubric.name,
                "rubric_version": rubric.version,
                "rubric_hash": rubric.hash,
                "rubric_path": os.fspath(getattr(rubric, "path", "") or ""),
                "model": model,
                "base_url": base_url,
                "rater": rater,
                "samples": samples,
            },
        )
        engine = _Engine(
            store=store,
            run_id=run_id,
            rubric=rubric,
            model=model,
            rater=rater,
            samples=samples,
            max_reasks=max_reasks,
            max_cost=max_cost,
            prices=prices,
            batch_pricing=False,
            progress=progress,
            quiet=quiet,
        )
        conn = Connection(
            base_url, api_key, timeout, max_retries, concurrency, rpm, tpm, http_client
        )
        batches: list[dict[str, Any]] = []
        if batch:
            from edukit.annotate import batch as batch_api

            stopped, batches = run_sync(batch_api.run_batch(engine, items, limit, conn))
        else:
            stopped = run_sync(engine.run_interactive(items, limit, conn))
        summary = store.summary(run_id)
        return RunResult(
            run_id=run_id,
            run_db=os.fspath(run_db),
            counts={k: summary[k] for k in ("ok", "invalid", "api_error", "pending")},
            sent=engine.stats.sent,
            cached=engine.stats.cached,
            input_tokens=summary["input_tokens"],
            output_tokens=summary["output_tokens"],
            cost=_run_cost(prices, model, summary),
            stopped=stopped,
            batches=batches or store.batches(run_id),
            resumed=resumed,
        )
    finally:
        store.close()


def run_sync(coro):
    """Run a coroutine to completion, also from inside a running event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    # a notebook already runs a loop in this thread: give the run its own loop and thread
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _prices():
    from edukit.annotate.cost import load_prices

    try:
        return load_prices()
    except Exception:  # a broken user price file must not lose a finished run's summary
        return None


def _cost(prices, model: str, tin: int, tout: int, batch: bool = False) -> float | None:
    if prices is None:
        return None
    from edukit.annotate.cost import estimate_cost

    return estimate_cost(model, tin, tout, batch=batch, prices=prices)


def _run_cost(prices, model: str, summary: dict[str, Any]) -> float | None:
    """Interactive tokens at the list price, Batch API tokens with the batch discount."""
    live = _cost(
        prices,
        model,
        summary["input_tokens"] - summary["batch_input_tokens"],
        summary["output_tokens"] - summary["batch_output_tokens"],
    )
    batched = _cost(
        prices, model, summary["batch_input_tokens"], summary["batch_output_tokens"], True
    )
    return None if live is None or batched is None else live + batched


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(exc)


def _default_input_id(items: Any) -> str:
    if hasattr(items, "columns") and "item_id" in getattr(items, "columns", ()):
        ids = "\n".join(map(str, items["item_id"]))
        return "ids:" + hashlib.sha256(ids.encode()).hexdigest()[:16]
    return ""


def _limited(items: Any, limit: int | None) -> Iterator[dict[str, Any]]:
    for n, item in enumerate(iter_items(items)):
        if limit is not None and n >= limit:
            return
        yield item


def output_tokens_estimate(schema: Mapping[str, Any]) -> int:
    """Rough answer size for a schema: enum values, booleans, ~60 tokens of reasoning."""
    from edukit.annotate.cost import estimate_tokens

    total = 8
    for name, prop in schema.get("properties", {}).items():
        total += estimate_tokens(name) + 3
        if "enum" in prop:
            total += max(estimate_tokens(str(v)) for v in prop["enum"])
        elif prop.get("type") == "string":
            total += 60
        else:
            total += 1
    return total


def _dry_run(items, rubric, model, limit, samples, batch, prices, run_db) -> RunResult:
    """Count and price the requests still to send; nothing is sent and no run is created."""
    from edukit.annotate.cost import estimate_tokens

    # Requests already answered in an existing run store would not be sent again.
    store = RunStore(run_db) if os.path.exists(run_db) else None
    n = cached = tin = tout = 0
    out_cache: dict[str, int] = {}
    try:
        for item in _limited(items, limit):
            for req in rubric.requests(item):
                schema_key = dumps(req.schema)
                if schema_key not in out_cache:
                    out_cache[schema_key] = output_tokens_estimate(req.schema)
                for s in range(samples):
                    if store and store.status(request_key(model, req, s)) in FINISHED:
                        cached += 1
                        continue
                    n += 1
                    tin += estimate_tokens(req.messages) + estimate_tokens(req.schema)
                    tout += out_cache[schema_key]
    finally:
        if store:
            store.close()
    estimate = {
        "requests": n,
        "cached": cached,
        "input_tokens": tin,
        "output_tokens": tout,
        "cost": _cost(prices, model, tin, tout, False),
        "batch_cost": _cost(prices, model, tin, tout, True),
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


class _Engine:
    """State shared by the producer and the workers of one call."""

    def __init__(
        self,
        *,
        store: RunStore,
        run_id: str,
        rubric: Any,
        model: str,
        rater: str,
        samples: int,
        max_reasks: int,
        max_cost: float | None,
        prices: Any,
        batch_pricing: bool,
        progress: Callable[[dict[str, Any]], None] | None,
        quiet: bool,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.rubric = rubric
        self.model = model
        self.rater = rater
        self.samples = samples
        self.max_reasks = max_reasks
        self.max_cost = max_cost
        self.prices = prices
        self.batch_pricing = batch_pricing
        self.stats = _Stats()
        self.stop = False
        self.progress = progress
        self.quiet = quiet
        self._bar = None
        self._inflight: dict[str, asyncio.Event] = {}
        self.left_over = False  # work skipped because the budget was spent
        self._reached = False  # the endpoint has answered at least once in this call
        self._unreachable = 0  # connection failures in a row (after the client's retries)
        self.max_unreachable = 16
        summary = store.summary(run_id)
        self.stats.input_tokens = summary["input_tokens"]
        self.stats.output_tokens = summary["output_tokens"]
        self._update_cost()

    # producing work -------------------------------------------------------------------------
    def plan(self, items: Any, limit: int | None) -> Iterator[tuple[_Group, int, str]]:
        """Every (group, sample, key) still to send; cached answers are settled on the way."""
        for seq, item in enumerate(_limited(items, limit)):
            if self.stop:
                return
            for req in self.rubric.requests(item):
                group = _Group(req, seq, self.samples)
                for s in range(self.samples):
                    key = request_key(self.model, req, s)
                    self.store.add_request(self.run_id, self._request_row(req, key, s, seq))
                    if self.store.status(key) in FINISHED:
                        self.settle_cached(group, s, key)
                    else:
                        yield group, s, key

    def _request_row(self, req: PromptRequest, key: str, s: int, seq: int) -> dict[str, Any]:
        return {
            "key": key,
            "item_id": req.item_id,
            "decision": req.key,
            "labels": req.labels,
            "version": req.version,
            "messages": req.messages,
            "schema_name": req.schema_name,
            "schema": req.schema,
            "params": req.params,
            "sample": s,
            "seq": seq,
        }

    def settle_cached(self, group: _Group, s: int, key: str) -> None:
        resp = self.store.response(key)
        entry = None
        if resp and resp["status"] == "ok":
            decisions = self.rubric.decode(group.request, resp["parsed"])
            entry = (key, decisions, resp["logprob"] or {})
        self.stats.cached += 1
        self.finish_sample(group, s, entry, count=True)

    def finish_sample(self, group: _Group, s: int, entry, *, count: bool = True) -> None:
        group.results[s] = entry
        group.left -= 1
        if count:
            self.stats.done += 1
        if group.left == 0:
            rows = aggregate(group.results)
            for row in rows:
                row.update(item_id=group.request.item_id, rater=self.rater, seq=group.seq)
            self.store.add_annotations(self.run_id, rows)
        self._report()

    # sending --------------------------------------------------------------------------------
    async def run_interactive(
        self,
        items: Any,
        limit: int | None,
        conn: Connection,
        plan: Iterable[tuple[_Group, int, str]] | None = None,
    ) -> str | None:
        """Send every request still to send through `conn.concurrency` workers.

        Returns "max_cost" when the budget stopped the run, else None.
        """
        from edukit.annotate.ratelimit import RateLimiter

        concurrency = conn.concurrency
        client = conn.client(self.model)
        limiter = RateLimiter(conn.rpm, conn.tpm)
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * concurrency)
        self._total_hint(items, limit)
        self._start_bar()

        async def worker() -> None:
            while True:
                job = await queue.get()
                if job is None:
                    return
                if self.stop:
                    self.left_over = True  # budget spent: leave it for the next run
                    continue
                await self.send(client, limiter, *job)

        jobs = plan if plan is not None else self.plan(items, limit)

        async def produce() -> None:
            for job in jobs:
                if self.stop:
                    self.left_over = True
                    break
                await queue.put(job)
            for _ in range(concurrency):
                await queue.put(None)

        tasks = [asyncio.create_task(produce())]
        tasks += [asyncio.create_task(worker()) for _ in range(concurrency)]
        try:
            # a failing producer or worker is an unexpected error: stop the rest and raise it
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await client.close()
            self._stop_bar()
        return "max_cost" if self.left_over else None

    async def send(self, client, limiter, group: _Group, s: int, key: str) -> None:
        """One request, unless an identical one is in flight or already answered."""
        # Two items with the same prompt share a key: the second waits for the first's answer.
        while key in self._inflight:
            await self._inflight[key].wait()
        if self.store.status(key) in FINISHED:
            self.settle_cached(group, s, key)
            return
        self._inflight[key] = done = asyncio.Event()
        try:
            await self._send(client, limiter, group, s, key)
        finally:
            del self._inflight[key]
            done.set()

    async def _send(self, client, limiter, group: _Group, s: int, key: str) -> None:
        """One request with its re-asks; its response is committed before returning."""
        import openai

        from edukit.annotate.cost import estimate_tokens

        req = group.request
        messages = list(req.messages)
        if limiter.tpm:
            await limiter.acquire(estimate_tokens(messages) + output_tokens_estimate(req.schema))
        elif limiter.rpm:
            await limiter.acquire(0)
        tin = tout = attempts = 0
        errors: list[str] = []
        latency = 0.0
        completion = None
        for _ in range(self.max_reasks + 1):
            try:
                completion = await client.complete(
                    messages, req.schema_name, req.schema, req.params
                )
            except (
                openai.AuthenticationError,
                openai.PermissionDeniedError,
                openai.NotFoundError,
            ) as exc:
                # Every request would fail the same way: stop the run (what is done is saved).
                what = {
                    401: "refused the API key",
                    403: "denied access",
                    404: "has no such model or path (check --model and --base-url)",
                }
                raise AnnotationError(
                    f"the endpoint {what.get(exc.status_code, 'refused the request')} "
                    f"({exc.status_code}): {client.scrub(_server_message(exc))}",
                    path=client.endpoint,
                ) from None
            except openai.APIConnectionError as exc:
                # after the client's own retries: an endpoint that never answered, or stopped
                # answering, would fail every request the same way after long backoffs
                self._unreachable += 1
                if not self._reached or self._unreachable >= self.max_unreachable:
                    raise AnnotationError(
                        f"cannot reach the endpoint ({client.scrub(str(exc))}); check --base-url "
                        "and that the server is running. Everything finished is saved; re-run "
                        "the same command to resume",
                        path=client.endpoint,
                    ) from None
                errors.append(client.scrub(f"{type(exc).__name__}: {exc}"))
                self._record_api_error(
                    group, s, key, completion, tin, tout, latency, attempts, errors
                )
                return
            except openai.APIError as exc:
                self._reached = True  # the server answered, with an error status
                self._unreachable = 0
                errors.append(client.scrub(f"{type(exc).__name__}: {exc}"))
                self._record_api_error(
                    group, s, key, completion, tin, tout, latency, attempts, errors
                )
                return
            self._reached = True
            self._unreachable = 0
            attempts += 1
            self.stats.sent += 1
            tin += completion.input_tokens
            tout += completion.output_tokens
            latency += completion.latency
            self._add_usage(completion.input_tokens, completion.output_tokens)
            try:
                obj = self._parse(req, completion.text)
                decisions = self.rubric.decode(req, obj)
            except ValueError as exc:  # InvalidOutput, or JSON that does not parse
                errors.append(client.scrub(str(exc)))
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text},
                    {"role": "user", "content": REASK.format(error=exc)},
                ]
                continue
            conf = label_confidence(completion.text, decisions, completion.logprobs)
            self._finish(
                group,
                s,
                key,
                (key, decisions, conf),
                {
                    "status": "ok",
                    "raw": completion.text,
                    "parsed": obj,
                    "mode": completion.mode,
                    "input_tokens": tin,
                    "output_tokens": tout,
                    "latency": latency,
                    "attempts": attempts,
                    "errors": errors,
                    "logprob": conf or None,
                },
            )
            return
        self.stats.invalid += 1
        self._finish(
            group,
            s,
            key,
            None,
            {
                "status": "invalid",
                "raw": completion.text if completion else None,
                "mode": completion.mode if completion else None,
                "input_tokens": tin,
                "output_tokens": tout,
                "latency": latency,
                "attempts": attempts,
                "errors": errors,
            },
        )

    def _record_api_error(
        self, group: _Group, s: int, key: str, completion, tin, tout, latency, attempts, errors
    ) -> None:
        """An attempt that failed at the HTTP level: retried by the next run, usage kept."""
        self.stats.sent += 1
        self.stats.errors += 1
        self._finish(
            group,
            s,
            key,
            None,
            {
                "status": "api_error",
                "raw": completion.text if completion else None,
                "input_tokens": tin,
                "output_tokens": tout,
                "latency": latency,
                "attempts": attempts + 1,
                "errors": errors,
            },
        )

    def _finish(self, group: _Group, s: int, key: str, entry, response: dict[str, Any]) -> None:
        # the response and the annotation rows it completes are committed together
        with self.store.deferred():
            self.store.record_response(key, response)
            self.finish_sample(group, s, entry)

    def _parse(self, req: PromptRequest, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            return self.rubric.parse_text(req, text)  # tolerant; raises InvalidOutput

    def _add_usage(self, tin: int, tout: int) -> None:
        self.stats.input_tokens += tin
        self.stats.output_tokens += tout
        self._update_cost()

    def _update_cost(self) -> None:
        self.stats.cost = _cost(
            self.prices,
            self.model,
            self.stats.input_tokens,
            self.stats.output_tokens,
            self.batch_pricing,
        )
        cost = self.stats.cost
        if self.max_cost is not None and cost is not None and cost >= self.max_cost:
            self.stop = True

    # progress -------------------------------------------------------------------------------
    def _total_hint(self, items: Any, limit: int | None) -> None:
        try:
            n = len(items)
        except TypeError:
            return
        n = min(n, limit) if limit is not None else n
        per_item = 1
        if getattr(self.rubric, "task", None) == "binary":
            per_item = len(self.rubric.labels)
        self.stats.total = n * per_item * self.samples

    def _start_bar(self) -> None:
        if self.progress is not None or self.quiet:
            return
        self._bar = RunProgress(self.stats.total)
        self._bar.start()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.stats.snapshot())
        elif self._bar is not None:
            self._bar.update(self.stats.snapshot())

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class RunProgress:
    """A rich progress bar on stderr: done/total, requests/s, tokens, cost, errors, ETA."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("annotating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),  # before the figures, so a narrow screen cuts those instead
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("annotate", total=total, info="")
        self._last = 0.0

    def start(self) -> None:
        self._progress.start()

    def update(self, snap: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and snap["done"] != snap["total"]:
            return  # redraw at most ten times a second
        self._last = now
        cost = "?" if snap["cost"] is None else f"${snap['cost']:.4f}"
        info = (
            f"{snap['rate']:.1f} req/s {snap['input_tokens']}+{snap['output_tokens']} tok "
            f"{cost} {snap['errors']} errors {snap['invalid']} invalid"
        )
        self._progress.update(self._task, completed=snap["done"], total=snap["total"], info=info)

    def stop(self) -> None:
        self._progress.stop()
