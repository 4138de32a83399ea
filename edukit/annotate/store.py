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
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edukit.annotate.runstore.leases import HOST, Leases, _alive
from edukit.annotate.runstore.requests import Requests
from edukit.annotate.runstore.runs import Runs
from edukit.annotate.runstore.schema import (
    _SCHEMA,
    ANNOTATION_COLUMNS,
    BUSY_TIMEOUT_MS,
    FINISHED,
    REQUEST_COMMIT_EVERY,
    dumps,
    migrate,
)
from edukit.errors import AnnotationError

__all__ = [
    "ANNOTATION_COLUMNS",
    "BUSY_TIMEOUT_MS",
    "FINISHED",
    "HOST",
    "REQUEST_COMMIT_EVERY",
    "RunStore",
    "_alive",
    "dumps",
]


class RunStore(Runs, Requests, Leases):
    """A thin layer over the SQLite run store; every write but a request row commits at once.

    Its methods live with their concepts in edukit.annotate.runstore: `runs` (runs, summaries,
    statistics, batches), `requests` (requests, responses, calls, annotations), `leases`.
    """

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
            migrate(self.db)
        except sqlite3.DatabaseError as exc:
            raise AnnotationError(f"cannot open the run store: {exc}", path=self.path) from None

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

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self.close()
        except sqlite3.DatabaseError:
            if exc is None:
                raise
        if isinstance(exc, sqlite3.DatabaseError):  # a malformed page met mid-way
            raise self.damaged(exc) from None

    def damaged(self, exc: Exception | str) -> AnnotationError:
        """A damaged run store (a malformed page, a value that is not JSON) as one line."""
        return AnnotationError(
            f"the run store is damaged ({exc}): give another --run-db, or restore this file "
            "from a copy",
            path=self.path,
        )

    def _json(self, text: Any, what: str) -> Any:
        """A JSON column's value; a value that is not JSON is a damaged (hand-edited) store."""
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise self.damaged(f"{what}: not JSON") from None

    # helpers --------------------------------------------------------------------------------
    def _dicts(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        cur = self.db.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]
