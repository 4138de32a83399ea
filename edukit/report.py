"""Reports of an agreement comparison: one self-contained HTML file, or Markdown tables.

The HTML embeds its plots as base64 PNGs (matplotlib, Agg backend), so it opens offline: the
Table 3-style table with 95% bootstrap intervals, the human IRR vs human-model scatter with its
least-squares line, positive counts per rater, confusion matrices of multi-class labels, and the
exact command and sha256 of every input.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edukit.agreement.compare import Comparison, RatersAgreement

METRIC_NAMES = {
    "cohen": "Cohen's kappa",
    "fleiss": "Fleiss' kappa",
    "alpha": "Krippendorff's alpha",
    "ac1": "Gwet's AC1",
    "percent": "percent agreement",
}

MIN_CORRELATION_LABELS = 3  # the cross-label correlation section needs at least this many labels


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (or of every file under a folder, in sorted order)."""
    from edukit.resources import resolve_input

    h = hashlib.sha256()
    p = resolve_input(path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            h.update(str(f.relative_to(p)).encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def input_hashes(inputs: Iterable[str | os.PathLike]) -> list[tuple[str, str]]:
    return [(os.fspath(p), sha256(p)) for p in inputs]


def fmt(value: float | None, ci: Sequence[float] | None = None, digits: int = 2) -> str:
    """`0.75 [0.66, 0.84]`; `n/a` for an undefined value."""
    if value is None or value != value:
        return "n/a"
    text = _fixed(value, digits)
    if ci is not None:
        text += f" [{_fixed(ci[0], digits)}, {_fixed(ci[1], digits)}]"
    return text


def _fixed(x: float, digits: int) -> str:
    """Fixed-point text without a negative zero (-0.001 -> 0.00)."""
    if x != x:
        return "n/a"
    return f"{round(float(x), digits) + 0.0:.{digits}f}"


def table_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the Table 3-style table (values with 95% intervals)."""
    header = ["label", "n", "human-human"]
    for m in comparison.models:
        header += [
            f"n ({m})",
            f"human-{m} (mean)",
            f"{m} vs majority",
            f"n (same items, {m})",
            "human-human (same items)",
            f"human-{m} (same items)",
            f"difference ({m})",
            f"as good? (margin {comparison.margin:g})",
        ]
    rows = []
    for name, lab in comparison.labels.items():
        hh = lab.human_human
        row = [name, str(_n_items(lab)), fmt(hh.value, hh.ci) + _why(hh.reason)]
        for m in comparison.models:
            mean, maj, diff = lab.human_model_mean[m], lab.model_vs_majority[m], lab.difference[m]
            same = lab.same_items.get(m, {})
            s_hh, s_hm = same.get("human_human"), same.get("human_model")
            verdict = lab.verdict.get(m)
            row += [
                str(mean.n),
                fmt(mean.value, mean.ci) + _why(mean.reason),
                fmt(maj.value, maj.ci),
                str(diff.n),
                fmt(s_hh.value, s_hh.ci) if s_hh else "n/a",
                fmt(s_hm.value, s_hm.ci) if s_hm else "n/a",
                fmt(diff.value, diff.ci) + _why(diff.reason if diff.value != diff.value else None),
                "n/a" if verdict is None else verdict,
            ]
        rows.append(row)
    return header, rows


def classification_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Accuracy and macro-F1 (with intervals) of each model against each human, multi-class."""
    header = ["label", "model", "human", "n", "accuracy", "macro-F1"]
    rows = []
    for name, lab in comparison.labels.items():
        for m, per in lab.classification.items():
            for h, sc in per.items():
                acc, f1 = sc["accuracy"], sc["macro_f1"]
                rows.append([name, m, h, str(acc.n), fmt(acc.value, acc.ci), fmt(f1.value, f1.ci)])
    return header, rows


def warning_lines(comparison: Comparison) -> list[str]:
    """Partial coverage and constant raters, one line each, prefixed with the label."""
    return [f"{name}: {w}" for name, lab in comparison.labels.items() for w in lab.warnings]


def show_correlation(comparison: Comparison) -> bool:
    """The cross-label correlation is shown only with at least 3 labels."""
    return len(comparison.labels) >= MIN_CORRELATION_LABELS


def domain_lines(comparison: Comparison | RatersAgreement) -> list[str]:
    """One line per label: its category domain, its order and where it came from."""
    domains = (
        {n: lab.domain for n, lab in comparison.labels.items()}
        if hasattr(comparison, "humans")
        else getattr(comparison, "domains", {})
    )
    return [f"{name}: {d.describe()}" for name, d in domains.items()]


def confusion_markdown(comparison: Comparison) -> list[str]:
    """Confusion matrices as Markdown tables (rows human, columns model)."""
    parts = []
    for name, lab in comparison.labels.items():
        for m, per in lab.confusion.items():
            for h, cm in per.items():
                header = [f"{h} \\ {m}", *cm["labels"]]
                rows = [
                    [lbl, *map(str, row)]
                    for lbl, row in zip(cm["labels"], cm["matrix"], strict=True)
                ]
                parts += [f"**{name}**: {h} (rows) vs {m} (columns)", md_table(header, rows)]
    return parts


def pair_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Every human-model pair, and for binary labels AC1 and specific agreement beside it."""
    header = ["label", "model", "human", "n", comparison.metric, "AC1", "pos. agr.", "neg. agr."]
    rows = []
    for name, lab in comparison.labels.items():
        for m, per in lab.human_model.items():
            for h, e in per.items():
                ac1 = spec_p = spec_n = "-"
                if lab.kind == "binary" and "human_model" in lab.ac1:
                    a = lab.ac1["human_model"][m][h]
                    s = lab.specific["human_model"][m][h]
                    ac1 = fmt(a.value, a.ci)
                    spec_p = fmt(s["positive"].value, s["positive"].ci)
                    spec_n = fmt(s["negative"].value, s["negative"].ci)
                rows.append([name, m, h, str(e.n), fmt(e.value, e.ci), ac1, spec_p, spec_n])
    return header, rows


def per_class_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Precision, recall and F1 per class of each multi-class label (human as the reference)."""
    header = ["label", "model", "human", "class", "precision", "recall", "F1", "support"]
    rows = []
    for name, lab in comparison.labels.items():
        for m, per in lab.confusion.items():
            for h, cm in per.items():
                for cls, sc in cm["per_class"].items():
                    rows.append(
                        [
                            name,
                            m,
                            h,
                            cls,
                            fmt(sc["precision"]),
                            fmt(sc["recall"]),
                            fmt(sc["f1"]),
                            str(sc["support"]),
                        ]
                    )
    return header, rows


def _n_items(lab: Any) -> int:
    """Items behind a label's row: the humans' shared items, else (one human) the model's."""
    if lab.human_human.n:
        return lab.human_human.n
    return max((e.n for per in lab.human_model.values() for e in per.values()), default=0)


def intervals_note(comparison: Comparison | RatersAgreement) -> str:
    """How the intervals were made, for titles and notes."""
    if not comparison.n_boot:
        return "no bootstrap intervals (--n-boot 0)"
    group = getattr(comparison, "groups", None)  # RatersAgreement has no groups
    how = f"resampling whole {group} groups" if group else "resampling items"
    return (
        f"95% percentile bootstrap intervals ({comparison.n_boot} resamples, "
        f"seed {comparison.seed}, {how})"
    )


def count_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Positive counts (and prevalence) per rater for binary labels."""
    raters = [*comparison.humans, *comparison.models]
    header = ["label", *raters]
    rows = []
    for name, lab in comparison.labels.items():
        if lab.kind != "binary":
            continue
        rows.append(
            [name]
            + [
                f"{lab.positives.get(r, 0)} / {lab.n_rated.get(r, 0)} "
                f"({fmt(100 * lab.prevalence.get(r, float('nan')), digits=1)}%)"
                for r in raters
            ]
        )
    return header, rows


def _why(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def _domain_note(comparison: Comparison | RatersAgreement) -> str:
    if comparison.categories is None:
        head = (
            "Category domains (numbers ordered by value; text unordered unless declared); "
            "chance terms use the declared domain, else the categories of the raters compared: "
        )
    else:
        head = (
            "Categories declared (--categories), in order: "
            + ", ".join(map(str, comparison.categories))
            + ". Per label: "
        )
    return head + "; ".join(domain_lines(comparison))


def figure_png(fig: Any, dpi: int = 110) -> str:
    """A matplotlib figure as base64 PNG (for an `<img src="data:...">`); the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def template_env() -> Any:
    """The Jinja2 environment of the package's own report templates (edukit/templates)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("edukit", "templates"), autoescape=select_autoescape(["html", "j2"])
    )


def write_report(path: str | os.PathLike, text: str) -> Path:
    """Write a report's text (UTF-8) to `path` and return the path."""
    out = Path(path)
    out.write_text(text, encoding="utf-8")
    return out


def scatter_png(comparison: Comparison) -> str | None:
    """Human IRR (x) vs mean human-model agreement (y), one point per label, fitted line.

    None when no label has both values (e.g. a single human rater): nothing to plot.
    """
    if not any(c.get("x") for c in comparison.correlation.values()):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for i, m in enumerate(comparison.models):
        c = comparison.correlation[m]
        xs, ys = c.get("x", []), c.get("y", [])
        color = f"C{i}"
        ax.scatter(xs, ys, color=color, label=m)
        for x, y, name in zip(xs, ys, c.get("labels", []), strict=False):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)
        if c.get("slope") is not None and c["slope"] == c["slope"]:
            grid = np.linspace(min(xs), max(xs), 20)
            ax.plot(
                grid,
                c["slope"] * grid + c["intercept"],
                color=color,
                lw=1.5,
                label=f"{m}: y = {c['slope']:.2f}x {c['intercept']:+.2f}, r = {c['pearson']:.2f}",
            )
    name = METRIC_NAMES.get(comparison.metric, comparison.metric)
    ax.set_xlabel(f"human-human {name}")
    ax.set_ylabel(f"mean human-model {name}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return figure_png(fig)


def counts_png(comparison: Comparison) -> str | None:
    """Grouped bars: positive count per binary label and rater."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = [n for n, lab in comparison.labels.items() if lab.kind == "binary"]
    if not labels:
        return None
    raters = [*comparison.humans, *comparison.models]
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.9), 4))
    width = 0.8 / len(raters)
    x = np.arange(len(labels))
    for j, r in enumerate(raters):
        counts = [comparison.labels[n].positives.get(r, 0) for n in labels]
        ax.bar(x + j * width - 0.4 + width / 2, counts, width, label=r)
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_ylabel("positive ratings")
    ax.legend(fontsize=8)
    return figure_png(fig)


def confusion_pngs(comparison: Comparison) -> list[tuple[str, str]]:
    """One heat map per multi-class label, model and human."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    for name, lab in comparison.labels.items():
        for m, per in lab.confusion.items():
            for h, cm in per.items():
                mat = np.array(cm["matrix"])
                k = len(cm["labels"])
                fig, ax = plt.subplots(figsize=(1.2 + 0.6 * k, 1.0 + 0.6 * k))
                ax.imshow(mat, cmap="Blues")
                ax.set_xticks(range(k), cm["labels"], rotation=45, ha="right")
                ax.set_yticks(range(k), cm["labels"])
                ax.set_xlabel(m)
                ax.set_ylabel(h)
                top = mat.max() if mat.size else 0
                for (i, j), v in np.ndenumerate(mat):
                    # white on dark cells, black on light ones: readable on every shade
                    color = "white" if top and v > top / 2 else "black"
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8, color=color)
                out.append((f"{name}: {h} (rows) vs {m} (columns)", figure_png(fig)))
    return out


def _context(
    comparison: Comparison,
    command: str | None,
    inputs: Iterable[str | os.PathLike],
    redaction: list[tuple[str, str]] | None = None,
):
    import edukit

    header, rows = table_rows(comparison)
    pheader, prows = pair_rows(comparison)
    cheader, crows = count_rows(comparison)
    return {
        "intervals": intervals_note(comparison),
        "per_class": per_class_rows(comparison),
        "version": edukit.__version__,
        "metric": METRIC_NAMES.get(comparison.metric, comparison.metric),
        "comparison": comparison,
        "domain_note": _domain_note(comparison),
        "as_good_note": comparison.verdict_rule,
        "warnings": warning_lines(comparison),
        "classification": classification_rows(comparison),
        "show_correlation": show_correlation(comparison),
        "groups": comparison.groups,
        "table": (header, rows),
        "pairs": (pheader, prows),
        "counts": (cheader, crows),
        "correlation": comparison.correlation,
        "command": command,
        "inputs": input_hashes(inputs),
        "redaction": redaction or [],
    }


def html(
    comparison: Comparison,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    redaction: list[tuple[str, str]] | None = None,
) -> str:
    """The self-contained HTML report (plots embedded as base64 PNG).

    `redaction`: (rater, what text its annotations came from), shown under Provenance."""
    env = template_env()
    ctx = _context(comparison, command, inputs, redaction)
    ctx["scatter"] = scatter_png(comparison) if ctx["show_correlation"] else None
    ctx["counts_png"] = counts_png(comparison)
    ctx["confusions"] = confusion_pngs(comparison)
    return env.get_template("report.html.j2").render(**ctx)


def write_html(
    comparison: Comparison,
    path: str | os.PathLike,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write the self-contained HTML report (plots embedded) and return its path."""
    return write_report(path, html(comparison, command, inputs))


def md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in [header, *rows]]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines)


def markdown(
    comparison: Comparison,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    redaction: list[tuple[str, str]] | None = None,
) -> str:
    """The report's tables as Markdown (for a paper draft or a notebook)."""
    ctx = _context(comparison, command, inputs, redaction)
    parts = [
        f"## Agreement: {ctx['metric']}",
        f"Values with {ctx['intervals']}. Each comparison uses the items its raters rated "
        "(n beside it). Verdict rule: " + ctx["as_good_note"] + ".",
        ctx["domain_note"],
    ]
    if ctx["warnings"]:
        parts.append("\n".join(f"- **Warning**: {w}" for w in ctx["warnings"]))
    parts += [
        md_table(*ctx["table"]),
        "### Each human-model pair",
        md_table(*ctx["pairs"]),
    ]
    if ctx["classification"][1]:
        parts += [
            "### Accuracy and macro-F1 (multi-class labels)",
            md_table(*ctx["classification"]),
        ]
        parts += ["### Confusion matrices", *confusion_markdown(comparison)]
    if ctx["counts"][1]:
        parts += ["### Positive ratings per rater", md_table(*ctx["counts"])]
    if ctx["per_class"][1]:
        parts += ["### Per-class precision, recall and F1", md_table(*ctx["per_class"])]
    correlation = comparison.correlation.items() if ctx["show_correlation"] else []
    if ctx["show_correlation"]:
        parts.append("### Human IRR vs human-model agreement across labels")
    for m, c in correlation:
        if c.get("reason"):
            parts.append(f"- {m}: {c['reason']}")
        else:
            parts.append(
                f"- {m}: Pearson r = {c['pearson']:.2f} (p = {c['pearson_p']:.3f}), Spearman "
                f"rho = {c['spearman']:.2f}, line y = {c['slope']:.2f}x {c['intercept']:+.2f} "
                f"over {c['n_labels']} labels. {c['caveat']}"
            )
    if command:
        parts += ["### Provenance", f"`{command}`"]
    parts += [f"- `{p}` sha256 `{h}`" for p, h in ctx["inputs"]]
    parts += [f"- rater `{r}`: {what}" for r, what in ctx["redaction"]]
    return "\n\n".join(parts) + "\n"


def write_markdown(
    comparison: Comparison,
    path: str | os.PathLike,
    command: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write `markdown(...)` to a file and return its path."""
    return write_report(path, markdown(comparison, command, inputs))


def raters_markdown(result: RatersAgreement) -> str:
    """The `--raters` table as Markdown."""
    name = METRIC_NAMES.get(result.metric, result.metric)
    rows = [
        [label, str(e.n), fmt(e.value, e.ci, 3) + _why(e.reason)]
        for label, e in result.labels.items()
    ]
    return (
        f"## {name} over {', '.join(result.raters)}\n\n{_domain_note(result)}\n\n"
        + md_table(["label", "n", f"{name} [95% CI]"], rows)
        + "\n"
    )
