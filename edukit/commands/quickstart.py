"""`edukit quickstart [--dir DIR] [--model NAME [--base-url URL]]` (issue 7)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add `quickstart` to the root app."""
    app.command("quickstart")(quickstart)


def quickstart(
    dir: Path = typer.Option(
        Path("edukit-quickstart"), "--dir", help="Folder for every output (created if needed)."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Also annotate with this LLM through the annotation engine."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, ...)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Run the whole pipeline on the bundled samples (offline unless --model is given)."""
    from edukit.paths import check_url
    from edukit.quickstart import run_quickstart

    check_url(base_url)

    result = run_quickstart(dir, model=model, base_url=base_url, progress=not quiet)
    s = result.summary
    typer.echo(
        f"edukit quickstart: {s.get('train_comments', 0)} training and "
        f"{s.get('test_comments', 0)} test comments from the SIGHT sample, "
        f"{len(s.get('baseline_labels', []))} labels learned by {_BASELINE}"
        + (f", annotated by {s['model']}" if s.get("model") else "")
        + f" ({result.seconds:.1f} s)"
    )
    agreement = s.get("agreement") or {}
    if agreement:
        raters = list(next(iter(agreement.values())))
        typer.echo(
            f"Agreement on the test split ({s.get('agreement_metric', 'cohen')}; human_human = "
            "H1 vs H2, a model = its mean over H1 and H2):"
        )
        width = max(len(k) for k in agreement)
        typer.echo("  " + "label".ljust(width) + "".join(f"  {r:>18}" for r in raters))
        for label, row in agreement.items():
            cells = "".join(f"  {_fmt(row.get(r)):>18}" for r in raters)
            typer.echo(f"  {label.ljust(width)}{cells}")
    typer.echo("Outputs:")
    for name, path in result.outputs.items():
        typer.echo(f"  {name}: {path}")
    for note in result.skipped:
        typer.echo(f"Note: {note}")


_BASELINE = "local:tfidf-logreg"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
