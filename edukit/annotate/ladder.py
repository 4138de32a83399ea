"""What a run learns about its endpoint and model, once, and remembers in the run store.

- The structured-output rung: `json_schema`, else `json_object`, else plain text. A rung is
  refused by a 4xx that the next rung does not repeat, or by a 5xx that happens twice with the
  rung's `response_format` and not on the next rung (llama-cpp-python answers 500 to some
  schemas). An error that the next rung repeats has nothing to do with the format: it is raised,
  and nothing is learned.
- The token parameter: `max_completion_tokens` for OpenAI's o-series and gpt-5 names, or after a
  400 that asks for it; `max_tokens` elsewhere.
- Whether the server honours `n` (several samples in one request).

Facts live in the run store's `learned` table keyed by run, endpoint and model, so a resumed run
starts from them and never rediscovers them per item. Each is announced once (`notes`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

RUNGS = ("json_schema", "json_object", "text")
_NEW_TOKEN_PARAM = re.compile(r"(?:^|[/:])(?:o\d+(?:-|$)|o\d+$|gpt-5)", re.I)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS learned (
    run_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    fact TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (run_id, endpoint, model, fact)
)
"""


def token_param_for(model: str) -> str:
    """`max_completion_tokens` for model names that require it (o1, o3-mini, gpt-5...)."""
    return "max_completion_tokens" if _NEW_TOKEN_PARAM.search(model) else "max_tokens"


def asks_for_completion_tokens(message: str) -> bool:
    """A 400 that refuses `max_tokens` in favour of `max_completion_tokens` (OpenAI's wording)."""
    return "max_completion_tokens" in message and "max_tokens" in message


def refuses_n(message: str, param: Any) -> bool:
    """A 400 about the `n` parameter (llama-server: "Field 'n': Value must be between...")."""
    return param == "n" or bool(re.search(r"(?:field|parameter)\s+'n'|'n'\s", message, re.I))


@dataclass
class Ladder:
    """The learned facts of one run at one endpoint and model."""

    model: str
    endpoint: str
    rung: int = 0
    token_param: str = "max_tokens"
    n_ok: bool = True
    notes: list[str] = field(default_factory=list)  # what was learned, each said once
    _store: Any = None  # (sqlite3 connection, run_id) when facts are remembered

    @classmethod
    def open(cls, db: sqlite3.Connection | None, run_id: str, endpoint: str, model: str) -> Ladder:
        """The facts already learned by this run (none without a store)."""
        ladder = cls(model=model, endpoint=endpoint, token_param=token_param_for(model))
        if db is None:
            return ladder
        db.execute(_SCHEMA)
        ladder._store = (db, run_id)
        rows = db.execute(
            "SELECT fact, value FROM learned WHERE run_id = ? AND endpoint = ? AND model = ?",
            (run_id, endpoint, model),
        ).fetchall()
        for fact, value in rows:
            if fact == "rung" and value in RUNGS:
                ladder.rung = RUNGS.index(value)
            elif fact == "token_param":
                ladder.token_param = value
            elif fact == "n":
                ladder.n_ok = value == "yes"
        return ladder

    @property
    def mode(self) -> str:
        """The best rung known to work."""
        return RUNGS[self.rung]

    def learn(self, fact: str, value: str, note: str) -> None:
        """Remember a fact (once) and announce it.

        Workers in flight together all meet the same refusal: only the first one learns it, so
        the note is said once per run, not once per worker."""
        known = {"rung": RUNGS[self.rung], "token_param": self.token_param}
        known["n"] = "yes" if self.n_ok else "no"
        if known.get(fact) == value:
            return
        if fact == "rung":
            self.rung = RUNGS.index(value)
        elif fact == "token_param":
            self.token_param = value
        elif fact == "n":
            self.n_ok = value == "yes"
        self.notes.append(note)
        if self._store is not None:
            db, run_id = self._store
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO learned VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, self.endpoint, self.model, fact, value, note),
                )


def _has_table(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='learned'")
    return row.fetchone() is not None


def learned_facts(db: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    """What a run learned about its endpoint (for `runs show`)."""
    if not _has_table(db):
        return []
    cur = db.execute(
        "SELECT endpoint, model, fact, value, reason FROM learned WHERE run_id = ?", (run_id,)
    )
    return [
        dict(zip(("endpoint", "model", "fact", "value", "reason"), r, strict=True)) for r in cur
    ]


def estimated_responses(db: sqlite3.Connection, run_id: str, new: int = 0) -> int:
    """Responses of the run whose usage was estimated, `new` ones added (run store, `learned`)."""
    if not new and not _has_table(db):
        return 0
    db.execute(_SCHEMA)
    row = db.execute(
        "SELECT value FROM learned WHERE run_id = ? AND endpoint = '' AND model = '' "
        "AND fact = 'usage_estimated'",
        (run_id,),
    ).fetchone()
    total = (int(row[0]) if row else 0) + new
    if new:
        with db:
            db.execute(
                "INSERT OR REPLACE INTO learned VALUES (?, '', '', 'usage_estimated', ?, ?)",
                (run_id, str(total), "responses without usage from the server"),
            )
    return total
