"""Reports of `estimate` and `relate`: Markdown tables, and one self-contained HTML file with the
provenance block (which model run, which human raters, how the human sample was drawn, the exact
command and the sha256 of every input)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from edukit.report import fmt, input_hashes, md_table, template_env

if TYPE_CHECKING:
    from edukit.findings.estimate import Estimates
    from edukit.findings.relate import Relation

METHOD_NAMES = {
    "model": "model only (biased)",
    "human": "human only",
    "ppi": "prediction-powered (PPI++)",
}


def _cell(est, digits: int = 3) -> str:
    if est is None:
        return "-"
    if est.value is None:
        return f"n/a ({est.reason})" if est.reason else "n/a"
    return fmt(est.value, est.ci, digits)


def estimate_rows(result: Estimates, labels: dict | None = None, group: str | None = None):
    """Header and rows: one row per label and category, the methods side by side."""
    methods = list(result.settings.methods)
    header = ([result.settings.by] if group is not None else []) + ["label", "category"]
    header += [f"{METHOD_NAMES[m]} [95% CI]" for m in methods]
    if "ppi" in methods:
        header += ["lambda", "effective n"]
    header += ["n human-coded", "n items"]
    rows = []
    for label, cats in (labels if labels is not None else result.labels).items():
        for cat, per in cats.items():
            row = ([group] if group is not None else []) + [label, cat]
            row += [_cell(per.get(m)) for m in methods]
            ppi = per.get("ppi")
            if ppi is not None:
                lam, eff = ppi.extra.get("lambda"), ppi.extra.get("effective_n")
                row += [
                    fmt(lam) if lam is not None else "n/a",
                    "n/a" if eff is None else f"{eff:g}",
                ]
            any_est = next(iter(per.values()))
            n_items = (
                per["model"].n if "model" in per else ppi.extra.get("n_model", "") if ppi else ""
            )
            n_coded = per["human"].n if "human" in per else ppi.n if ppi else any_est.n
            row += [str(n_coded), str(n_items)]
            rows.append(row)
    return header, rows


def _opt(value, show) -> str:
    return "n/a" if value is None else show(value)


def _estimate_intro(result: Estimates) -> list[str]:
    s = result.settings
    pct = round(100 * s.confidence)
    return [
        f"Prevalence of each category: {s.model}'s labels on {result.n_items:,} items, "
        f"{', '.join(s.humans)} on {result.n_coded:,} of them. {pct}% intervals.",
        "Model only counts the model's labels: its interval is narrow but ignores the model's "
        "errors (biased). Human only uses the human-coded items alone. Prediction-powered "
        "(PPI++, Angelopoulos et al. 2023, ppi-python) corrects the model's count with the "
        "human-coded items; lambda is its power-tuning weight, effective n the human labels "
        "the model's labels are worth.",
        "Several humans: an item's human label of a category is the share of the listed humans "
        "who chose it.",
        f"Human sample: {result.selection.description}.",
    ]


def estimate_markdown(
    result: Estimates, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    parts = ["## Estimates", *_estimate_intro(result), md_table(*estimate_rows(result))]
    if result.settings.by:
        parts.append(f"### Per {result.settings.by}")
        header, rows = None, []
        for g, labels in result.groups.items():
            header, r = estimate_rows(result, labels, g)
            rows += r
        if header:
            parts.append(md_table(header, rows))
    parts += [f"- {n}" for n in result.notes]
    parts += _provenance_md(result.provenance, command, inputs)
    return "\n\n".join(parts) + "\n"


def estimate_html(
    result: Estimates, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    sections = [dict(title="Whole corpus", id="estimates", **_table(estimate_rows(result)))]
    if result.settings.by:
        for i, (g, labels) in enumerate(result.groups.items()):
            rows = estimate_rows(result, labels, g)
            sections.append(
                dict(title=f"{result.settings.by}: {g}", id=f"group{i}", **_table(rows))
            )
    return _render(
        "estimate",
        "Estimates from model labels and a human-coded sample",
        _estimate_intro(result),
        sections,
        [],
        [],
        result.notes,
        result.provenance,
        command,
        inputs,
    )


def _table(header_rows) -> dict:
    return {"header": header_rows[0], "rows": header_rows[1]}


def relate_rows(result: Relation):
    has_ppi = any(c.ppi for c in result.coefficients.values())
    header = ["term", "naive coef [95% CI]", "SE", "p"]
    if has_ppi:
        header += ["PPI coef [95% CI]", "human only [95% CI]", "lambda", "effective n"]
    rows = []
    for name, c in result.coefficients.items():
        n = c.naive
        row = [name, fmt(n["coef"], n["ci"], 3), fmt(n["se"], digits=3), f"{n['p']:.2g}"]
        if has_ppi:
            p = c.ppi
            if p:
                h = p["human_only"]
                eff = p["effective_n"]
                row += [
                    fmt(p["coef"], p["ci"], 3),
                    fmt(h["coef"], h["ci"], 3),
                    fmt(p["lambda"]),
                    "n/a" if eff is None else f"{eff:g}",
                ]
            else:
                row += ["-"] * 4
        rows.append(row)
    return header, rows


def _relate_intro(result: Relation) -> list[str]:
    s = result.settings
    text = [
        f"OLS of {s.y} on {', '.join([*s.x, *s.covariates])} with an intercept"
        + (f" and {s.fixed_effects} fixed effects" if s.fixed_effects else "")
        + f", {result.n} rows joined on {s.on}; standard errors {result.se_type}."
    ]
    if result.n_human_coded:
        text.append(
            f"PPI: {result.n_human_coded} groups with human-coded rates correct the model's rates "
            "(PPI++ least squares with predicted covariates or outcome)."
        )
    return text


def relate_markdown(
    result: Relation, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    parts = ["## Relation to outcomes", *_relate_intro(result), md_table(*relate_rows(result))]
    parts += [f"- {c.sentence}" for c in result.coefficients.values()]
    parts += [f"- {n}" for n in result.notes]
    parts += _provenance_md(result.provenance, command, inputs)
    return "\n\n".join(parts) + "\n"


def relate_html(
    result: Relation, command: str | None = None, inputs: Iterable[str | os.PathLike] = ()
) -> str:
    return _render(
        "relate",
        f"{result.settings.y} and the rates",
        _relate_intro(result),
        [dict(title="Coefficients", id="coefficients", **_table(relate_rows(result)))],
        [c.sentence for c in result.coefficients.values()],
        scatter_pngs(result),
        result.notes,
        result.provenance,
        command,
        inputs,
    )


def scatter_pngs(result: Relation) -> list[tuple[str, str]]:
    """Per rate: outcome against rate, the naive fitted line (covariates at their means) and,
    when there is one, the prediction-powered line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from edukit.report import figure_png

    s, df = result.settings, result.data
    out = []
    for x in s.x:
        fig, ax = plt.subplots(figsize=(5.6, 4.2))
        xs = df[x].to_numpy(float)
        ax.scatter(xs, df["_y"], s=12, alpha=0.5, color="C0", label="groups (model's rates)")
        human = result.human_data
        if human is not None:
            ax.scatter(
                human[x], human["_y"], s=14, alpha=0.8, color="C1", marker="^",
                label="human-coded groups (humans' rates)",
            )  # fmt: skip
            xs = np.concatenate([xs, human[x].to_numpy(float)])
        grid = np.linspace(np.nanmin(xs), np.nanmax(xs), 20)
        lines = (("naive", "-", "C0", "naive OLS"), ("ppi", "--", "C1", "PPI (humans' scale)"))
        for key, style, color, name in lines:
            coefs = {k: getattr(c, key) for k, c in result.coefficients.items()}
            if any(v is None for v in coefs.values()):
                continue
            base = coefs["const"]["coef"] + sum(
                coefs[o]["coef"] * float(df[o].mean()) for o in [*s.x, *s.covariates] if o != x
            )
            ax.plot(grid, base + coefs[x]["coef"] * grid, style, color=color, lw=1.8, label=name)
        ax.set_xlabel(x)
        ax.set_ylabel(s.y)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        out.append((f"{s.y} against {x}, fitted lines", figure_png(fig)))
    return out


def _provenance_md(provenance: dict, command, inputs) -> list[str]:
    parts = ["### Provenance"]
    parts += [f"- {k}: {v}" for k, v in provenance.items()]
    if command:
        parts.append(f"```\n{command}\n```")
    parts += [f"- `{p}` sha256 `{h}`" for p, h in input_hashes(inputs)]
    return parts


def _render(kind, title, intro, sections, lines, figures, notes, provenance, command, inputs):
    import edukit

    return (
        template_env()
        .get_template("findings.html.j2")
        .render(
            kind=kind,
            title=title,
            version=edukit.__version__,
            intro=intro,
            sections=sections,
            lines=lines,
            figures=figures,
            notes=notes,
            provenance=list(provenance.items()),
            command=command,
            inputs=input_hashes(inputs),
        )
    )
