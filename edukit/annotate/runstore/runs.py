"""Runs: their rows, summaries, spending, HTTP-call statistics, replicas, concurrency, batches."""

from __future__ import annotations

import time
from typing import Any

from edukit.annotate.runstore.schema import _CONCURRENCY, dumps, has_table
from edukit.errors import AnnotationError


class Runs:
    """The run methods of `RunStore`."""

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
        row["options"] = self._json(row["options"], f"the options of run {row['id']}")
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
        if not has_table(self.db, "concurrency"):
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
