"""The run store: one SQLite file (WAL) holding runs, requests, responses, annotations, batches.

Responses are keyed by the request key alone (a hash of endpoint, model, messages, schema,
parameters and sample index), so a finished request is never sent again by any run that needs
the same answer. Finished responses are committed as they land (several in one transaction when
they land together): a killed process loses only what was in flight.

Several processes may work on one store: every write is a short `BEGIN IMMEDIATE` transaction
(a busy store is waited for, up to `BUSY_TIMEOUT_MS`), and a request is sent only by the process
holding its lease (`claim`); a lease of a dead process, or an expired one, is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from edukit.errors import AnnotationError

FINISHED = ("ok", "invalid")  # statuses that are never re-sent; api_error is retried next run
REQUEST_COMMIT_EVERY = 500  # request rows are cheap to rebuild: written in groups
BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another process's transaction
HOST = socket.gethostname()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    options TEXT NOT NULL,
    rubric TEXT, rubric_version TEXT, rubric_hash TEXT, rubric_path TEXT,
    model TEXT NOT NULL,
    base_url TEXT,
    rater TEXT NOT NULL,
    samples INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS requests (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    item_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    labels TEXT NOT NULL,
    version TEXT NOT NULL,
    messages TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    schema TEXT NOT NULL,
    params TEXT NOT NULL,
    sample INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX IF NOT EXISTS requests_seq ON requests (run_id, seq);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'invalid', 'api_error')),
    raw TEXT,
    parsed TEXT,
    mode TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    latency REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    errors TEXT,
    logprob TEXT,
    source TEXT,
    finished REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS annotations (
    run_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rater TEXT NOT NULL,
    label TEXT NOT NULL,
    value TEXT NOT NULL,
    version TEXT NOT NULL,
    sample INTEGER NOT NULL,
    reasoning TEXT,
    confidence REAL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (run_id, item_id, label)
);
CREATE TABLE IF NOT EXISTS request_redactions (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    profile TEXT NOT NULL,
    hash TEXT NOT NULL,
    counts TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    started REAL NOT NULL,
    latency REAL,
    status TEXT NOT NULL,
    http_status INTEGER,
    error TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    pid INTEGER
);
CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);
CREATE TABLE IF NOT EXISTS leases (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    input_file_id TEXT NOT NULL,
    n_requests INTEGER NOT NULL,
    status TEXT NOT NULL,
    output_file_id TEXT,
    error_file_id TEXT,
    ingested INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
"""

# created by the first run with --concurrency auto (as `learned` is by the ladder)
_CONCURRENCY = """
CREATE TABLE IF NOT EXISTS concurrency (
    run_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    started REAL NOT NULL,
    t REAL NOT NULL,
    level INTEGER NOT NULL,
    reason TEXT NOT NULL
)
"""

ANNOTATION_COLUMNS = [
    "item_id",
    "rater",
    "label",
    "value",
    "version",
    "rubric",
    "rubric_version",
    "rubric_hash",
    "model",
    "params",
    "sample",
    "reasoning",
    "confidence",
    "run_id",
    "redaction",  # "<profile>:<hash>" when the text sent was redacted (issue 17), else ""
]


def _alive(host: str, pid: int) -> bool:
    """False for a process of this host that no longer runs (its leases are stale)."""
    if host != HOST:
        return True  # cannot tell: the lease's expiry decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, so equal objects give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class RunStore:
    """A thin layer over the SQLite run store; every write but a request row commits at once."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only an OS crash can lose the tail.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._depth = 0
            self._requests: list[tuple] = []  # request rows not yet written
            self.db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise AnnotationError(f"cannot open the run store: {exc}", path=self.path) from None

    def _migrate(self) -> None:
        """Columns added since a store was created (older stores gain them, empty)."""
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(attempts)")}
        if "endpoint" not in cols:  # the replica that served the call (issue 26)
            self.db.execute("ALTER TABLE attempts ADD COLUMN endpoint TEXT")

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()

    def commit(self) -> None:
        """Write the request rows still buffered."""
        if self._requests and not self._depth:
            with self.write():
                pass

    def _saved(self) -> None:
        pass  # statements outside `write()` commit on their own (autocommit mode)

    @contextmanager
    def write(self) -> Iterator[None]:
        """One short write transaction (BEGIN IMMEDIATE: a busy store is waited for, never a
        "database is locked" halfway through); buffered request rows go with it."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            if self._requests:
                self.db.executemany(
                    "INSERT OR IGNORE INTO requests (run_id, key, item_id, decision, labels,"
                    " version, messages, schema_name, schema, params, sample, seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    self._requests,
                )
            yield
            self.db.execute("COMMIT")
            self._requests = []
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    deferred = write  # the former name

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # runs -----------------------------------------------------------------------------------
    def open_run(self, run_id: str, meta: dict[str, Any]) -> bool:
        """Create the run if new; return True when it already existed (a resume)."""
        now = time.time()
        cur = self.db.execute(
            "INSERT OR IGNORE INTO runs (id, created, updated, options, rubric, rubric_version,"
            " rubric_hash, rubric_path, model, base_url, rater, samples)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                now,
                now,
                dumps(meta.get("options", {})),
                meta.get("rubric"),
                meta.get("rubric_version"),
                meta.get("rubric_hash"),
                meta.get("rubric_path"),
                meta["model"],
                meta.get("base_url"),
                meta["rater"],
                meta.get("samples", 1),
            ),
        )
        if cur.rowcount == 0:
            self.db.execute(
                "UPDATE runs SET updated = ?, options = ? WHERE id = ?",
                (now, dumps(meta.get("options", {})), run_id),
            )
            return True
        return False

    def run(self, run_id: str) -> dict[str, Any]:
        """One run's row; a unique prefix of its id is enough."""
        rows = self._dicts(
            "SELECT * FROM runs WHERE id LIKE ? ORDER BY created", (run_id.replace("%", "") + "%",)
        )
        if not rows:
            raise AnnotationError(f"no run {run_id!r} in this run store", path=self.path)
        if len(rows) > 1 and not any(r["id"] == run_id for r in rows):
            raise AnnotationError(f"run id prefix {run_id!r} is ambiguous", path=self.path)
        row = next((r for r in rows if r["id"] == run_id), rows[0])
        row["options"] = json.loads(row["options"])
        return row

    def runs(self) -> list[dict[str, Any]]:
        """Every run with its request and status counts, newest first."""
        out = []
        for row in self._dicts("SELECT * FROM runs ORDER BY created DESC"):
            row.update(self.summary(row["id"]))
            out.append(row)
        return out

    def summary(self, run_id: str, seq_below: int | None = None) -> dict[str, Any]:
        """Counts by status, tokens, items and annotation rows of one run.

        `seq_below` restricts it to the first items (an annotate call with --limit). `items` are
        the items with requests, `items_done` those whose requests have all finished.
        """
        counts = dict.fromkeys(("ok", "invalid", "api_error", "pending"), 0)
        where, args = "r.run_id = ?", [run_id]
        if seq_below is not None:
            where += " AND r.seq < ?"
            args.append(seq_below)
        cur = self.db.execute(
            "SELECT COALESCE(s.status, 'pending'), s.source = 'batch', COUNT(*),"
            " SUM(COALESCE(s.input_tokens, 0)), SUM(COALESCE(s.output_tokens, 0))"
            f" FROM requests r LEFT JOIN responses s ON s.key = r.key WHERE {where}"
            " GROUP BY 1, 2",
            args,
        )
        tokens_in = tokens_out = batch_in = batch_out = 0
        for status, batch, n, t_in, t_out in cur:
            counts[status] += n
            tokens_in += t_in or 0
            tokens_out += t_out or 0
            if batch:
                batch_in += t_in or 0
                batch_out += t_out or 0
        items, items_done = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(done), 0) FROM (SELECT r.seq,"
            " MIN(COALESCE(s.status IN ('ok', 'invalid'), 0)) AS done"
            f" FROM requests r LEFT JOIN responses s ON s.key = r.key WHERE {where}"
            " GROUP BY r.seq)",
            args,
        ).fetchone()
        (n_ann,) = self.db.execute(
            "SELECT COUNT(*) FROM annotations WHERE run_id = ?"
            + (" AND seq < ?" if seq_below is not None else ""),
            args,
        ).fetchone()
        return {
            "requests": sum(counts.values()),
            **counts,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "batch_input_tokens": batch_in,  # of which answered through the Batch API
            "batch_output_tokens": batch_out,
            "items": items,
            "items_done": items_done,
            "annotations": n_ann,
        }

    def spend(self, run_id: str) -> dict[str, int]:
        """Tokens this run paid for: its own HTTP calls and its Batch API answers (answers that
        other runs paid for, or reused with --reuse-from, are not counted)."""
        tin, tout, calls = self.db.execute(
            "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COUNT(*)"
            " FROM attempts WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        bin_, bout = self.db.execute(
            "SELECT COALESCE(SUM(s.input_tokens), 0), COALESCE(SUM(s.output_tokens), 0)"
            " FROM requests r JOIN responses s ON s.key = r.key"
            " WHERE r.run_id = ? AND s.source = 'batch'",
            (run_id,),
        ).fetchone()
        return {
            "input_tokens": tin + bin_,
            "output_tokens": tout + bout,
            "batch_input_tokens": bin_,
            "batch_output_tokens": bout,
            "calls": calls,
        }

    def attempt_stats(self, run_id: str) -> dict[str, Any]:
        """The run's HTTP calls: how many by outcome, latency percentiles, elapsed time."""
        rows = self.db.execute(
            "SELECT started, latency, status, http_status, error FROM attempts WHERE run_id = ?",
            (run_id,),
        ).fetchall()
        by_status: dict[str, int] = {}
        for _, _, status, http, error in rows:
            if status == "api_error":
                if error and error.startswith("timeout"):
                    status = "timeout"
                elif error and error.startswith("malformed"):
                    status = "malformed answer"
                elif http:
                    status = f"HTTP {http}"
                else:
                    status = "connection error"
            by_status[status] = by_status.get(status, 0) + 1
        answered = sorted(lat for _, lat, st, _, _ in rows if st != "api_error" and lat is not None)
        pct = {}
        for q in (50, 90, 99):
            if answered:
                # nearest-rank percentile (no interpolation): a latency that was measured
                pct[f"p{q}"] = answered[max(0, -(-q * len(answered) // 100) - 1)]
        elapsed = None
        if rows:
            elapsed = max(a + (lat or 0) for a, lat, *_ in rows) - min(a for a, *_ in rows)
        return {"calls": len(rows), "by_status": by_status, "latency": pct, "elapsed": elapsed}

    def replica_stats(self, run_id: str) -> list[dict[str, Any]]:
        """The run's HTTP calls per replica: calls, errors, mean and p50 latency of answers."""
        rows = self.db.execute(
            "SELECT endpoint, status, latency FROM attempts WHERE run_id = ? AND endpoint IS NOT"
            " NULL ORDER BY endpoint",
            (run_id,),
        ).fetchall()
        out: dict[str, dict[str, Any]] = {}
        lat: dict[str, list[float]] = {}
        for endpoint, status, latency in rows:
            r = out.setdefault(endpoint, {"url": endpoint, "calls": 0, "errors": 0})
            r["calls"] += 1
            if status == "api_error":
                r["errors"] += 1
            elif latency is not None:
                lat.setdefault(endpoint, []).append(latency)
        for endpoint, r in out.items():
            values = sorted(lat.get(endpoint, []))
            r["mean_latency"] = sum(values) / len(values) if values else None
            r["p50"] = values[(len(values) - 1) // 2] if values else None
        return list(out.values())

    def add_concurrency(self, run_id: str, replicas: list[dict[str, Any]]) -> None:
        """Keep each replica's --concurrency auto history of this call (seconds, level, why)."""
        now = time.time()
        rows = [
            (run_id, r["url"], now, t, level, reason)
            for r in replicas
            for t, level, reason in (r.get("concurrency") or {}).get("history", [])
        ]
        with self.write():
            self.db.execute(_CONCURRENCY)
            self.db.executemany("INSERT INTO concurrency VALUES (?, ?, ?, ?, ?, ?)", rows)

    def concurrency(self, run_id: str) -> list[dict[str, Any]]:
        """Per replica and call: the auto level's history (for `runs show`)."""
        out: dict[tuple[str, float], dict[str, Any]] = {}
        if not self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'concurrency'"
        ).fetchone():
            return []
        for endpoint, started, t, level, reason in self.db.execute(
            "SELECT endpoint, started, t, level, reason FROM concurrency WHERE run_id = ?"
            " ORDER BY started, endpoint, t",
            (run_id,),
        ):
            r = out.setdefault((endpoint, started), {"url": endpoint, "history": []})
            r["history"].append((t, level, reason))
        for r in out.values():
            levels = [lv for _, lv, _ in r["history"]]
            r.update(level=levels[-1], peak=max(levels), changes=len(levels) - 1)
        return list(out.values())

    def reused(self, run_id: str, seq_below: int | None = None) -> int:
        """Requests of the run answered by copying another run's answer (--reuse-from)."""
        (n,) = self.db.execute(
            "SELECT COUNT(*) FROM requests r JOIN responses s ON s.key = r.key"
            " WHERE r.run_id = ? AND s.source LIKE 'reuse:%'"
            + (" AND r.seq < ?" if seq_below is not None else ""),
            (run_id,) if seq_below is None else (run_id, seq_below),
        ).fetchone()
        return n

    # redaction (issue 17) -------------------------------------------------------------------
    def add_redaction(self, run_id: str, key: str, profile: str, hash: str, counts: dict) -> None:
        """Record how a request's item text was redacted: profile, its hash, counts per type."""
        with self.write():
            self.db.execute(
                "INSERT OR IGNORE INTO request_redactions (run_id, key, profile, hash, counts)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, key, profile, hash, dumps(counts)),
            )

    def redactions(self, run_id: str) -> dict[str, Any] | None:
        """A run's redaction record: profiles used, requests covered, entity counts per type."""
        rows = self.db.execute(
            "SELECT profile, hash, counts FROM request_redactions WHERE run_id = ?", (run_id,)
        ).fetchall()
        if not rows:
            return None
        totals: dict[str, int] = {}
        for _, _, counts in rows:
            for kind, n in json.loads(counts).items():
                totals[kind] = totals.get(kind, 0) + n
        profiles = sorted({f"{p}:{h}" for p, h, _ in rows})
        return {"profiles": profiles, "requests": len(rows), "counts": totals}

    # requests and responses -----------------------------------------------------------------
    def add_request(self, run_id: str, row: dict[str, Any]) -> None:
        """Record a request; rows are written in groups (a lost one is rebuilt on re-run)."""
        self._requests.append(
            (
                run_id,
                row["key"],
                row["item_id"],
                row["decision"],
                dumps(list(row["labels"])),
                row["version"],
                dumps(row["messages"]),
                row["schema_name"],
                dumps(row["schema"]),
                dumps(row["params"]),
                row["sample"],
                row["seq"],
            )
        )
        if len(self._requests) >= REQUEST_COMMIT_EVERY:
            self.commit()

    # leases ---------------------------------------------------------------------------------
    def claim(self, key: str, owner: str, ttl: float) -> str:
        """Take the lease to send request `key`: "mine", "finished" (answered meanwhile) or
        "busy" (a live process holds it). Call inside `write()`."""
        row = self.db.execute("SELECT status FROM responses WHERE key = ?", (key,)).fetchone()
        if row and row[0] in FINISHED:
            return "finished"
        now = time.time()
        lease = self.db.execute(
            "SELECT owner, host, pid, expires FROM leases WHERE key = ?", (key,)
        ).fetchone()
        if lease and lease[0] != owner and lease[3] > now and _alive(lease[1], lease[2]):
            return "busy"
        self.db.execute(
            "INSERT OR REPLACE INTO leases (key, owner, host, pid, expires) VALUES (?, ?, ?, ?, ?)",
            (key, owner, HOST, os.getpid(), now + ttl),
        )
        return "mine"

    def release(self, key: str, owner: str) -> None:
        """Give up the lease of `key` (done, or not sent after all). Call inside `write()`."""
        self.db.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (key, owner))

    def release_all(self, owner: str) -> None:
        """Give up every lease `owner` still holds (the end of a call, or an interruption)."""
        self.db.execute("DELETE FROM leases WHERE owner = ?", (owner,))

    def requests(self, run_id: str) -> Iterator[dict[str, Any]]:
        """The run's requests in the order they were made, JSON columns decoded."""
        for row in self._dicts(
            "SELECT * FROM requests WHERE run_id = ? ORDER BY seq, sample", (run_id,)
        ):
            for col in ("labels", "messages", "schema", "params"):
                row[col] = json.loads(row[col])
            yield row

    def response(self, key: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT * FROM responses WHERE key = ?", (key,))
        if not rows:
            return None
        row = rows[0]
        for col in ("parsed", "errors", "logprob"):
            if row[col] is not None:
                row[col] = json.loads(row[col])
        return row

    def status(self, key: str) -> str | None:
        row = self.db.execute("SELECT status FROM responses WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def record_response(self, key: str, resp: dict[str, Any]) -> None:
        """Store one finished response.

        An earlier api_error for the key is replaced, but its tokens and attempts are added to
        the new row's: usage spent on a failed attempt stays counted after the retry succeeds.
        """
        self.db.execute(
            "INSERT INTO responses (key, status, raw, parsed, mode, input_tokens,"
            " output_tokens, latency, attempts, errors, logprob, source, finished)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET status = excluded.status, raw = excluded.raw,"
            " parsed = excluded.parsed, mode = excluded.mode,"
            " input_tokens = responses.input_tokens + excluded.input_tokens,"
            " output_tokens = responses.output_tokens + excluded.output_tokens,"
            " latency = excluded.latency, attempts = responses.attempts + excluded.attempts,"
            " errors = excluded.errors, logprob = excluded.logprob, source = excluded.source,"
            " finished = excluded.finished",
            (
                key,
                resp["status"],
                resp.get("raw"),
                None if resp.get("parsed") is None else dumps(resp["parsed"]),
                resp.get("mode"),
                resp.get("input_tokens", 0),
                resp.get("output_tokens", 0),
                resp.get("latency"),
                resp.get("attempts", 0),
                dumps(resp.get("errors") or []),
                None if resp.get("logprob") is None else dumps(resp["logprob"]),
                resp.get("source", "interactive"),
                time.time(),
            ),
        )
        self._saved()

    def add_attempts(self, run_id: str, key: str, attempts: Iterable[dict[str, Any]]) -> None:
        """Record the HTTP calls made for one request (each one, retries and re-asks included)."""
        pid = os.getpid()
        rows = [
            (
                run_id,
                key,
                a["started"],
                a.get("latency"),
                a["status"],
                a.get("http_status"),
                a.get("error"),
                a.get("input_tokens", 0),
                a.get("output_tokens", 0),
                pid,
                a.get("endpoint"),
            )
            for a in attempts
        ]
        if rows:
            self.db.executemany(
                "INSERT INTO attempts (run_id, key, started, latency, status, http_status, error,"
                " input_tokens, output_tokens, pid, endpoint)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._saved()

    def copy_response(self, src: str, dst: str, *, source: str) -> bool:
        """Give request `dst` the finished answer of request `src` (no tokens: nothing was
        spent for it); False when `src` has none."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO responses (key, status, raw, parsed, mode, input_tokens,"
            " output_tokens, latency, attempts, errors, logprob, source, finished)"
            " SELECT ?, status, raw, parsed, mode, 0, 0, latency, 0, errors, logprob, ?, ?"
            " FROM responses WHERE key = ? AND status IN ('ok', 'invalid')",
            (dst, source, time.time(), src),
        )
        self._saved()
        return cur.rowcount > 0

    # annotations ----------------------------------------------------------------------------
    def add_annotations(self, run_id: str, rows: Iterable[dict[str, Any]]) -> None:
        params = [
            (
                run_id,
                r["item_id"],
                r["rater"],
                r["label"],
                json.dumps(r["value"]),
                r["version"],
                r["sample"],
                r.get("reasoning"),
                r.get("confidence"),
                r["key"],
                r["seq"],
            )
            for r in rows
        ]
        if params:
            self.db.executemany(
                "INSERT OR REPLACE INTO annotations (run_id, item_id, rater, label, value,"
                " version, sample, reasoning, confidence, key, seq)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
            self._saved()

    def annotations(self, run_id: str, seq_below: int | None = None):
        """The run's long annotation table (pandas), in item order, with provenance columns;
        only the first `seq_below` items' rows when given (an annotate call with --limit)."""
        import pandas as pd

        run = self.run(run_id)
        rows = self._dicts(
            "SELECT a.*, r.params FROM annotations a"
            " LEFT JOIN requests r ON r.run_id = a.run_id AND r.key = a.key"
            " WHERE a.run_id = ?"
            + (" AND a.seq < ?" if seq_below is not None else "")
            + " ORDER BY a.seq, a.label",
            (run["id"],) if seq_below is None else (run["id"], seq_below),
        )
        df = pd.DataFrame(rows, columns=[*ANNOTATION_COLUMNS, "key", "seq"])
        df["value"] = [json.loads(v) for v in df["value"]]
        df["rubric"] = run["rubric"]
        df["rubric_version"] = run["rubric_version"]
        df["rubric_hash"] = run["rubric_hash"]
        df["model"] = run["model"]
        df["run_id"] = run["id"]
        red = run["options"].get("redact") or {}
        df["redaction"] = f"{red['name']}:{red['hash']}" if red else ""
        return df[ANNOTATION_COLUMNS].reset_index(drop=True)

    # batches --------------------------------------------------------------------------------
    def add_batch(self, run_id: str, batch_id: str, input_file_id: str, n: int, status: str):
        now = time.time()
        self.db.execute(
            "INSERT OR REPLACE INTO batches (id, run_id, input_file_id, n_requests, status,"
            " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (batch_id, run_id, input_file_id, n, status, now, now),
        )
        self.commit()

    def update_batch(self, batch_id: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(
            f"UPDATE batches SET {sets}, updated = ? WHERE id = ?",
            (*fields.values(), time.time(), batch_id),
        )
        self.commit()

    def batches(self, run_id: str) -> list[dict[str, Any]]:
        return self._dicts("SELECT * FROM batches WHERE run_id = ? ORDER BY created", (run_id,))

    # helpers --------------------------------------------------------------------------------
    def _dicts(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        cur = self.db.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]
