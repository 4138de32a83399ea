"""The annotate runs of one arm (two for `verify`) and finding a run in the store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edukit.annotate.engine import RunResult


@dataclass
class ArmRun:
    """The annotate runs of one arm (two for `verify`); the last one holds the arm's labels."""

    passes: list[RunResult]

    @property
    def last(self) -> RunResult:
        return self.passes[-1]

    @property
    def finished(self) -> bool:
        return all(p.finished for p in self.passes)

    @property
    def stopped(self) -> str | None:
        return next((p.stopped for p in self.passes if p.stopped), None)

    @property
    def cost(self) -> float | None:
        costs = [p.cost for p in self.passes]
        return None if any(c is None for c in costs) else sum(costs)

    @property
    def input_tokens(self) -> int:
        return sum(p.input_tokens for p in self.passes)

    @property
    def output_tokens(self) -> int:
        return sum(p.output_tokens for p in self.passes)

    @property
    def items_left(self) -> int:
        return max(p.items_left for p in self.passes)

    @property
    def items(self) -> int | None:
        return self.passes[0].items

    @property
    def annotations(self):
        return self.last.annotations

    @property
    def run_id(self) -> str:
        return ", ".join(p.run_id for p in self.passes)

    @property
    def run_db(self) -> str:
        return self.last.run_db


def find_run(run_db: Path, rater: str | None, model: str, rubric_hash: str, tag: str) -> str:
    """The id of the run of this rater, model, rubric and split in the store ("" if none)."""
    import sqlite3

    if rater is None or not os.path.exists(run_db):
        return ""
    try:
        with sqlite3.connect(run_db) as db:
            row = db.execute(
                "SELECT id FROM runs WHERE rater = ? AND model = ? AND rubric_hash = ? "
                "AND json_extract(options, '$.tag') = ? ORDER BY updated DESC",
                (rater, model, rubric_hash, tag),
            ).fetchone()
    except sqlite3.Error:
        return ""
    return row[0] if row else ""
