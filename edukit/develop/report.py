"""`edukit compare` reports: Markdown tables and one self-contained HTML file.

The HTML (the package's template `compare.html.j2`, plots as base64 PNG through
`edukit.report.figure_png`) holds the ranked table, a heatmap of arms x labels (mean human-model
agreement), the paired-difference matrix, cost per item against agreement with the Pareto front,
the cost plan, the held-out split and the provenance (command, sha256 of every input).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from edukit.agreement.results import verdict_rule
from edukit.develop.paired import multiplicity_note
from edukit.report import METRIC_NAMES, figure_png, input_hashes, md_table, template_env

if TYPE_CHECKING:
    from edukit.develop.result import CompareResult


def holdout_line(result: CompareResult) -> str | None:
    """What the held-out split is and how often it was looked at, in words."""
    h = result.holdout
    if not h:
        return None
    text = (
        f"Held-out split: {h['n_held_out']} of {h['n_items']} gold items set aside "
        f"(fraction {h['fraction']:g}, seed {h['seed']}"
        + (f", by {h['group_col']} clusters" if h.get("group_col") else "")
        + f"); figures here are on the {h['evaluated_on']} items."
    )
    looks = h.get("final_looks", 0)
    if h.get("final"):
        text += f" Final look number {looks} at this split (arm {h['final']})."
        if looks > 1:
            text += (
                f" WARNING: this split has been looked at {looks} times: it is no longer an "
                "untouched test set."
            )
    elif looks:
        text += f" This split has had {looks} final look(s)."
    return text


def plan_rows(plan: list[dict[str, Any]] | None) -> tuple[list[str], list[list[str]]]:
    """The cost plan: one row per arm and a total."""
    header = ["arm", "items", "requests", "cached", "input tokens", "output tokens", "USD"]
    rows = []
    for p in plan or []:
        usd = "unknown" if p.get("cost") is None else f"{p['cost']:.4f}"
        rows.append(
            [
                p["arm"],
                str(p.get("items", "")),
                str(p["requests"]),
                str(p.get("cached", 0)),
                f"{p['input_tokens']:,}",
                f"{p['output_tokens']:,}",
                usd,
            ]
        )
    return header, rows


def markdown(
    result: CompareResult, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    s = result.settings
    name = METRIC_NAMES.get(s.metric, s.metric)
    parts = [
        f"## Compare arms: {name}",
        f"Ranked by mean human-model agreement over labels. Humans: {', '.join(result.humans)}. "
        f"Verdict rule: {verdict_rule(s.margin)}.",
    ]
    line = holdout_line(result)
    if line:
        parts.append(line)
    parts += [md_table(*result.table()), "### Per arm and label", md_table(*result.label_rows())]
    if result.differences:
        parts += [
            "### Paired differences",
            multiplicity_note(s.alpha, len(result.differences)) + ".",
            md_table(*result.difference_rows()),
        ]
    if result.plan:
        parts += ["### Cost plan", md_table(*plan_rows(result.plan))]
    front = result.pareto
    if front:
        parts.append("Cost-agreement Pareto front: " + ", ".join(front))
    parts += [f"- Warning: {w}" for w in result.warnings]
    if command:
        parts += ["### Provenance", f"`{command}`"]
    parts += [f"- `{p}` sha256 `{h}`" for p, h in input_hashes(inputs)]
    parts += [f"- arm `{a}`: {_info(r.info)}" for a, r in result.arms.items() if r.info]
    return "\n\n".join(parts) + "\n"


def _info(info: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in info.items() if v not in (None, ""))


def heatmap_png(result: CompareResult) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    arms = result.ranking
    labels = list(dict.fromkeys(lab for a in arms for lab in result.arms[a].labels))
    if not arms or not labels:
        return None
    mat = np.full((len(arms), len(labels)), np.nan)
    for i, a in enumerate(arms):
        for j, lab in enumerate(labels):
            if lab in result.arms[a].labels:
                mat[i, j] = result.arms[a].labels[lab].human_model_mean.value
    fig, ax = plt.subplots(figsize=(1 + 0.9 * len(labels), 1 + 0.5 * len(arms)))
    im = ax.imshow(
        mat,
        cmap="viridis",
        vmin=min(0.0, np.nanmin(mat)) if np.isfinite(mat).any() else 0,
        vmax=1,
        aspect="auto",
    )
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(arms)), arms)
    for (i, j), v in np.ndenumerate(mat):
        if v == v:
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v < 0.5 else "black",
            )
    fig.colorbar(im, ax=ax, label=f"mean human-model {result.settings.metric}")
    return figure_png(fig)


def difference_matrix(result: CompareResult) -> tuple[list[str], list[list[str]]]:
    """Arms x arms: per cell the labels where the row arm is better than the column arm."""
    arms = result.ranking
    wins: dict[tuple[str, str], list[str]] = {}
    for d in result.differences:
        if d.better == "a":
            wins.setdefault((d.a, d.b), []).append(d.label)
        elif d.better == "b":
            wins.setdefault((d.b, d.a), []).append(d.label)
    header = ["better than →", *arms]
    rows = []
    for r in arms:
        rows.append([r, *("—" if r == c else ", ".join(wins.get((r, c), [])) or "·" for c in arms)])
    return header, rows


def pareto_png(result: CompareResult) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [
        (a, r.cost_per_item, r.mean())
        for a, r in result.arms.items()
        if r.cost_per_item is not None and r.mean() == r.mean()
    ]
    if not pts:
        return None
    front = result.pareto
    fig, ax = plt.subplots(figsize=(6, 4))
    for a, c, v in pts:
        ax.scatter([c], [v], color="C1" if a in front else "C0")
        ax.annotate(a, (c, v), fontsize=8, xytext=(3, 3), textcoords="offset points")
    fp = sorted((c, v) for a, c, v in pts if a in front)
    ax.plot(
        [c for c, _ in fp], [v for _, v in fp], color="C1", linestyle="--", label="Pareto front"
    )
    ax.set_xlabel("USD per item")
    ax.set_ylabel("mean human-model agreement")
    ax.legend()
    return figure_png(fig)


def html(
    result: CompareResult, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    import edukit
    from edukit.report import intervals_note

    class _N:  # intervals_note reads n_boot, seed and groups
        n_boot, seed, groups = result.settings.n_boot, result.settings.seed, result.groups

    s = result.settings
    return (
        template_env()
        .get_template("compare.html.j2")
        .render(
            version=edukit.__version__,
            metric=METRIC_NAMES.get(s.metric, s.metric),
            intervals=intervals_note(_N()),
            verdict_rule=verdict_rule(s.margin),
            holdout=holdout_line(result),
            humans=result.humans,
            table=result.table(),
            labels=result.label_rows(),
            differences=result.difference_rows(),
            multiplicity=multiplicity_note(s.alpha, len(result.differences)),
            matrix=difference_matrix(result),
            heatmap=heatmap_png(result),
            pareto_png=pareto_png(result),
            pareto=result.pareto,
            plan=plan_rows(result.plan),
            warnings=result.warnings,
            command=command,
            inputs=input_hashes(inputs),
            arms=[(a, _info(r.info)) for a, r in result.arms.items()],
        )
    )
