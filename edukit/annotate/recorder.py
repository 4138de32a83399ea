"""The run-store side of a run: request rows, cached answers, responses and annotation rows.

The recorder turns items into the (group, sample, key) jobs still to send, settles the requests
already answered in the store, and commits each finished response together with the annotation
rows it completes.
"""

from __future__ import annotations

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
            if text_field is not None and is_empty(item.get(text_field)):
                self.skipped_empty += 1
                continue
            for req in self.rubric.requests(item):
                group = Group(req, seq, self.samples)
                for s in range(self.samples):
                    key = request_key(self.model, req, s, self._redaction_hash)
                    self.store.add_request(self.run_id, request_row(req, key, s, seq))
                    if self.redaction:
                        red = self.redaction
                        self.store.add_redaction(
                            self.run_id, key, red["name"], red["hash"], counts or {}
                        )
                    if self.store.status(key) in FINISHED:
                        self.settle_cached(group, s, key)
                    else:
                        yield group, s, key

    @property
    def _redaction_hash(self) -> str | None:
        return self.redaction["hash"] if self.redaction else None

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
        """One sample is settled; the group's annotation rows are written when all are."""
        group.results[s] = entry
        group.left -= 1
        self.stats.done += 1
        if group.left == 0:
            rows = aggregate(group.results)
            for row in rows:
                row.update(item_id=group.request.item_id, rater=self.rater, seq=group.seq)
            self.store.add_annotations(self.run_id, rows)
        self.report()

    def finish(self, group: Group, s: int, key: str, entry, response: dict[str, Any]) -> None:
        """Record a sent request's response and the annotation rows it completes, in one commit."""
        with self.store.deferred():
            self.store.record_response(key, response)
            self.finish_sample(group, s, entry)
