"""Run tutor-student conversations through the annotation engine's machinery.

Every turn is one request sent by the engine's scheduler (concurrency across conversations,
rate limits, retries) through its exchange and recorded in the run store. Turns are taken in
waves: the k-th turn of every unfinished conversation, then the (k+1)-th. A request's key hashes
its messages (the whole history), so re-running the same command replays finished turns from the
store and sends only what is missing: a killed run resumes from the last finished turn of each
conversation, and a finished run sends 0 requests. The tutor and the student are two runs in the
store (one per model and endpoint), so their tokens and costs are counted separately.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.annotate.exchange import Exchange
from edukit.errors import InputError
from edukit.paths import public_url
from edukit.tutor import interactive_protocol as protocol

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_ROUNDS = 4  # MathDial's baseline: 4 student-tutor rounds after the greeting


class TurnExchange(Exchange):
    """The engine's exchange for free-text turns: the answer is the message text itself."""

    def __init__(self, side: Any, stats: Any, budget: Any, *, max_retries: int, timeout: float):
        try:  # an engine that owns retries and deadlines takes them here (issue 13)
            super().__init__(side, 0, stats, budget, max_retries=max_retries, timeout=timeout)
        except TypeError:  # an engine whose retries are the openai client's (the Connection's)
            super().__init__(side, 0, stats, budget)

    def parse(self, req, text: str) -> Any:
        return text

    def read(self, req, text: str, mode: str) -> tuple[Any, Any, str]:
        # (answer, decisions, mode) for an exchange that reads answers this way (issue 12's)
        return text, self.rubric.decode(req, text), mode


@dataclass
class SideSummary:
    """What one side (tutor or student) of the evaluation sent and cost."""

    role: str
    model: str
    base_url: str | None
    run_id: str
    sent: int
    cached: int
    api_errors: int
    input_tokens: int
    output_tokens: int
    cost: float | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class InteractiveRun:
    """The conversations of one evaluation: the wide table, the long turn table, and usage."""

    column: str
    table: pd.DataFrame  # the input rows with the conversation column
    conversations: list[protocol.Conversation]
    rounds: int
    sides: dict[str, SideSummary] = field(default_factory=dict)
    interrupted: bool = False  # Ctrl-C stopped the run (what landed is in the run store)
    turn_cap: int | None = None  # characters a turn is cut at (recorded in the run's options)
    cut_turns: int = 0  # turns the cap cut (a server that ignored max_tokens)

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self.sides.values())

    @property
    def unfinished(self) -> int:
        return sum(1 for c in self.conversations if c.failed)

    @property
    def stuck(self) -> list[protocol.Conversation]:
        """The conversations stopped at a turn no re-run can obtain (see `Conversation.error`)."""
        return [c for c in self.conversations if c.failed and c.permanent]

    def turns(self) -> pd.DataFrame:
        """One row per turn: item_id, dialogue_id, turn, speaker, text, tutor (`edukit load`)."""
        import pandas as pd

        rows = [
            {
                "item_id": f"{c.conversation_id}:{i}",
                "dialogue_id": c.conversation_id,
                "turn": i,
                "speaker": speaker.lower(),
                "text": text,
                "tutor": self.column,
            }
            for c in self.conversations
            for i, (speaker, text) in enumerate(c.turns)
        ]
        cols = ["item_id", "dialogue_id", "turn", "speaker", "text", "tutor"]
        return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class Endpoint:
    """A model at an endpoint, and the environment variable holding its key."""

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"


def read_problems(path: str | os.PathLike) -> pd.DataFrame:
    """A MathDial file or any table with question, ground_truth, student_incorrect_solution."""
    from edukit.corpora.tables import read_table

    table = read_table(path, dtype=str)
    check_problems(table, path)
    return table


def check_problems(table: pd.DataFrame, source: str | os.PathLike | None = None) -> None:
    """Every required column present and filled (student_profile may be absent or empty)."""
    from edukit.corpora.tables import is_missing, source_row

    src = os.fspath(source) if source is not None else None
    missing = [c for c in protocol.REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(map(repr, missing))}: a problems file needs "
            f"{', '.join(protocol.REQUIRED)} (and optionally student_profile); columns: "
            f"{', '.join(map(str, table.columns))}",
            path=src,
        )
    if len(table) == 0:
        raise InputError("no problems (the table has no rows)", path=src)
    for col in protocol.REQUIRED:
        for i, v in enumerate(table[col].tolist()):
            if is_missing(v):
                where = source_row(src, i) if src else f"row {i}"
                raise InputError(f"column {col!r} is empty", path=src, where=where)


def run_interactive(
    problems: pd.DataFrame,
    tutor: Endpoint,
    student: Endpoint,
    *,
    rounds: int = DEFAULT_ROUNDS,
    name: str | None = None,
    limit: int | None = None,
    tutor_template: str | None = None,
    tutor_grounding: Sequence[str] | None = None,
    run_db: str | os.PathLike = "edukit-runs.sqlite",
    concurrency: int = 8,
    rpm: float | None = None,
    max_tokens: int = protocol.MAX_TOKENS,
    quiet: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
    source: str | os.PathLike | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    http_client: Any = None,
    command: Mapping[str, Any] | None = None,
) -> InteractiveRun:
    """Let `tutor` and a simulated `student` talk about each problem for `rounds` rounds.

    `problems` needs question, ground_truth and student_incorrect_solution (student_profile
    gives the persona; a default one where absent). The result's table is the first `limit`
    rows with a column `name` (default: the tutor's model) holding each conversation as MathDial
    writes it (empty where a turn failed: re-run to resume). `tutor_template` is a jinja2
    template for the tutor's system prompt, as `edukit export finetune --system-template` takes,
    and `tutor_grounding` that command's `--grounding` fields (None: the teacher's default).
    `rpm` limits each side's requests per minute; `progress` receives both sides' counts.
    """
    from edukit.annotate.budget import Budget, load_prices_quietly, run_cost
    from edukit.annotate.client import (
        MAX_RETRIES,
        TIMEOUT,
        Connection,
        check_base_url,
        resolve_api_key,
    )
    from edukit.annotate.identity import request_key, run_identity
    from edukit.annotate.progress import Reporter, RunProgress, Stats
    from edukit.annotate.recorder import Recorder
    from edukit.annotate.scheduler import Scheduler, run_sync
    from edukit.annotate.store import RunStore
    from edukit.errors import AnnotationError

    if rounds < 1:
        raise AnnotationError("--max-turns must be at least 1")
    if concurrency < 1:
        raise AnnotationError("--concurrency must be at least 1")
    if limit is not None and limit < 1:  # as annotate: zero problems is no run
        raise AnnotationError(f"--limit must be at least 1, not {limit}")
    if tutor_grounding is not None:
        from edukit.export.examples import GROUNDING_FIELDS

        bad = [g for g in tutor_grounding if g not in GROUNDING_FIELDS]
        if bad:
            raise InputError(
                f"unknown grounding field {bad[0]!r} (choose from {', '.join(GROUNDING_FIELDS)})"
            )
    check_problems(problems, source)
    column = name or tutor.model
    if column in problems.columns:
        raise InputError(
            f"the problems already have a column {column!r}: give another --name",
            path=os.fspath(source) if source is not None else None,
        )
    table = problems if limit is None else problems.head(limit)
    stem = Path(source).stem if source is not None else "problem"
    convs = [
        protocol.start(f"{stem}-{i}", _fields(row), tutor_template, tutor_grounding)
        for i, row in enumerate(table.to_dict("records"))
    ]
    ends = {"tutor": tutor, "student": student}
    sides = {
        "tutor": protocol.side("tutor", max_tokens, tutor_template, tutor_grounding),
        "student": protocol.side("student", max_tokens),
    }
    for end in ends.values():
        check_base_url(end.base_url)
    keys = {role: resolve_api_key(e.api_key_env, e.base_url) for role, e in ends.items()}
    input_id = os.fspath(Path(source).resolve()) if source is not None else ""
    prices = load_prices_quietly()
    total = len(convs) * 2 * rounds
    stats = {role: Stats() for role in ends}
    bar = RunProgress(total) if progress is None and not quiet else None

    def report(_snapshot: dict[str, Any]) -> None:
        snap = _merged(stats, total)
        if progress is not None:
            progress(snap)
        elif bar is not None:
            bar.update(snap)

    store = RunStore(run_db)
    try:
        parts: dict[str, dict[str, Any]] = {}
        for role, end in ends.items():
            rater = column if role == "tutor" else f"student:{end.model}"
            run_id = run_identity(sides[role], end.model, end.base_url, rater, 1, input_id)
            store.open_run(
                run_id,
                {
                    # the turn cap is part of what the run did: recorded with it
                    "options": {**dict(command or {}), "turn_cap_chars": sides[role].max_chars},
                    "rubric": sides[role].name,
                    "rubric_version": protocol.PROTOCOL_VERSION,
                    "rubric_hash": sides[role].hash,
                    "model": end.model,
                    "base_url": public_url(end.base_url),
                    "rater": rater,
                    "samples": 1,
                },
            )
            s = stats[role]
            summary = store.summary(run_id)
            s.input_tokens, s.output_tokens = summary["input_tokens"], summary["output_tokens"]
            budget = Budget(s, prices, end.model, None)
            reporter = Reporter(s, report, quiet)
            recorder = Recorder(
                store,
                run_id,
                sides[role],
                end.model,
                rater,
                1,
                s,
                reporter.report,
                endpoint=end.base_url,
            )
            retries = MAX_RETRIES if max_retries is None else max_retries
            deadline = TIMEOUT if timeout is None else timeout
            exchange = TurnExchange(sides[role], s, budget, max_retries=retries, timeout=deadline)
            parts[role] = {
                "run_id": run_id,
                "recorder": recorder,
                "scheduler": Scheduler(recorder, exchange, budget, reporter),
                "conn": Connection(
                    end.base_url,
                    keys[role],
                    deadline,
                    retries,
                    concurrency,
                    rpm,
                    None,  # no --tpm: a free-text turn has no schema to size its answer by
                    http_client,
                ),
            }
        if bar is not None:
            bar.start()
        interrupted = False
        cut_turns = 0
        try:
            for turn in range(1, 2 * rounds + 1):
                role = "student" if turn % 2 else "tutor"
                part, sd, end = parts[role], sides[role], ends[role]
                active, requests = [], []
                for conv in convs:
                    if conv.failed:
                        continue
                    req = sd.request(conv)
                    # a turn the server refused for good in an earlier run is not sent again
                    why = _failure(store, request_key(end.model, req, 0, end.base_url))
                    if why is not None and why[1]:
                        conv.failed, conv.error, conv.permanent = True, why[0], True
                        continue
                    active.append(conv)
                    requests.append(req)
                if not active:
                    break
                jobs = part["recorder"].plan(
                    [{"request": r} for r in requests], None, part["scheduler"].stopped
                )
                try:
                    stopped = run_sync(part["scheduler"].run(jobs, part["conn"]))
                except KeyboardInterrupt:  # between waves, outside the scheduler's handler
                    stopped = "interrupted"
                interrupted = stopped == "interrupted"
                for conv, req in zip(active, requests, strict=True):
                    key = request_key(end.model, req, 0, end.base_url)
                    resp = store.response(key)
                    if resp is None or resp["status"] != "ok":
                        conv.failed = True
                        why = _failure(store, key)
                        if why is not None:
                            conv.error, conv.permanent = why
                        continue
                    text, cut = sd.turn(req, resp["parsed"])
                    cut_turns += cut
                    conv.turns.append((sd.speaker, text))
                if interrupted:  # Ctrl-C: what landed is saved; the next run resumes from it
                    break
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if bar is not None:
                bar.stop()
        out = {}
        for role, end in ends.items():
            summary = store.summary(parts[role]["run_id"])
            out[role] = SideSummary(
                role=role,
                model=end.model,
                base_url=end.base_url,
                run_id=parts[role]["run_id"],
                sent=stats[role].sent,
                cached=stats[role].cached,
                api_errors=summary["api_error"],
                input_tokens=summary["input_tokens"],
                output_tokens=summary["output_tokens"],
                cost=run_cost(prices, end.model, summary),
            )
    except sqlite3.DatabaseError as exc:  # a malformed page met mid-way
        raise store.damaged(exc) from None
    finally:
        with contextlib.suppress(sqlite3.DatabaseError):
            store.close()
    wide = table.copy()
    wide[column] = [None if c.failed else c.mathdial() for c in convs]
    result = InteractiveRun(column, wide.reset_index(drop=True), convs, rounds, out)
    result.interrupted = interrupted
    result.turn_cap = sides["tutor"].max_chars
    result.cut_turns = cut_turns
    return result


_MESSAGE = re.compile(r"""['"]message['"]:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")
_PREFIX = re.compile(r"^\w+Error: (?:Error code: \d+ - )?")


def _failure(store: Any, key: str) -> tuple[str, bool] | None:
    """Why the turn `key` has no answer, and whether asking again can help; None when it was
    never asked (or is answered).

    An invalid answer is final (the run store keeps it), and so is an HTTP 4xx other than
    408/409/429: the server refuses the request itself (a prompt beyond its context size), so
    the same request fails again on every re-run.
    """
    from edukit.annotate.exchange import RETRY_STATUS

    resp = store.response(key)
    if resp is None or resp["status"] == "ok":
        return None
    errors = resp.get("errors") or []
    last = str(errors[-1]) if errors else ""
    if resp["status"] == "invalid":
        return f"the model's answer is unusable ({last or 'invalid'})", True
    row = store.db.execute(
        "SELECT http_status, error FROM attempts WHERE key = ? ORDER BY rowid DESC LIMIT 1",
        (key,),
    ).fetchone()
    status, error = (row[0], row[1] or last) if row else (None, last)
    m = _MESSAGE.search(error or "")
    message = (m.group(1) or m.group(2)) if m else (error or "no answer")
    message = _PREFIX.sub("", message)  # "BadRequestError: Error code: 400 - " says it twice
    if status is not None and 400 <= status < 500 and status not in RETRY_STATUS:
        return f"HTTP {status}: {message}", True
    return (f"HTTP {status}: {message}" if status else message), False


def _fields(row: Mapping[str, Any]) -> dict[str, str]:
    """A problem's fields as text; objects and lists (JSONL, Parquet) as JSON, not Python repr."""
    import json

    from edukit.corpora.tables import is_missing

    def text(v: Any) -> str:
        if hasattr(v, "tolist") and not isinstance(v, str):  # numpy arrays and scalars
            v = v.tolist()
        if isinstance(v, (dict, list, tuple)):
            return json.dumps(v, ensure_ascii=False, default=str)
        return "" if is_missing(v) else str(v)

    return {str(k): text(v) for k, v in row.items()}


def _merged(stats: Mapping[str, Any], total: int) -> dict[str, Any]:
    """One progress snapshot for both sides."""
    snaps = [s.snapshot() for s in stats.values()]
    costs = [s["cost"] for s in snaps]
    merged = {
        k: sum(s[k] for s in snaps)
        for k in ("done", "sent", "cached", "errors", "invalid", "input_tokens", "output_tokens")
    }
    elapsed = max(s["elapsed"] for s in snaps)
    merged.update(
        total=total,
        cost=None if any(c is None for c in costs) else sum(costs),
        elapsed=elapsed,
        rate=merged["sent"] / elapsed,
    )
    return merged
