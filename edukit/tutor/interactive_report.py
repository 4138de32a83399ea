"""The HTML report of an interactive tutor evaluation: rates with intervals, plot, per problem."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edukit.tutor.interactive_score import InteractiveScore

MEANING = (
    "Success@k: the share of conversations in which the simulated student states the correct "
    "answer within k of its turns after its walk-through (higher is better). Telling@k: the "
    "share in which the tutor states the answer no later than the student and within k, i.e. "
    "gives the solution away (lower is better). Counting follows MathDial's evaluate.py: a "
    "role's turns before its first mention of the answer are counted from 0."
)


def _fmt(value: float, ci: tuple[float, float] | None, signed: bool = False) -> str:
    spec = "+.3f" if signed else ".3f"
    text = format(value, spec)
    return f"{text} [{format(ci[0], spec)}, {format(ci[1], spec)}]" if ci else text


def rate_rows(score: InteractiveScore) -> tuple[list[str], list[list[str]]]:
    """One row per k; Success@k and Telling@k of each tutor column side by side."""
    header = ["k"]
    for name in score.tutors:
        header += [f"{name} Success@k", f"{name} Telling@k"]
    rows = []
    for k in range(score.max_k):
        row = [str(k + 1)]
        for t in score.tutors.values():
            row += [
                _fmt(t.success_at_k[k], t.success_ci[k]),
                _fmt(t.telling_at_k[k], t.telling_ci[k]),
            ]
        rows.append(row)
    return header, rows


def difference_rows(score: InteractiveScore) -> tuple[list[str], list[list[str]]]:
    """One row per k; each further column's paired difference from the first."""
    header = ["k"]
    for d in score.differences:
        header += [f"{d.a} - {d.b} Success@k", f"{d.a} - {d.b} Telling@k"]
    rows = []
    for k in range(score.max_k if score.differences else 0):
        row = [str(k + 1)]
        for d in score.differences:
            row += [
                _fmt(d.success_at_k[k], d.success_ci[k], signed=True),
                _fmt(d.telling_at_k[k], d.telling_ci[k], signed=True),
            ]
        rows.append(row)
    return header, rows


def problem_rows(score: InteractiveScore) -> tuple[list[str], list[list[str]]]:
    """One row per problem: its answer and each tutor column's first mentions."""
    header = ["problem", "answer"]
    for name in score.tutors:
        header += [f"{name}: student", f"{name}: teacher"]
    rows = []
    for i, (pid, answer) in enumerate(zip(score.problem_ids, score.answers, strict=True)):
        row = [pid, answer]
        for t in score.tutors.values():
            o = t.outcomes[i]
            row += ["" if o.student is None else str(o.student)]
            row += ["" if o.teacher is None else str(o.teacher)]
        rows.append(row)
    return header, rows


def plot_png(score: InteractiveScore) -> str:
    """Success@k (solid) and Telling@k (dashed) per tutor column, with interval bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edukit.report import figure_png

    ks = list(range(1, score.max_k + 1))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, (name, t) in enumerate(score.tutors.items()):
        color = f"C{i}"
        for values, cis, style, what in (
            (t.success_at_k, t.success_ci, "-", "Success@k"),
            (t.telling_at_k, t.telling_ci, "--", "Telling@k"),
        ):
            ax.plot(ks, values, style, color=color, marker="o", label=f"{name} {what}")
            if all(c is not None for c in cis):
                ax.fill_between(
                    ks, [c[0] for c in cis], [c[1] for c in cis], color=color, alpha=0.12
                )
    ax.set_xlabel("k (student turns after the walk-through)")
    ax.set_ylabel("share of conversations")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return figure_png(fig)


def html(
    score: InteractiveScore, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    """The self-contained HTML report (plot embedded as base64 PNG)."""
    import edukit
    from edukit.report import input_hashes, template_env

    if score.n_boot:
        level = round(score.level * 100)
        intervals = (
            f"Brackets: {level}% percentile bootstrap intervals over problems "
            f"({score.n_boot} resamples, seed {score.seed}; the same resamples for every tutor)."
        )
    else:
        intervals = "No intervals (--n-boot 0)."
    ctx: dict[str, Any] = {
        "version": edukit.__version__,
        "n": score.n,
        "source": score.source,
        "intervals": intervals,
        "meaning": MEANING,
        "warnings": score.warnings,
        "plot": plot_png(score),
        "rates": rate_rows(score),
        "differences": difference_rows(score),
        "problems": problem_rows(score),
        "command": command,
        "inputs": input_hashes(inputs),
    }
    return template_env().get_template("tutor_interactive.html.j2").render(**ctx)


def write_html(
    score: InteractiveScore,
    path: str | os.PathLike,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write the HTML report and return its path."""
    from edukit.report import write_report

    return write_report(path, html(score, command, inputs))
