"""Replicas of one model: several endpoints serving the same model with the same weights.

`--base-url` given more than once, or `--endpoints FILE`, makes a replica set. Every HTTP call
goes to the live replica with the fewest outstanding calls (relative to its weight). A replica
that refuses connections, or answers 5xx `DRAIN_AFTER` times in a row, is drained: nothing is
sent to it for a cool-down that doubles each time (up to `DRAIN_MAX` seconds), then it is tried
again. Its calls in flight fail and are retried at once on another replica (the request keeps its
lease in the run store, so nothing is lost or sent twice).

The request identity of a replica set names the model and the set (`replicas:<model>`), not
each URL: answers from any replica are interchangeable in the run store, adding or losing a
replica resumes the same run, and different models stay distinct as before.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edukit.errors import AnnotationError, InputError
from edukit.paths import public_url

REPLICA_PREFIX = "replicas:"
DRAIN_AFTER = 3  # 5xx answers in a row that drain a replica (a refused connection: at once)
DRAIN_FIRST = 1.0  # seconds of the first cool-down; doubled per drain in a row
DRAIN_MAX = 30.0
MAX_LINES = 1000  # an endpoints file longer than this is not a list of replicas
# the replica that served (or failed) the current task's last call; read by the exchange to
# record it with the call
REPLICA: ContextVar[str | None] = ContextVar("edukit_replica", default=None)


@dataclass(frozen=True)
class Replica:
    """One endpoint of a replica set: its URL, the variable holding its key, its weight."""

    url: str
    api_key_env: str | None = None  # None: the run's --api-key-env
    weight: float = 1.0


def replica_identity(model: str) -> str:
    """The endpoint identity of a replica set of `model` (in request keys and the run id)."""
    return f"{REPLICA_PREFIX}{model}"


def is_replica_identity(endpoint: str | None) -> bool:
    return bool(endpoint) and endpoint.startswith(REPLICA_PREFIX)


def read_endpoints(path: str | Path) -> list[Replica]:
    """Replicas from a file: one `URL [KEY_VARIABLE] [WEIGHT]` per line; `#` starts a comment.

    Every line is checked (URL, variable name, weight > 0); a bad one is one error naming the
    file and line. A URL listed twice is an error too (it would get twice the traffic).
    """
    from edukit.annotate.secrets import valid_env_name
    from edukit.paths import check_url

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such endpoints file", path=p) from None
    except IsADirectoryError:
        raise InputError("--endpoints names a directory, not a file", path=p) from None
    except UnicodeDecodeError:
        raise InputError("the endpoints file is not UTF-8 text", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read the endpoints file ({exc.strerror})", path=p) from None
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise InputError(f"more than {MAX_LINES} lines: not a list of replicas", path=p)
    out: list[Replica] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{p}, line {number}"
        if len(fields) > 3:
            raise InputError(
                f"{where}: expected `URL [KEY_VARIABLE] [WEIGHT]`, got {len(fields)} fields"
            )
        url, env, weight = fields[0], None, 1.0
        try:
            check_url(url, option=f"{where}:")
        except AnnotationError as exc:
            raise InputError(exc.message) from None
        rest = fields[1:]
        if rest and _number(rest[-1]) is not None:
            weight = _number(rest.pop())
            if not (math.isfinite(weight) and 0 < weight <= 1000):
                raise InputError(
                    f"{where}: the weight must be a number in (0, 1000], got {fields[-1]!r}"
                )
        if len(rest) > 1:  # URL KEY X: the third field can only be the weight
            raise InputError(
                f"{where}: the weight must be a number in (0, 1000], got {fields[-1]!r}"
            )
        if rest:
            if not valid_env_name(rest[0]):
                raise InputError(
                    f"{where}: the second field names an environment variable holding the key "
                    "(letters, digits and _); the value given is not one and is not shown"
                )
            env = rest[0]
        from edukit.annotate.identity import normalise_endpoint

        norm = normalise_endpoint(url)
        if norm in seen:
            raise InputError(f"{where}: {url} is listed twice")
        seen.add(norm)
        out.append(Replica(url, env, weight))
    if not out:
        raise InputError("the endpoints file lists no endpoint", path=p)
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def replica_list(base_url: str | Sequence[str] | None, endpoints: Any = None) -> list[Replica]:
    """The replicas of a run from `base_url` (one URL or several) and/or an endpoints file (a
    path, or Replica objects)."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url or [])
    out = [Replica(u) for u in urls]
    if endpoints is not None:
        if isinstance(endpoints, str | Path):
            out += read_endpoints(endpoints)
        else:
            out += [e if isinstance(e, Replica) else Replica(str(e)) for e in endpoints]
    return out


@dataclass
class ReplicaState:
    """What the router knows of one replica while the run goes."""

    url: str
    client: Any  # ChatClient
    weight: float = 1.0
    limiter: Any = None  # a concurrency controller (edukit.annotate.concurrency)
    outstanding: int = 0
    calls: int = 0
    answered: int = 0
    errors: int = 0
    latency: float = 0.0  # sum over answered calls
    failures: int = 0  # in a row
    drains: int = 0  # in a row
    drained_until: float = 0.0
    drained_total: int = 0
    history: list = field(default_factory=list)
    public: str = ""  # the URL as stored and printed (no user info), set once

    def __post_init__(self) -> None:
        self.public = public_url(self.url) or ""

    def limit(self) -> float:
        return self.limiter.limit if self.limiter is not None else math.inf

    def summary(self) -> dict[str, Any]:
        out = {
            "url": self.public,  # stored and printed: no user info
            "calls": self.calls,
            "answered": self.answered,
            "errors": self.errors,
            "mean_latency": self.latency / self.answered if self.answered else None,
            "drained": self.drained_total,
        }
        if self.limiter is not None:
            out["concurrency"] = self.limiter.describe()
        return out


class Router:
    """Looks like one ChatClient to the exchange; `route()` lends the replica to call."""

    def __init__(self, states: list[ReplicaState], ladder, scrubbers, endpoint: str) -> None:
        self.states = states
        self.ladder = ladder
        self._scrubbers = scrubbers
        self.endpoint = endpoint  # for messages: the URL, or the replicas' URLs
        self._waiters: deque[asyncio.Future] = deque()

    @property
    def rung(self) -> str:
        return self.ladder.mode

    def scrub(self, text: str) -> str:
        for scrub in self._scrubbers:
            text = scrub(text)
        return text

    async def close(self) -> None:
        for s in self.states:
            await s.client.close()

    def summary(self) -> list[dict[str, Any]]:
        return [s.summary() for s in self.states]

    # routing --------------------------------------------------------------------------------
    def _pick(self) -> ReplicaState | None:
        now = time.monotonic()
        live = [s for s in self.states if s.drained_until <= now]
        if not live:  # every replica drained: probe the one whose cool-down ends first
            live = [min(self.states, key=lambda s: s.drained_until)]
        free = [s for s in live if s.outstanding < s.limit()]
        if not free:
            return None
        return min(free, key=lambda s: ((s.outstanding + 1) / s.weight, -s.weight))

    def failover(self) -> bool:
        """True when a live replica other than a drained one can take a retry at once."""
        now = time.monotonic()
        return len(self.states) > 1 and any(s.drained_until <= now for s in self.states)

    async def _acquire(self) -> ReplicaState:
        while True:
            state = self._pick()
            if state is not None:
                state.outstanding += 1
                return state
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, self._cooldown_left())
            except TimeoutError:  # a cool-down ended
                pass
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake()  # pass the slot on
                raise
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def _cooldown_left(self) -> float | None:
        """Seconds until the next drained replica may be tried (None: none is drained)."""
        now = time.monotonic()
        left = [s.drained_until - now for s in self.states if s.drained_until > now]
        return max(0.01, min(left)) if left else None

    def _wake(self, n: int = 1) -> None:
        while n > 0 and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                n -= 1

    @asynccontextmanager
    async def route(self) -> AsyncIterator[Any]:
        """The client of the replica for one HTTP call; its outcome is recorded on the way
        out (latency, errors, draining, the concurrency controller)."""
        state = await self._acquire()
        state.calls += 1
        REPLICA.set(state.public)  # recorded with each call: no user info
        began = time.monotonic()
        try:
            yield state.client
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._failed(state, exc, time.monotonic() - began)
            raise
        else:
            latency = time.monotonic() - began
            state.answered += 1
            state.latency += latency
            state.failures = state.drains = 0
            if state.limiter is not None:
                self._wake(state.limiter.on_answer(latency))
        finally:
            state.outstanding -= 1
            self._wake()

    def _failed(self, state: ReplicaState, exc: BaseException, latency: float) -> None:
        import openai

        state.errors += 1
        status = getattr(exc, "status_code", None)
        overload = status in (429, 503) or isinstance(exc, TimeoutError | openai.APITimeoutError)
        if state.limiter is not None:
            if overload:
                state.limiter.on_overload()
            else:
                state.limiter.on_other()
        refused = isinstance(exc, openai.APIConnectionError) and not isinstance(
            exc, openai.APITimeoutError
        )
        if status is not None and status >= 500 and status != 503:
            state.failures += 1
        elif refused:
            state.failures = DRAIN_AFTER
        now = time.monotonic()
        if state.failures >= DRAIN_AFTER and len(self.states) > 1:
            state.failures = 0
            if state.drained_until > now:
                return  # a call sent before the drain failed too: already drained
            state.drained_until = now + min(DRAIN_MAX, DRAIN_FIRST * 2**state.drains)
            state.drains += 1
            state.drained_total += 1
