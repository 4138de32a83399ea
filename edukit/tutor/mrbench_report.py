"""Reports of `edukit tutor score`: Markdown tables and one self-contained HTML file.

The HTML embeds its charts as base64 PNGs (matplotlib, Agg backend): the DAMR table with the best
tutor per dimension marked, a bar chart per dimension across tutors (gold, and the judge's when
there are predictions), the judge's confusion matrices and the provenance block (command, sha256
of every input) the agreement report has.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from edukit.report import figure_png, input_hashes, md_table, template_env, write_report
from edukit.tutor.mrbench_score import TutorScore, desired_values

_ABBREV = {
    "Mistake_Identification": "MI",
    "Mistake_Location": "ML",
    "Revealing_of_the_Answer": "RA",
    "Providing_Guidance": "PG",
    "Actionability": "Act",
    "Coherence": "Coh",
    "Tutor_Tone": "Tone",
    "Humanlikeness": "Hum",
}
_METRIC_NAMES = {
    "exact_macro_f1": "exact macro-F1",
    "exact_accuracy": "exact accuracy",
    "lenient_macro_f1": "lenient macro-F1",
    "lenient_accuracy": "lenient accuracy",
    "kappa": "weighted kappa",
}


def damr_rows(score: TutorScore, judge: bool = False) -> tuple[list[str], list[list[str]]]:
    """The DAMR table (percent; `*` marks the best tutor of a dimension)."""
    table = score.judge_damr if judge else score.damr
    best = (score.judge_best if judge else score.best) or {}
    table = table or {}
    dims = list(dict.fromkeys(d for row in table.values() for d in row))
    header = ["tutor", *[_ABBREV.get(d, d) for d in dims]]
    rows = []
    for tutor, row in table.items():
        cells = [tutor]
        for d in dims:
            v = row[d].damr
            cells.append("-" if v is None else f"{v:.2f}{'*' if tutor in best.get(d, []) else ''}")
        rows.append(cells)
    return header, rows


def metric_rows(score: TutorScore) -> tuple[list[str], list[list[str]]]:
    """Per dimension: the judge's BEA metrics and kappa with 95% intervals, and the floor."""
    header = ["dimension", "n", *_METRIC_NAMES.values(), "majority floor (exact F1 / acc)"]
    rows = []
    for d, s in (score.scores or {}).items():
        cells = [d, str(s.n)]
        for key in _METRIC_NAMES:
            v, ci = s.metrics.get(key), s.ci.get(key)
            one = v is not None and getattr(s, "n_clusters", 0) == 1 and score.n_boot
            cells.append(f"{_fmt(v)} [n/a (1 cluster)]" if one else _fmt(v, ci))
        m = s.majority
        cells.append(
            f"{m['class']}: {_fmt(m.get('exact_macro_f1'))} / {_fmt(m.get('exact_accuracy'))}"
        )
        rows.append(cells)
    return header, rows


def _fmt(v: float | None, ci: Any = None) -> str:
    if v is None:
        return "n/a"
    text = f"{v + 0.0:.3f}"
    if ci:
        text += f" [{ci[0] + 0.0:.3f}, {ci[1] + 0.0:.3f}]"
    return text


def _legend(score: TutorScore) -> str:
    desired = desired_values(score.tone)
    parts = [f"{_ABBREV.get(d, d)} = {d} ({' or '.join(desired[d])})" for d in score.dimensions]
    return (
        "DAMR: percentage of a tutor's responses with the desired label; `*` marks the best "
        "tutor per dimension. " + "; ".join(parts) + "."
    )


def _provenance(inputs: Iterable[str | os.PathLike | None]) -> list[tuple[str, str]]:
    """sha256 of each given input (an optional input left out is None and skipped)."""
    return input_hashes([p for p in inputs if p is not None])


def markdown(
    score: TutorScore, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    """The report's tables as Markdown."""
    parts = [f"## MRBench DAMR (gold labels of {score.source})", _legend(score)]
    parts.append(md_table(*damr_rows(score)))
    if score.scores is not None:
        parts += [
            f"## The judge {score.rater}: DAMR from its labels",
            md_table(*damr_rows(score, judge=True)),
            "## The judge against gold (BEA 2025 metrics)",
            "Values with 95% percentile bootstrap intervals resampling whole conversations "
            f"({score.n_boot} resamples, seed {score.seed}); kappa weights: "
            f"{score.weights or 'none'}, over the declared category order.",
            md_table(*metric_rows(score)),
        ]
        for d, s in score.scores.items():
            header = ["gold \\ predicted", *s.categories]
            rows = [[c, *map(str, row)] for c, row in zip(s.categories, s.confusion, strict=True)]
            parts += [f"### Confusion: {d}", md_table(header, rows)]
    if score.warnings:
        parts.append("\n".join(f"- Warning: {w}" for w in score.warnings))
    hashes = _provenance(inputs)
    if command or hashes:
        parts.append("### Provenance")
        if command:
            parts.append(f"`{command}`")
        parts += [f"- `{p}` sha256 `{h}`" for p, h in hashes]
    return "\n\n".join(parts) + "\n"


def write_markdown(
    score: TutorScore,
    path: str | os.PathLike,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write `markdown(...)` and return the path."""
    return write_report(path, markdown(score, command, inputs))


def dimension_charts(score: TutorScore) -> list[tuple[str, str]]:
    """One bar chart per dimension: DAMR of each tutor (gold, and the judge's beside it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    tutors = score.tutors
    for d in score.dimensions:
        gold = [score.damr[t][d].damr for t in tutors]
        fig, ax = plt.subplots(figsize=(6, 2.6))
        x = np.arange(len(tutors))
        judge = None
        if score.judge_damr and d in next(iter(score.judge_damr.values()), {}):
            judge = [score.judge_damr[t][d].damr for t in tutors]
        width = 0.4 if judge else 0.7
        ax.bar(x - (width / 2 if judge else 0), [v or 0 for v in gold], width, label="gold")
        if judge:
            ax.bar(x + width / 2, [v or 0 for v in judge], width, label=score.rater or "judge")
            ax.legend(fontsize=7)
        ax.set_xticks(x, tutors, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("DAMR (%)")
        ax.set_title(d, fontsize=9)
        out.append((d, figure_png(fig, dpi=90)))
    return out


def confusion_charts(score: TutorScore) -> list[tuple[str, str]]:
    """The judge's confusion matrix per dimension as a heat map (rows gold, columns predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    for d, s in (score.scores or {}).items():
        mat = np.array(s.confusion)
        fig, ax = plt.subplots(figsize=(3.6, 3.2))
        ax.imshow(mat, cmap="Blues")
        short = [
            c.replace(" (and the answer is correct)", " (correct)").replace(
                " (but the answer is incorrect)", " (incorrect)"
            )
            for c in s.categories
        ]
        ax.set_xticks(range(len(short)), short, rotation=30, ha="right", fontsize=7)
        ax.set_yticks(range(len(short)), short, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(d, fontsize=9)
        dark = mat.max() / 2 if mat.size else 0
        for (i, j), v in np.ndenumerate(mat):
            colour = "white" if v > dark else "black"  # readable on the dark cells too
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8, color=colour)
        out.append((d, figure_png(fig, dpi=90)))
    return out


def html(
    score: TutorScore, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    """The self-contained HTML report."""
    import edukit

    tables = [("DAMR from the gold labels", "damr", damr_rows(score))]
    if score.scores is not None:
        tables.append((f"DAMR from the judge {score.rater}", "judge-damr", damr_rows(score, True)))
    template = template_env().get_template("tutor_mrbench.html.j2")
    return template.render(
        version=edukit.__version__,
        source=score.source,
        legend=_legend(score),
        tables=tables,
        metrics=metric_rows(score) if score.scores is not None else None,
        metrics_note=(
            f"95% percentile bootstrap intervals resampling whole conversations ({score.n_boot} "
            f"resamples, seed {score.seed}); kappa weights: {score.weights or 'none'}, over the "
            "declared category order. Lenient metrics merge Yes and To some extent."
        ),
        rater=score.rater,
        charts=dimension_charts(score),
        confusions=confusion_charts(score),
        warnings=score.warnings,
        command=command,
        inputs=_provenance(inputs),
    )


def write_html(
    score: TutorScore,
    path: str | os.PathLike,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write the HTML report and return the path."""
    return write_report(path, html(score, command, inputs))
