"""How many requests to keep in flight: a fixed number, or `auto` (found per replica, AIMD).

`--concurrency auto` (the default for every endpoint but OpenAI's own, see `default_concurrency`)
starts each replica at `START` calls in flight and looks at its answers one window at a time (a
window is as many answers as the level, at least `MIN_WINDOW`):

- slow start: the level doubles while the window's mean latency stays within `SLOW_START_BOUND`
  of the best window's, so a server with room for hundreds of requests is filled in a few
  round trips;
- then additive increase: `max(1, level / 16)` more per window while throughput does not fall
  and latency stays within `LATENCY_BOUND` of its best (a server past its capacity queues
  requests: latency grows, throughput does not);
- multiplicative decrease: x`LATENCY_CUT` when latency passes the bound, x`OVERLOAD_CUT` on a 429,
  a 503 or a timeout (at most once per round trip, so one burst of errors is one cut).

Hosted APIs keep their own limits (--rpm/--tpm); a fixed `--concurrency N` (1 to `FIXED_MAX`) is
kept as it is. Each change of level is kept (`history`) and stored with the run.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

START = 4  # calls in flight per replica at first
MIN_WINDOW = 8  # answers at least per window
AUTO_MAX = 1000  # per replica: the HTTP client's connection pool (1000 connections)
MAX_WORKERS = 4000  # requests in flight in all, whatever the replicas
FIXED_MAX = 1000  # the upper bound of a fixed --concurrency N
SLOW_START_BOUND = 1.25
LATENCY_BOUND = 2.0
LATENCY_CUT = 0.8
OVERLOAD_CUT = 0.5
HISTORY_MAX = 500  # changes kept per replica (the first ones and the last ones)
HOSTED = ("openai.com", "openai.azure.com")


def is_hosted(base_url: str | None) -> bool:
    """OpenAI's API (no --base-url, api.openai.com, Azure OpenAI): rate limits, not capacity."""
    if base_url is None:
        return True
    host = (urlsplit(base_url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in HOSTED)


def default_concurrency(base_urls: list[str | None]) -> int | str:
    """`auto` for local and self-hosted servers (vLLM, SGLang, llama.cpp, gateways), 8 for
    OpenAI's API, whose limits are per minute (--rpm/--tpm), not a capacity to find."""
    return 8 if any(is_hosted(u) for u in base_urls or [None]) else "auto"


def parse_concurrency(value: Any) -> int | str:
    """`auto` or a whole number from 1 to FIXED_MAX; anything else is one error line."""
    from edukit.errors import AnnotationError

    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        n = int(value)
        if isinstance(value, float) and value != n:
            raise ValueError
    except (TypeError, ValueError):
        n = None
    if n is None or not 1 <= n <= FIXED_MAX:
        raise AnnotationError(
            f"--concurrency must be auto or a whole number from 1 to {FIXED_MAX} (got {value!r})"
        )
    return n


class Aimd:
    """The level of one replica: `limit` calls in flight; told of every answer and failure."""

    def __init__(self, start: int = START, ceiling: int = AUTO_MAX) -> None:
        self.limit = start
        self.ceiling = ceiling
        self.best: float | None = None  # the best window's mean latency
        self.last_throughput: float | None = None
        self.slow_start = True
        self.began = time.monotonic()
        self.history: list[tuple[float, int, str]] = [(0.0, start, "start")]
        self.changes = 0
        self.peak = start
        self._last_cut = -1e9
        self._reset()

    def _reset(self) -> None:
        self._n = 0
        self._latency = 0.0
        self._since = time.monotonic()

    def _set(self, level: float, reason: str) -> int:
        old = self.limit
        self.limit = max(1, min(self.ceiling, int(level)))
        if self.limit != old:
            self.changes += 1
            self.peak = max(self.peak, self.limit)
            entry = (round(time.monotonic() - self.began, 3), self.limit, reason)
            if len(self.history) >= HISTORY_MAX:
                del self.history[HISTORY_MAX // 2]  # keep how it began and how it ended
            self.history.append(entry)
        return max(0, self.limit - old)

    def on_answer(self, latency: float) -> int:
        """One answered call; the number of new slots when the level grew."""
        self._n += 1
        self._latency += latency
        if self._n < max(self.limit, MIN_WINDOW):
            return 0
        now = time.monotonic()
        mean = self._latency / self._n
        throughput = self._n / max(now - self._since, 1e-9)
        self._reset()
        self.best = mean if self.best is None else min(self.best, mean)
        previous, self.last_throughput = self.last_throughput, throughput
        if mean > LATENCY_BOUND * self.best:
            self.slow_start = False
            self._last_cut = now
            return self._set(self.limit * LATENCY_CUT, "latency")
        if self.slow_start:
            if mean > SLOW_START_BOUND * self.best:
                self.slow_start = False  # latency starts to rise: grow slowly from here
                return 0
            return self._set(self.limit * 2, "slow start")
        if previous is not None and throughput < 0.9 * previous and mean > self.best * 1.1:
            return 0  # throughput fell while latency rose: hold
        return self._set(self.limit + max(1, self.limit // 16), "increase")

    def on_overload(self) -> None:
        """A 429, 503 or timeout: cut the level (once per round trip)."""
        now = time.monotonic()
        if now - self._last_cut < (self.best or 1.0):
            return
        self._last_cut = now
        self.slow_start = False
        self._set(self.limit * OVERLOAD_CUT, "overload")
        self._reset()

    def on_other(self) -> None:
        """Another failure (a 4xx, a refused connection): not a capacity signal."""

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "auto",
            "level": self.limit,
            "peak": self.peak,
            "changes": self.changes,
            "history": list(self.history),
        }
