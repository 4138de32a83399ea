"""`edukit prices`: the dated price table behind --dry-run and --max-cost (issue 18)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import typer


def prices() -> None:
    """Show the built-in price table, its date, and where your override file is read from."""
    from edukit.annotate.cost import load_prices, user_prices_dir, user_prices_path

    override = user_prices_path()
    table = load_prices()  # a broken override file is an error naming its line
    packaged = resources.files("edukit").joinpath("data", "prices.json")
    checked = json.loads(packaged.read_text(encoding="utf-8")).get("checked", "unknown")
    typer.echo(f"Built-in prices in {table.currency} per 1M tokens, checked {checked}")
    if table.checked != checked:
        typer.echo(f"Your price file says it was checked {table.checked}")
    typer.echo(f"Source: {table.source}")
    typer.echo(f"Batch API: {table.batch_discount:.0%} off unless a model says otherwise")
    own = set()
    if override is not None:
        from edukit.annotate.cost import _read_override

        own = set(_read_override(override).models)
    rows = []
    for name, price in table.models.items():
        mark = " (yours)" if name in own else ""
        if price is None:
            rows.append((name, "-", "-", "no price: cost unknown" + mark))
        else:
            rows.append((name, f"{price.input:.2f}", f"{price.output:.2f}", mark.strip()))
    width = max(len("model"), *(len(r[0]) for r in rows))
    typer.echo(f"  {'model':<{width}}  {'input':>7}  {'output':>7}")
    for name, tin, tout, note in rows:
        typer.echo(f"  {name:<{width}}  {tin:>7}  {tout:>7}  {note}".rstrip())
    if override is not None:
        typer.echo(f"Your prices: {_tilde(override)} (read; its models replace the built-in ones)")
    else:
        typer.echo(
            f"Your prices: {_tilde(user_prices_dir() / 'prices.toml')} (or prices.json) is read "
            "when it exists; none there now"
        )
    typer.echo("Models with no price report 'cost unknown', never $0.")


def _tilde(path: Path) -> str:
    """`~/...` for a path under the home folder, as a user would type it."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def register(app: typer.Typer) -> None:
    """Add `edukit prices` to the root app."""
    app.command("prices")(prices)
