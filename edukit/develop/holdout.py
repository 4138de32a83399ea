"""The held-out split: gold items set aside while a scheme is developed, looked at once at the end.

`--holdout FRACTION` (default 0.3 when the gold file has 50 or more items, else none) draws whole
clusters (the bootstrap's: `--group-col`, or the corpus's video / dialogue column) with numpy's
`default_rng(seed)` until at least that fraction of the gold items is held out. The split is a
function of the gold items, clusters, fraction and seed, so it is the same on every run; it is
also stored in the run store (table `compare_splits`, keyed by the gold file's sha256) with every
final look (`compare_final_looks`), so a second look at the same split is counted and reported.
Development runs annotate and report only the other items; `--final ARM` only the held-out ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edukit.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_FRACTION = 0.3
MIN_ITEMS_FOR_DEFAULT = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS compare_splits (
    id TEXT PRIMARY KEY, gold_sha256 TEXT NOT NULL, fraction REAL NOT NULL, seed INTEGER NOT NULL,
    group_col TEXT, held_out TEXT NOT NULL, n_items INTEGER NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS compare_final_looks (
    split_id TEXT NOT NULL, arm TEXT NOT NULL, at REAL NOT NULL
);
"""


@dataclass
class Split:
    """Development and held-out gold items (`fraction` 0: nothing held out)."""

    id: str
    gold_sha256: str
    fraction: float
    seed: int
    group_col: str | None
    all_items: list[str]
    held_out: list[str]

    @property
    def dev_items(self) -> set[str]:
        return set(self.all_items) - set(self.held_out)

    @property
    def final_items(self) -> set[str]:
        return set(self.held_out)

    def tag(self, final: bool) -> str:
        """Part of the runs' input id: development and final runs are distinct runs."""
        if not self.held_out:
            return ""
        return f"|{'final' if final else 'dev'}:{self.id}"

    def looks(self, run_db: str | os.PathLike) -> int:
        if not os.path.exists(run_db):
            return 0
        with sqlite3.connect(run_db) as db:
            db.executescript(_SCHEMA)
            (n,) = db.execute(
                "SELECT COUNT(*) FROM compare_final_looks WHERE split_id = ?", (self.id,)
            ).fetchone()
        return int(n)

    def record_final_look(self, opts: Any, arm: str) -> None:
        with _open(opts.run_db) as db:
            db.execute(
                "INSERT INTO compare_final_looks VALUES (?, ?, ?)", (self.id, arm, time.time())
            )

    def to_json(self, opts: Any, final: str | None) -> dict[str, Any] | None:
        if not self.held_out:
            return None
        return {
            "fraction": self.fraction,
            "seed": self.seed,
            "group_col": self.group_col,
            "n_items": len(self.all_items),
            "n_held_out": len(self.held_out),
            "gold_sha256": self.gold_sha256,
            "split_id": self.id,
            "final_looks": self.looks(opts.run_db),
            "final": final,
            "evaluated_on": "held-out" if final else "development",
        }


def make_split(
    items: list[str], groups: dict[str, Any] | None, fraction: float, seed: int
) -> list[str]:
    """Held-out item ids: whole clusters in a seeded random order until `fraction` is reached."""
    import math

    import numpy as np

    items = sorted(set(items))
    if fraction <= 0 or not items:
        return []
    clusters: dict[str, list[str]] = {}
    for i in items:
        key = str(groups.get(i, ("item", i))) if groups else i
        clusters.setdefault(key, []).append(i)
    keys = sorted(clusters)
    order = np.random.default_rng(seed).permutation(len(keys))
    target = math.ceil(fraction * len(items))
    held: list[str] = []
    for j in order:
        if len(held) >= target:
            break
        held += clusters[keys[j]]
    return sorted(held)


def split_for(gold: pd.DataFrame, opts: Any, groups: Any) -> Split:
    """The split of `gold`'s items for these options (stored in the run store unless a dry run)."""
    from edukit.agreement.compare import _groups
    from edukit.report import sha256

    items = sorted(set(gold["item_id"].astype(str)))
    fraction = opts.holdout
    if fraction is None:
        fraction = DEFAULT_FRACTION if len(items) >= MIN_ITEMS_FOR_DEFAULT else 0.0
    if opts.final and fraction <= 0:
        raise AgreementError("--final needs a held-out split (--holdout FRACTION)")
    group_map, group_col = _groups(gold, groups)
    digest = sha256(opts.gold)
    key = json.dumps([digest, fraction, opts.holdout_seed, group_col])
    split_id = hashlib.sha256(key.encode()).hexdigest()[:12]
    held = make_split(items, dict(group_map) if group_map else None, fraction, opts.holdout_seed)
    split = Split(split_id, digest, fraction, opts.holdout_seed, group_col, items, held)
    if held and not opts.dry_run:
        _store(opts.run_db, split)
    return split


def _store(run_db: str | os.PathLike, split: Split) -> None:
    """Record the split; an existing record of the same id must hold the same items."""
    with _open(run_db) as db:
        row = db.execute("SELECT held_out FROM compare_splits WHERE id = ?", (split.id,)).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO compare_splits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    split.id,
                    split.gold_sha256,
                    split.fraction,
                    split.seed,
                    split.group_col,
                    json.dumps(split.held_out),
                    len(split.all_items),
                    time.time(),
                ),
            )
        elif json.loads(row[0]) != split.held_out:
            raise AgreementError(
                f"the stored held-out split {split.id} differs from the one computed now",
                path=run_db,
            )


@contextmanager
def _open(run_db: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    """The run store (created with edukit's own tables first, so it stays a valid run store)."""
    from edukit.annotate.store import RunStore

    store = RunStore(run_db)
    try:
        store.db.executescript(_SCHEMA)
        yield store.db
    finally:
        store.close()
