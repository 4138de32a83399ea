"""The `verify` strategy's second pass: the model reviews its own label and may change it.

The first pass is the arm's rubric as `few-shot` (an ordinary run, rater `ARM (first pass)`).
The second pass is another ordinary run whose request for each first-pass answer is the first
request's conversation, the model's own answer, and a review instruction; its schema is the first
request's, so the reviewed answer is decoded like any other. Both passes are recorded, resumable
and costed; the arm's labels are the second pass's. A first-pass request without a valid answer
gets no review (the item has no label from this arm for that request).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from typing import Any

REVIEW = (
    "Review your answer above against the definitions and instructions. If it is wrong, correct "
    "it; if it is right, keep it. Reply with the complete answer in the same JSON format."
)


class VerifyRubric:
    """The second pass of `verify` over `base` (the few-shot rubric), given the first answers."""

    def __init__(self, base: Any, first: dict[tuple[str, str], str]) -> None:
        self._base = base
        self._first = first

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    @property
    def hash(self) -> str:
        """Another rubric than the first pass's: another run, other request keys."""
        return hashlib.sha256(f"{self._base.hash}|verify|{REVIEW}".encode()).hexdigest()

    def requests(self, item):
        out = []
        for req in self._base.requests(item):
            answer = self._first.get((req.item_id, req.key))
            if answer is None:
                continue
            messages = [
                *req.messages,
                {"role": "assistant", "content": answer},
                {"role": "user", "content": REVIEW},
            ]
            out.append(dataclasses.replace(req, messages=messages))
        return out


def first_answers(run_db: str, run_id: str) -> dict[tuple[str, str], str]:
    """(item_id, request key) -> the first pass's answer (JSON text) for its valid answers."""
    import os

    if not run_id or not os.path.exists(run_db):
        return {}
    with sqlite3.connect(run_db) as db:
        rows = db.execute(
            "SELECT q.item_id, q.decision, r.parsed FROM requests q JOIN responses r "
            "ON r.key = q.key WHERE q.run_id = ? AND q.sample = 0 AND r.status = 'ok' "
            "AND r.parsed IS NOT NULL",
            (run_id,),
        ).fetchall()
    return {(str(i), str(d)): p for i, d, p in rows}


def review_tokens() -> int:
    """Estimated tokens the review adds to a request beyond the first answer."""
    from edukit.annotate.cost import estimate_tokens

    return estimate_tokens([{"role": "user", "content": REVIEW}])
