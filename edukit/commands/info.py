"""`edukit info PATH`: detect a corpus and print its counts (issue 2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from edukit.commands.options import ENCODING, SEP, use_dialect

_KIND_NAMES = {
    "mathdial": "MathDial dialogues",
    "mrbench": "MRBench tutor responses",
    "sight": "SIGHT comments (wide sample_dataset layout)",
    "sight-full": "SIGHT comments (space-separated sight_dataset layout)",
    "annotations": "long annotation table",
    "talkmoves": "TalkMoves classroom transcripts",
    "table": "table",
}


def info(
    path: Path = typer.Argument(
        ...,
        help="A corpus or table file (CSV, JSONL, Parquet, JSON), a TalkMoves folder or lesson "
        ".xlsx.",
        show_default=False,
    ),
    prompts: Path | None = typer.Option(
        None, "--prompts", help="SIGHT prompt folder: count only the model versions it names."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Detect what PATH holds and print its counts."""
    from edukit.corpora.detect import summarize

    use_dialect(sep, encoding)

    summary = summarize(path, prompts=prompts)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        typer.echo(format_summary(summary))
    for warning in summary["warnings"]:
        typer.echo(f"Warning: {warning}", err=True)


def format_summary(summary: dict[str, Any]) -> str:
    """The text `edukit info` prints for a `edukit.corpora.detect.summarize` result."""
    kind = summary["kind"]
    lines = [f"{summary['path']}: {_KIND_NAMES[kind]}"]
    if summary.get("separator"):
        lines[0] += f" ({summary['separator']}-separated)"
    if kind == "mathdial":
        lines.append(
            f"{summary['dialogues']:,} dialogues ({summary['qids']:,} distinct qids), "
            f"{summary['turns']:,} turns"
        )
        lines.append("")
        lines += table(["speaker", "turns"], list(summary["speakers"].items()))
        lines.append("")
        lines += table(["move", "teacher turns"], list(summary["moves"].items()))
    elif kind == "mrbench":
        lines[0] += f" ({summary['layout']} layout)"
        dims = ", ".join(summary["dimensions"]) or "none (unlabelled)"
        lines.append(
            f"{summary['dialogues']:,} dialogues ({summary['conversation_ids']:,} distinct "
            f"conversation ids), {summary['responses']:,} responses, "
            f"{summary['annotations']:,} gold labels; dimensions: {dims}"
        )
        lines.append("")
        lines += table(["tutor", "responses"], list(summary["tutors"].items()))
        if summary["by_label"]:
            lines.append("")
            rows = [(r["label"], r["annotated"], _values(r["values"])) for r in summary["by_label"]]
            lines += table(["dimension", "annotated", "values"], rows)
    elif kind == "table":
        lines.append(f"{summary['rows']:,} rows; columns: {', '.join(summary['columns'])}")
    elif kind == "talkmoves":
        lines += _talkmoves_lines(summary)
    else:
        noun = "items" if kind == "annotations" else "comments"
        repeats = summary["rows"] - summary["items"] if kind != "annotations" else 0
        note = (
            f" ({summary['rows']:,} rows: {repeats:,} {'repeat' if repeats != 1 else 'repeats'} "
            "a comment_id, first kept)"
            if repeats
            else ""
        )
        lines.append(
            f"{summary['items']:,} {noun}{note}, {summary['annotations']:,} annotations; "
            f"raters: {', '.join(summary['raters'])}; labels: {', '.join(summary['labels'])}"
        )
        lines.append("")
        rows = [
            (
                r["label"],
                r["rater"],
                r["version"] or "-",
                r["annotated"],
                r["positives"] if "positives" in r else _values(r["values"]),
            )
            for r in summary["by_label"]
        ]
        lines += table(["label", "rater", "version", "annotated", "positives"], rows)
    return "\n".join(lines)


def _talkmoves_lines(summary: dict[str, Any]) -> list[str]:
    subsets = ", ".join(f"{k or 'no subset'}: {v:,}" for k, v in summary["subsets"].items())
    roles = summary["roles"]
    ds = ", ".join(f"{k} {v:,}" for k, v in summary["datasheet"].items())
    lines = [
        f"{summary['lessons']:,} lessons ({subsets}), {summary['sentences']:,} sentences "
        f"({roles['teacher']:,} teacher, {roles['student']:,} student, {roles['other']:,} other), "
        f"{summary['annotations']:,} gold codes; datasheet: {ds}",
    ]
    for side in ("teacher", "student"):
        lines.append("")
        lines += table([f"{side} move", "sentences"], list(summary["moves"][side].items()))
    return lines


def _values(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Plain aligned columns (numbers right-aligned): readable in a terminal and in a pipe."""
    cells = [[str(h) for h in headers]] + [
        [f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows
    ]
    numeric = [all(isinstance(row[i], int) for row in rows) for i in range(len(headers))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for r in cells:
        parts = [
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric, strict=True)
        ]
        out.append("  ".join(parts).rstrip())
    return out


def register(app: typer.Typer) -> None:
    """Add `edukit info` to the root app."""
    app.command("info")(info)
