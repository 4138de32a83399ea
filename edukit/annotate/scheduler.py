"""The scheduler: a bounded queue of jobs, `concurrency` workers, rate limits and the budget.

One producer walks the recorder's plan while a fixed pool of workers sends the requests, so
memory does not grow with the corpus. Two jobs with the same key (identical prompts) are sent
once: the second waits for the first's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from edukit.annotate.store import FINISHED


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
        self.ladder = None  # what the run learned about the endpoint (edukit.annotate.ladder)
        self._filled: set[str] = set()  # sample keys answered by another sample's request (n)

    def stopped(self) -> bool:
        """True once nothing more may be sent (the budget is spent)."""
        return self.budget.exhausted

    async def run(self, jobs: Iterable[tuple[Any, int, str]], conn) -> str | None:
        """Send every job through `conn.concurrency` workers.

        Returns "max_cost" when the budget stopped the run, else None.
        """
        from edukit.annotate.ratelimit import RateLimiter

        concurrency = conn.concurrency
        client = conn.client(self.recorder.model, self.ladder)
        limiter = RateLimiter(conn.rpm, conn.tpm)
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * concurrency)
        self.reporter.start()

        async def worker() -> None:
            while True:
                job = await queue.get()
                if job is None:
                    return
                if self.stopped():
                    self.left_over = True  # budget spent: leave it for the next run
                    continue
                await self.send(client, limiter, *job)

        async def produce() -> None:
            for job in jobs:
                if self.stopped():
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
            self.reporter.stop()
        return "max_cost" if self.left_over else None

    async def send(self, client, limiter, group, s: int, key: str) -> None:
        """One request, unless an identical one is in flight or already answered."""
        # Two items with the same prompt share a key: the second waits for the first's answer.
        while key in self._inflight:
            await self._inflight[key].wait()
        if self.recorder.store.status(key) in FINISHED:
            self.recorder.settle_cached(group, s, key)
            if key in self._filled:  # answered by the n-sample request: sent, not cached
                self._filled.discard(key)
                self.recorder.stats.cached -= 1
            return
        self._inflight[key] = done = asyncio.Event()
        siblings = self._siblings(client, group, s)
        try:
            await self._send(client, limiter, group, s, key, siblings)
        finally:
            del self._inflight[key]
            done.set()
            for _, other in siblings:
                self._inflight.pop(other).set()

    def _siblings(self, client, group, s: int) -> list[tuple[int, str]]:
        """The other samples of this request one request with `n` can answer (sample 0 only)."""
        from edukit.annotate.identity import request_key

        samples = self.recorder.samples
        if samples < 2 or s != 0 or not client.ladder.n_ok:
            return []
        out = []
        for other in range(1, samples):
            okey = request_key(self.recorder.model, group.request, other)
            if okey in self._inflight or self.recorder.store.status(okey) in FINISHED:
                continue
            self._inflight[okey] = asyncio.Event()
            out.append((other, okey))
        return out

    async def _send(self, client, limiter, group, s: int, key: str, siblings=()) -> None:
        """Wait for the rate limits, ask, and commit the outcome before returning."""
        from edukit.annotate.budget import output_tokens_estimate
        from edukit.annotate.cost import estimate_tokens

        req = group.request
        if limiter.tpm:
            tokens = estimate_tokens(list(req.messages)) + output_tokens_estimate(req.schema)
            await limiter.acquire(tokens)
        elif limiter.rpm:
            await limiter.acquire(0)
        outcome = await self.exchange.ask(client, req, key, n=1 + len(siblings))
        with self.recorder.store.deferred():
            # the extra samples' answers are stored first; their own jobs settle them
            for index, _decisions, response, _conf in outcome.extra:
                if index <= len(siblings):
                    other = siblings[index - 1][1]
                    self.recorder.store.record_response(other, response)
                    self._filled.add(other)
            self.recorder.finish(group, s, key, outcome.entry, outcome.response)
