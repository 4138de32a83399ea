"""`edukit datasets list|fetch`: the corpus catalogue (issue 2)."""

from __future__ import annotations

from pathlib import Path

import typer

datasets_app = typer.Typer(
    help="The known corpora: list them, fetch their official files.", no_args_is_help=True
)


@datasets_app.command("list")
def list_datasets() -> None:
    """Show the known corpora (licence, citation, homepage) and the bundled samples."""
    from edukit.datasets import CATALOGUE

    for i, ds in enumerate(CATALOGUE.values()):
        if i:
            typer.echo("")
        typer.echo(f"{ds.name}: {ds.title}")
        typer.echo(f"  {ds.description}")
        typer.echo(f"  licence:  {ds.licence}")
        typer.echo(f"  homepage: {ds.homepage}")
        typer.echo(f"  files:    {len(ds.files)} (sha256-checked)")
        typer.echo(f"  cite:     {ds.citation}")
    from edukit.resources import samples

    named = samples()
    width = max(len(name) for name in named) + len("sample:")
    typer.echo("")
    typer.echo("Bundled synthetic samples (give sample:NAME wherever edukit reads a file):")
    for name, sample in named.items():
        typer.echo(f"  {'sample:' + name:<{width}}  {sample.description}")


@datasets_app.command("fetch")
def fetch_dataset(
    name: str = typer.Argument(..., help="Dataset name: mathdial, sight or talkmoves."),
    dest: Path = typer.Option(..., "--dest", help="Folder to download into (created)."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Fetch from this mirror instead of GitHub (e.g. a local server)."
    ),
) -> None:
    """Download a corpus's official files, resumably, checking each file's sha256."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    from edukit.datasets import fetch, get_dataset

    n_files = len(get_dataset(name).files)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
    ) as bar:
        files = bar.add_task(f"{name}", total=n_files)
        current = bar.add_task("", total=None, visible=False)
        seen: set[str] = set()

        def progress(path: str, done: int, total: int | None) -> None:
            if path not in seen:
                seen.add(path)
                bar.update(files, completed=len(seen) - 1)
                bar.reset(current, total=total, description=path, visible=True)
            bar.update(current, completed=done, total=total)

        result = fetch(name, dest, base_url=base_url, progress=progress)
        bar.update(files, completed=n_files)
    typer.echo(
        f"{name}: {len(result.status)} files in {result.dest} "
        f"({result.count('downloaded')} downloaded, {result.count('resumed')} resumed, "
        f"{result.count('present')} already present), sha256 verified"
    )


def register(app: typer.Typer) -> None:
    """Add `edukit datasets ...` to the root app."""
    app.add_typer(datasets_app, name="datasets")
