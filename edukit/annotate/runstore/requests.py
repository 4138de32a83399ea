"""Requests, responses, HTTP calls, redaction records and annotation rows of the run store."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from edukit.annotate.runstore.schema import ANNOTATION_COLUMNS, REQUEST_COMMIT_EVERY, dumps


class Requests:
    """The request and response methods of `RunStore`."""

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
            for kind, n in self._json(counts, "a redaction count").items():
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

    def requests(self, run_id: str) -> Iterator[dict[str, Any]]:
        """The run's requests in the order they were made, JSON columns decoded."""
        for row in self._dicts(
            "SELECT * FROM requests WHERE run_id = ? ORDER BY seq, sample", (run_id,)
        ):
            for col in ("labels", "messages", "schema", "params"):
                row[col] = self._json(row[col], f"a request's {col}")
            yield row

    def request(self, run_id: str, key: str) -> dict[str, Any] | None:
        """One request row of the run (JSON columns decoded), None when the run has no such key."""
        rows = self._dicts("SELECT * FROM requests WHERE run_id = ? AND key = ?", (run_id, key))
        if not rows:
            return None
        row = rows[0]
        for col in ("labels", "messages", "schema", "params"):
            row[col] = self._json(row[col], f"a request's {col}")
        return row

    def response(self, key: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT * FROM responses WHERE key = ?", (key,))
        if not rows:
            return None
        row = rows[0]
        for col in ("parsed", "errors", "logprob"):
            if row[col] is not None:
                row[col] = self._json(row[col], f"a response's {col}")
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
        df["value"] = [self._json(v, "an annotation value") for v in df["value"]]
        df["rubric"] = run["rubric"]
        df["rubric_version"] = run["rubric_version"]
        df["rubric_hash"] = run["rubric_hash"]
        df["model"] = run["model"]
        df["run_id"] = run["id"]
        red = run["options"].get("redact") or {}
        df["redaction"] = f"{red['name']}:{red['hash']}" if red else ""
        return df[ANNOTATION_COLUMNS].reset_index(drop=True)
