"""The run store's tables, the columns added since, and the shared helpers (canonical JSON)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

FINISHED = ("ok", "invalid")  # statuses that are never re-sent; api_error is retried next run
REQUEST_COMMIT_EVERY = 500  # request rows are cheap to rebuild: written in groups
BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another process's transaction

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


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, so equal objects give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def migrate(db: sqlite3.Connection) -> None:
    """Columns added since a store was created (older stores gain them, empty)."""
    cols = {r[1] for r in db.execute("PRAGMA table_info(attempts)")}
    if "endpoint" not in cols:  # the replica that served the call (issue 26)
        db.execute("ALTER TABLE attempts ADD COLUMN endpoint TEXT")


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        is not None
    )
