"""Success@k and Telling@k of one or several tutor columns of a file, with bootstrap intervals.

The point values are MathDial's `evaluate.py` on the same file (see `edukit.tutor.success`); on
top of them: percentile bootstrap intervals over problems (the same resamples for every tutor
column, so columns compare on paired draws), and each problem's first mentions per tutor.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError
from edukit.tutor.success import EOM, Outcome, outcome, rate_at_k, reference_answer, split_turns

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_MAX_K = 7  # evaluate.py's default
GROUND_TRUTH = "ground_truth"


@dataclass
class TutorRates:
    """One tutor column: Success@k and Telling@k for k = 1..K, intervals, per-problem outcomes."""

    column: str
    success_at_k: list[float]
    telling_at_k: list[float]
    success_ci: list[tuple[float, float] | None]
    telling_ci: list[tuple[float, float] | None]
    outcomes: list[Outcome]

    def to_json(self) -> dict[str, Any]:
        k_max = len(self.success_at_k)
        return {
            "column": self.column,
            "success_at_k": self.success_at_k,
            "telling_at_k": self.telling_at_k,
            "success_ci": [list(c) if c else None for c in self.success_ci],
            "telling_ci": [list(c) if c else None for c in self.telling_ci],
            "success_count": [
                sum(o.success(k) for o in self.outcomes) for k in range(1, k_max + 1)
            ],
            "telling_count": [
                sum(o.telling(k) for o in self.outcomes) for k in range(1, k_max + 1)
            ],
        }


@dataclass
class Difference:
    """Paired differences `a - b` of two tutor columns on the same problems, per k."""

    a: str
    b: str
    success_at_k: list[float]
    telling_at_k: list[float]
    success_ci: list[tuple[float, float] | None]
    telling_ci: list[tuple[float, float] | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "success_at_k": self.success_at_k,
            "telling_at_k": self.telling_at_k,
            "success_ci": [list(c) if c else None for c in self.success_ci],
            "telling_ci": [list(c) if c else None for c in self.telling_ci],
        }


@dataclass
class InteractiveScore:
    """The scores of every tutor column of one file of conversations."""

    problem_ids: list[str]
    answers: list[str]
    max_k: int
    tutors: dict[str, TutorRates]
    n_boot: int
    seed: int
    level: float = 0.95
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    left_out: int = 0  # problems without a finished conversation (finished_only)

    @property
    def n(self) -> int:
        return len(self.problem_ids)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.source,
            "n_problems": self.n,
            "n_left_out": self.left_out,
            "max_k": self.max_k,
            "k": list(range(1, self.max_k + 1)),
            "intervals": {
                "method": "percentile bootstrap over problems",
                "level": self.level,
                "n_boot": self.n_boot,
                "seed": self.seed,
            },
        }
        if len(self.tutors) == 1:
            only = next(iter(self.tutors.values()))
            out["success_at_k"] = only.success_at_k
            out["telling_at_k"] = only.telling_at_k
        out["tutors"] = {name: t.to_json() for name, t in self.tutors.items()}
        if self.differences:
            # paired: the same problems and the same resamples for both columns
            out["differences"] = [d.to_json() for d in self.differences]
        out["problems"] = [
            {
                "problem_id": pid,
                "answer": answer,
                "first_mention": {
                    name: {"student": t.outcomes[i].student, "teacher": t.outcomes[i].teacher}
                    for name, t in self.tutors.items()
                },
            }
            for i, (pid, answer) in enumerate(zip(self.problem_ids, self.answers, strict=True))
        ]
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    def outcomes_table(self) -> pd.DataFrame:
        """One row per problem and tutor: first mentions and the outcome at K."""
        import pandas as pd

        k = self.max_k
        rows = [
            {
                "problem_id": pid,
                "tutor": name,
                "answer": answer,
                "student_first_mention": t.outcomes[i].student,
                "teacher_first_mention": t.outcomes[i].teacher,
                f"success_at_{k}": t.outcomes[i].success(k),
                f"telling_at_{k}": t.outcomes[i].telling(k),
            }
            for name, t in self.tutors.items()
            for i, (pid, answer) in enumerate(zip(self.problem_ids, self.answers, strict=True))
        ]
        df = pd.DataFrame(rows)
        for col in ("student_first_mention", "teacher_first_mention"):
            df[col] = df[col].astype("Int64")
        return df


def score_table(
    table: pd.DataFrame,
    columns: Sequence[str],
    *,
    max_k: int = DEFAULT_MAX_K,
    ground_truth_col: str = GROUND_TRUTH,
    eom: str = EOM,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    problem_ids: Sequence[str] | None = None,
    source: str | os.PathLike | None = None,
    finished_only: bool = False,
) -> InteractiveScore:
    """Success@k / Telling@k for k = 1..max_k of each conversation column of `table`.

    `table` needs the ground-truth solution column and the conversation columns (MathDial's
    output format: `Teacher: ...<EOM>Student: ...`). Errors name the file and row when `source`
    is given. An empty conversation (one `tutor interactive run` could not finish) is an error,
    unless `finished_only`: then the problems whose conversations are all finished are scored
    and the others counted (`left_out`, and a warning) — the rates are of those problems only.
    """
    if max_k < 1:
        raise InputError(f"--max-k must be at least 1, got {max_k}")
    if not columns:
        raise InputError("give at least one conversation column")
    if not eom:
        raise InputError("the end-of-message separator must not be empty")
    if len(set(columns)) != len(columns):
        raise InputError("a conversation column is given twice")
    src = os.fspath(source) if source is not None else None
    available = [str(c) for c in table.columns]
    for col in (ground_truth_col, *columns):
        if col not in table.columns:
            raise InputError(f"no column {col!r} (columns: {', '.join(available)})", path=src)
    if len(table) == 0:
        raise InputError("no problems to score (the table has no rows)", path=src)
    if problem_ids is None:
        stem = Path(src).stem if src else "row"
        problem_ids = [f"{stem}-{i}" for i in range(len(table))]
    left_out = 0
    if finished_only:
        from edukit.corpora.tables import is_missing

        rows = zip(*(table[c].tolist() for c in columns), strict=True)
        keep = [not any(is_missing(v) for v in row) for row in rows]
        left_out = len(keep) - sum(keep)
        if not any(keep):
            raise InputError(
                f"no finished conversation to score: all {len(keep)} are unfinished", path=src
            )
        problem_ids = [p for p, k in zip(problem_ids, keep, strict=True) if k]
        table = table[keep].reset_index(drop=True)

    answers = [
        reference_answer(_text(v, ground_truth_col, i, src))
        for i, v in enumerate(table[ground_truth_col].tolist())
    ]
    warnings: list[str] = []
    if left_out:
        warnings.append(
            f"{left_out} of {left_out + len(table)} problems left out (--finished-only): their "
            "conversations are unfinished; the rates are of the other "
            f"{len(table)} problems only"
        )
    outcomes: dict[str, list[Outcome]] = {}
    for col in columns:
        texts = [_text(v, col, i, src, _UNFINISHED) for i, v in enumerate(table[col].tolist())]
        if eom not in "".join(texts):
            hint = (
                " (MathDial's human conversations use '|EOM|': give --eom '|EOM|')"
                if any("|EOM|" in t for t in texts)
                else ""
            )
            warnings.append(f"column {col!r} never contains {eom!r}: each row is one turn{hint}")
        outcomes[col] = [
            outcome(split_turns(text, eom), answer)
            for text, answer in zip(texts, answers, strict=True)
        ]

    cis, sums = _bootstrap(outcomes, max_k, n_boot, seed, level)
    tutors = {
        col: TutorRates(
            column=col,
            success_at_k=[rate_at_k(outs, k, "success") for k in range(1, max_k + 1)],
            telling_at_k=[rate_at_k(outs, k, "telling") for k in range(1, max_k + 1)],
            success_ci=cis[col][0],
            telling_ci=cis[col][1],
            outcomes=outs,
        )
        for col, outs in outcomes.items()
    }
    return InteractiveScore(
        problem_ids=[str(p) for p in problem_ids],
        answers=answers,
        max_k=max_k,
        tutors=tutors,
        n_boot=n_boot,
        seed=seed,
        level=level,
        source=src,
        warnings=warnings,
        differences=_differences(tutors, sums, level) if len(tutors) > 1 else [],
        left_out=left_out,
    )


def score_file(path: str | os.PathLike, columns: Sequence[str], **kwargs: Any) -> InteractiveScore:
    """`score_table` of a CSV, JSONL or Parquet file (problem ids `<file stem>-<row>`)."""
    from edukit.corpora.tables import read_table

    table = read_table(path, dtype=str)
    return score_table(table, columns, source=path, **kwargs)


_UNFINISHED = (
    " (an unfinished conversation: re-run `edukit tutor interactive run` to finish it, or score "
    "the finished ones with --finished-only)"
)


def _text(value: Any, column: str, index: int, source: str | None, hint: str = "") -> str:
    from edukit.corpora.tables import source_row

    if isinstance(value, str):
        return value
    where = source_row(source, index) if source else f"row {index}"
    if value is None or (isinstance(value, float) and value != value):
        raise InputError(f"column {column!r} is empty{hint}", path=source, where=where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise InputError(
        f"column {column!r} holds {type(value).__name__}, expected text", path=source, where=where
    )


def _bootstrap(
    outcomes: dict[str, list[Outcome]], max_k: int, n_boot: int, seed: int, level: float
) -> tuple[dict[str, tuple[list[Any], list[Any]]], Any]:
    """Percentile intervals of every rate, all columns on the same resamples of problems.

    Also returns the resampled rates (resamples x columns x {success, telling} x k), or None.
    """
    import numpy as np

    from edukit.agreement.bootstrap import Resampler, percentile_ci

    cols = list(outcomes)
    n = len(next(iter(outcomes.values())))
    if n_boot <= 0:
        return {c: ([None] * max_k, [None] * max_k) for c in cols}, None
    ks = range(1, max_k + 1)
    # per problem: (columns x {success, telling} x k) indicators
    per = np.array(
        [
            [
                [[o.success(k) for k in ks], [o.telling(k) for k in ks]]
                for o in (outcomes[c][i] for c in cols)
            ]
            for i in range(n)
        ],
        dtype=float,
    )
    sums = Resampler(np.arange(n), n, n_boot=n_boot, seed=seed).tables(per) / n
    out = {}
    for j, c in enumerate(cols):
        pair = []
        for m in range(2):
            pair.append([percentile_ci(sums[:, j, m, k], level)[0] for k in range(max_k)])
        out[c] = (pair[0], pair[1])
    return out, sums


def _differences(tutors: dict[str, TutorRates], sums: Any, level: float) -> list[Difference]:
    """Each further column minus the first, with paired percentile intervals."""
    from edukit.agreement.bootstrap import percentile_ci

    names = list(tutors)
    first = tutors[names[0]]
    out = []
    for j, name in enumerate(names[1:], start=1):
        other = tutors[name]
        rates, cis = [], []
        for m, (a, b) in enumerate(
            ((first.success_at_k, other.success_at_k), (first.telling_at_k, other.telling_at_k))
        ):
            rates.append([x - y for x, y in zip(a, b, strict=True)])
            if sums is None:
                cis.append([None] * len(a))
            else:
                cis.append(
                    [
                        percentile_ci(sums[:, 0, m, k] - sums[:, j, m, k], level)[0]
                        for k in range(len(a))
                    ]
                )
        out.append(Difference(names[0], name, rates[0], rates[1], cis[0], cis[1]))
    return out
