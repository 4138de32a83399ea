"""The run-store side of a run: request rows, cached answers, leases, responses, annotations.

The recorder turns items into the (group, sample, key) jobs still to send and settles the
requests already answered in the store. Writes made in one turn of the event loop (leases
claimed, responses that landed together, their HTTP calls and the annotation rows they complete)
go to the store in one transaction at the end of that turn (group commit): nothing waits for a
timer, a lone response is committed at once, and a busy run does not pay one commit per answer.
The progress callback hears of a response only once it is committed.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from edukit.annotate.aggregate import aggregate
from edukit.annotate.identity import limited, request_key, request_row
from edukit.annotate.store import FINISHED, RunStore
from edukit.prompt import PromptRequest

# The key under which a redacted item carries its counts per entity type (edukit.redact).
REDACTION_KEY = "_edukit_redaction"


def is_empty(value: Any) -> bool:
    """No text to annotate: missing, NaN, or only whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from a table's empty cell
        return True
    return isinstance(value, str) and not value.strip()


class Group:
    """The K samples of one request of one item, until all are answered."""

    __slots__ = ("left", "request", "results", "seq")

    def __init__(self, request: PromptRequest, seq: int, samples: int) -> None:
        self.request = request
        self.seq = seq
        self.left = samples
        self.results: list[Any] = [None] * samples


class Recorder:
    """Writes one run's requests, responses and annotation rows to the run store."""

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        rubric: Any,
        model: str,
        rater: str,
        samples: int,
        stats,
        report: Callable[[], None] = lambda: None,
        *,
        endpoint: str | None = None,
        reuse: tuple[str, str, str] | None = None,
        redaction: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.rubric = rubric
        self.model = model
        self.rater = rater
        self.samples = samples
        self.stats = stats
        self.report = report
        self.redaction = redaction  # {"name", "hash"} of the redaction profile, or None
        self.endpoint = endpoint
        self.reuse = reuse  # (run id, model, endpoint) whose finished answers may be taken
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"  # this call's leases
        self.lease_ttl = 3600.0  # set by the scheduler from the deadline and retries
        self.walked = 0  # items the plan has gone through
        self.failed: BaseException | None = None  # a write that failed (disk full, ...)
        self._claims: list[tuple[str, asyncio.Future]] = []
        self._finished: list[tuple] = []
        self._releases: list[str] = []
        self._extras: list[tuple[str, dict[str, Any]]] = []  # answers of other samples (n)
        self._flushing = False
        self.skipped_empty = 0  # items with no text: nothing to annotate, never sent

    def total(self, items: Any, limit: int | None) -> int | None:
        """Requests the items will make (None for an iterable without a length)."""
        try:
            n = len(items)
        except TypeError:
            return None
        n = min(n, limit) if limit is not None else n
        per_item = 1
        if getattr(self.rubric, "task", None) == "binary":
            per_item = len(self.rubric.labels)
        return n * per_item * self.samples

    def plan(
        self, items: Any, limit: int | None, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[tuple[Group, int, str]]:
        """Every (group, sample, key) still to send; cached answers are settled on the way."""
        text_field = getattr(self.rubric, "text_field", None)
        for seq, item in enumerate(limited(items, limit)):
            if stop():
                return
            counts = item.pop(REDACTION_KEY, None) if self.redaction else None
            self.walked = seq + 1
            if text_field is not None and is_empty(item.get(text_field)):
                self.skipped_empty += 1
                continue
            for req in self.rubric.requests(item):
                group = Group(req, seq, self.samples)
                for s in range(self.samples):
                    key = self.key(req, s)
                    self.store.add_request(self.run_id, request_row(req, key, s, seq))
                    if self.redaction:
                        red = self.redaction
                        self.store.add_redaction(
                            self.run_id, key, red["name"], red["hash"], counts or {}
                        )
                    if self.store.status(key) in FINISHED or self._reused(req, s, key):
                        self.settle_cached(group, s, key)
                    else:
                        yield group, s, key

    @property
    def _redaction_hash(self) -> str | None:
        return self.redaction["hash"] if self.redaction else None

    def key(self, req: PromptRequest, s: int) -> str:
        """The request key of sample `s` of `req` in this run (endpoint and redaction included)."""
        return request_key(self.model, req, s, self.endpoint, self._redaction_hash)

    def _reused(self, req: PromptRequest, s: int, key: str) -> bool:
        """Take the answer another run got from another endpoint (--reuse-from), if finished."""
        if self.reuse is None:
            return False
        run, model, endpoint = self.reuse
        other = request_key(model, req, s, endpoint, self._redaction_hash)
        return self.store.copy_response(other, key, source=f"reuse:{run}")

    def settle_cached(self, group: Group, s: int, key: str) -> None:
        """Use the stored answer of a request instead of sending it."""
        resp = self.store.response(key)
        entry = None
        if resp and resp["status"] == "ok":
            decisions = self.rubric.decode(group.request, resp["parsed"])
            entry = (key, decisions, resp["logprob"] or {})
        self.stats.cached += 1
        self.finish_sample(group, s, entry)

    def finish_sample(self, group: Group, s: int, entry) -> None:
        """One sample is settled from the store; the group's annotation rows are written when
        all are."""
        if group.left == 1:  # the last sample: annotation rows are written
            with self.store.write():
                self._settle(group, s, entry)
        else:
            self._settle(group, s, entry)
        self.stats.done += 1
        self.report()

    # group commit ---------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_soon(self.flush)

    async def claim(self, key: str) -> str:
        """The lease to send `key`, committed before this returns: "mine", "finished" or
        "busy" (another process is sending it)."""
        if self.failed is not None:
            raise self.failed
        fut = asyncio.get_running_loop().create_future()
        self._claims.append((key, fut))
        self._schedule()
        return await fut

    def release(self, key: str) -> None:
        """Give up the lease of `key` without an answer (the budget or an interruption)."""
        self._releases.append(key)
        self._schedule()

    def store_extra(self, key: str, response: dict[str, Any]) -> None:
        """Store the answer another sample's request brought (n); committed with it."""
        self._extras.append((key, response))

    def finish(
        self, group: Group, s: int, key: str, entry, response: dict[str, Any], attempts=()
    ) -> None:
        """Record a sent request's response, its HTTP calls and the annotation rows it
        completes; committed together at the end of this turn of the event loop."""
        if self.failed is not None:
            raise self.failed
        self._finished.append((group, s, key, entry, response, attempts))
        self._schedule()

    def flush(self) -> None:
        """Commit what this turn produced; then answer the claims and report progress."""
        self._flushing = False
        claims, self._claims = self._claims, []
        finished, self._finished = self._finished, []
        releases, self._releases = self._releases, []
        extras, self._extras = self._extras, []
        if not (claims or finished or releases or extras):
            return
        try:
            with self.store.write():
                for key, response in extras:
                    self.store.record_response(key, response)
                for group, s, key, entry, response, attempts in finished:
                    self.store.add_attempts(self.run_id, key, attempts)
                    self.store.record_response(key, response)
                    self.store.release(key, self.owner)
                    self._settle(group, s, entry)
                for key in releases:
                    self.store.release(key, self.owner)
                results = [self.store.claim(k, self.owner, self.lease_ttl) for k, _ in claims]
        except Exception as exc:  # disk full, read-only file, lost directory
            self.failed = exc
            for _, fut in claims:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(claims, results, strict=True):
            if not fut.done():
                fut.set_result(result)
        for _ in finished:  # progress hears of each response once it is committed
            self.stats.done += 1
            try:
                self.report()
            except Exception as exc:  # the caller's callback: raised from the run, not lost
                self.failed = self.failed or exc

    def release_all(self) -> None:
        """Commit what is pending and give up every lease this call holds."""
        try:
            with self.store.write():
                for group, s, key, entry, response, attempts in self._finished:
                    self.store.add_attempts(self.run_id, key, attempts)
                    self.store.record_response(key, response)
                    self._settle(group, s, entry)
                    self.stats.done += 1
                self._finished = []
                self.store.release_all(self.owner)
        except Exception as exc:
            self.failed = self.failed or exc

    def _settle(self, group: Group, s: int, entry) -> None:
        group.results[s] = entry
        group.left -= 1
        if group.left == 0:
            rows = aggregate(group.results)
            for row in rows:
                row.update(item_id=group.request.item_id, rater=self.rater, seq=group.seq)
            self.store.add_annotations(self.run_id, rows)
