"""The scheduler: a bounded queue of jobs, `concurrency` workers, rate limits, the budget,
leases and Ctrl-C.

One producer walks the recorder's plan while a fixed pool of workers sends the requests, so
memory does not grow with the corpus. Two jobs with the same key (identical prompts) are sent
once: the second waits for the first's answer; a key another process holds the lease of is
waited for the same way. Before a request is sent its estimated cost is reserved against
--max-cost, so in-flight requests cannot overshoot the budget together.

Ctrl-C (SIGINT) stops sending, lets the answers in flight land for `GRACE` seconds, then stops;
a second Ctrl-C stops at once. The run ends with `stopped="interrupted"`.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterable
from typing import Any

from edukit.annotate.store import FINISHED

GRACE = 5.0  # seconds the answers in flight may take to land after Ctrl-C
BUSY_POLL = 0.25  # seconds between looks at a request another process is sending


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


class Scheduler:
    """Sends a plan's jobs through an `Exchange` and hands each outcome to the `Recorder`."""

    def __init__(self, recorder, exchange, budget, reporter) -> None:
        self.recorder = recorder
        self.exchange = exchange
        self.budget = budget
        self.reporter = reporter
        self._inflight: dict[str, asyncio.Event] = {}
        self.left_over = False  # work skipped because the budget was spent
        self.interrupted = False
        self._workers: list[asyncio.Task] = []
        # requests another process holds the lease of: looked at again once the plan is done,
        # so a second process works on what nobody has started instead of trailing the first
        self._parked: list[tuple[Any, int, str]] = []
        self._grace: asyncio.TimerHandle | None = None
        self.ladder = None  # what the run learned about the endpoint (edukit.annotate.ladder)
        self._filled: set[str] = set()  # sample keys answered by another sample's request (n)
        self.router = None  # the replicas of the last run (edukit.annotate.replicas.Router)

    def stopped(self) -> bool:
        """True once nothing more may be sent (the budget is spent, or Ctrl-C)."""
        return self.budget.exhausted or self.interrupted

    # Ctrl-C ---------------------------------------------------------------------------------
    def _on_sigint(self) -> None:
        loop = asyncio.get_running_loop()
        if self.interrupted:  # the second Ctrl-C: stop at once
            self._cancel_workers()
            return
        self.interrupted = True
        self.reporter.stop()
        self._grace = loop.call_later(GRACE, self._cancel_workers)

    def _cancel_workers(self) -> None:
        for task in self._workers:
            task.cancel()

    def _catch_sigint(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False  # only the main thread receives signals (a notebook's run thread)
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._on_sigint)
        except (NotImplementedError, RuntimeError):  # Windows event loops
            return False
        return True

    # the run --------------------------------------------------------------------------------
    async def run(self, jobs: Iterable[tuple[Any, int, str]], conn) -> str | None:
        """Send every job through `conn.concurrency` workers.

        Returns "interrupted" after Ctrl-C, "max_cost" when the budget stopped the run, else
        None. Jobs left when the budget is spent are still walked (their request rows are
        recorded, so the run knows what is left), but not sent.
        """
        from edukit.annotate.ratelimit import RateLimiter

        concurrency = conn.workers
        client = self.router = conn.pool(self.recorder.model, self.ladder)
        limiter = RateLimiter(conn.rpm, conn.tpm)
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * concurrency)
        ex = self.exchange
        self.recorder.lease_ttl = (ex.timeout + 10) * (ex.max_retries + 1) * (ex.max_reasks + 1)
        self.reporter.start()
        sigint = self._catch_sigint()

        async def worker() -> None:
            while True:
                job = await queue.get()
                if job is None:
                    break
                if self.stopped():
                    self.left_over = True  # leave it for the next run
                    continue
                await self.send(client, limiter, *job)
            while self._parked and not self.stopped():
                job = self._parked.pop(0)
                if not await self.send(client, limiter, *job, wait=True):
                    self._parked.append(job)
                    await asyncio.sleep(BUSY_POLL)  # still being sent elsewhere
            if self._parked:
                self.left_over = True

        async def produce() -> None:
            for job in jobs:
                if self.interrupted:
                    break
                if self.stopped():
                    self.left_over = True  # keep walking: request rows say what is left
                    continue
                await queue.put(job)
                if self.recorder.failed is not None:
                    raise self.recorder.failed
            for _ in range(concurrency):
                await queue.put(None)

        tasks = [asyncio.create_task(produce())]
        tasks += [asyncio.create_task(worker()) for _ in range(concurrency)]
        self._workers = tasks  # the producer too: after the grace period all of them stop
        try:
            # a failing producer or worker is an unexpected error: stop the rest and raise it
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._grace is not None:
                self._grace.cancel()
            if sigint:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            self.recorder.flush()
            self.recorder.release_all()
            await client.close()
            self.reporter.stop()
        if self.recorder.failed is not None:
            raise self.recorder.failed
        if self.interrupted:
            return "interrupted"
        return "max_cost" if self.left_over else None

    async def send(self, client, limiter, group, s: int, key: str, wait: bool = False) -> bool:
        """One request, unless an identical one is in flight or already answered. False when
        another process holds its lease (the job is parked for later)."""
        # Two items with the same prompt share a key: the second waits for the first's answer.
        while key in self._inflight:
            await self._inflight[key].wait()
        self._inflight[key] = done = asyncio.Event()
        # the other samples one request with `n` can answer are reserved before any await, so
        # no other worker starts them meanwhile
        siblings = self._siblings(client, group, s)
        try:
            state = await self.recorder.claim(key)
            if state == "busy":
                if not wait:
                    self._parked.append((group, s, key))
                return False
            if state == "finished":
                self.recorder.settle_cached(group, s, key)
                if key in self._filled:  # answered by the n-sample request: sent, not cached
                    self._filled.discard(key)
                    self.recorder.stats.cached -= 1
                return True
            await self._send(client, limiter, group, s, key, siblings)
            return True
        finally:
            del self._inflight[key]
            done.set()
            for _, other in siblings:
                self._inflight.pop(other).set()

    def _siblings(self, client, group, s: int) -> list[tuple[int, str]]:
        """The other samples of this request one request with `n` can answer (sample 0 only)."""

        samples = self.recorder.samples
        if samples < 2 or s != 0 or not client.ladder.n_ok:
            return []
        out = []
        for other in range(1, samples):
            okey = self.recorder.key(group.request, other)
            if okey in self._inflight or self.recorder.store.status(okey) in FINISHED:
                continue
            self._inflight[okey] = asyncio.Event()
            out.append((other, okey))
        return out

    async def _send(self, client, limiter, group, s: int, key: str, siblings=()) -> None:
        """Reserve the budget, wait for the rate limits, ask, and hand over the outcome."""
        first = await self.budget.turn()  # under --max-cost the first request goes alone
        try:
            await self._send_one(client, limiter, group, s, key, siblings)
        finally:
            if first:
                self.budget.done()

    async def _send_one(self, client, limiter, group, s: int, key: str, siblings=()) -> None:
        from edukit.annotate.cost import estimate_tokens, output_tokens_estimate

        req = group.request
        tin = tout = 0
        if self.budget.max_cost is not None or limiter.tpm:  # estimates cost CPU: only if needed
            tin = estimate_tokens(list(req.messages)) + estimate_tokens(req.schema)
            tout = output_tokens_estimate(req.schema)
        reserved = self.budget.reserve(tin, tout)
        if reserved is None or self.interrupted:
            self.left_over = self.left_over or reserved is None
            self.recorder.release(key)
            if reserved is not None:
                self.budget.release(reserved)
            return
        try:
            if limiter.tpm:
                await limiter.acquire(tin + tout)
            elif limiter.rpm:
                await limiter.acquire(0)
            if self.interrupted:  # Ctrl-C while waiting for the rate limits: not sent
                self.recorder.release(key)
                return
            outcome = await self.exchange.ask(client, req, key, n=1 + len(siblings))
            resp = outcome.response or {}
            self.budget.calibrate(
                tin, tout, resp.get("input_tokens") or 0, resp.get("output_tokens") or 0
            )
        finally:
            self.budget.release(reserved)
        # the extra samples' answers are stored first (same commit); their own jobs settle them
        for index, _decisions, response, _conf in outcome.extra:
            if index <= len(siblings):
                other = siblings[index - 1][1]
                self.recorder.store_extra(other, response)
                self._filled.add(other)
        self.recorder.finish(group, s, key, outcome.entry, outcome.response, outcome.attempts)
