"""`edukit agree ANNOTATIONS...`: human IRR vs human-model agreement (issue 5)."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, SEP, use_dialect


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def register(app: typer.Typer) -> None:
    """Add `edukit agree` to the root app."""

    @app.command("agree")
    def agree(
        annotations: list[Path] = typer.Argument(
            ...,
            help="Long annotation files (item_id, rater, label, value[, version]) or a SIGHT "
            "wide file (sample_dataset.csv).",
            show_default=False,
        ),
        humans: str | None = typer.Option(None, "--humans", help="Human raters: H1,H2."),
        models: str | None = typer.Option(None, "--models", help="Model raters: M1[,M2]."),
        raters: str | None = typer.Option(
            None, "--raters", help="Instead of --humans/--models: one coefficient over A,B,C."
        ),
        metric: str | None = typer.Option(
            None, "--metric", help="cohen|fleiss|alpha|ac1|percent [cohen; fleiss with --raters]"
        ),
        level: str = typer.Option(
            "nominal", "--level", help="alpha's level: nominal|ordinal|interval|ratio."
        ),
        weights: str | None = typer.Option(
            None, "--weights", help="linear|quadratic (Cohen's kappa, AC2)."
        ),
        categories: str | None = typer.Option(
            None, "--categories", help="Ordered category domain v1,v2,...; else the observed."
        ),
        version: str | None = typer.Option(
            None, "--version", help="Select model version(s) when a rater has several."
        ),
        prompts: Path | None = typer.Option(
            None, "--prompts", help="SIGHT prompt folder selecting the model's versions."
        ),
        labels: str | None = typer.Option(None, "--labels", help="Only these labels, in order."),
        group_col: str | None = typer.Option(
            None, "--group-col", help="Resample whole groups (e.g. video_id, dialogue_id)."
        ),
        n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples (0: none)."),
        seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
        json_out: Path | None = typer.Option(None, "--json", help="Write the JSON here."),
        report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
        markdown_out: Path | None = typer.Option(None, "--markdown", help="Write Markdown here."),
        sep: str | None = SEP,
        encoding: str | None = ENCODING,
    ) -> None:
        """Agreement per label: humans with each other, each model with the humans, with CIs."""
        use_dialect(sep, encoding)
        _run(**dict(locals()))


def _run(
    annotations,
    humans,
    models,
    raters,
    metric,
    level,
    weights,
    categories,
    version,
    prompts,
    labels,
    group_col,
    n_boot,
    seed,
    json_out,
    report,
    markdown_out,
    **_,
) -> None:
    from edukit.agreement.compare import check_options
    from edukit.errors import AgreementError

    # options and output folders first: a typo fails before any file is read or computed
    if raters and (humans or models):
        raise AgreementError("give either --raters or --humans/--models, not both")
    if not raters and not (humans and models):
        raise AgreementError("give --humans H1,H2 and --models M1 (or --raters A,B,C)")
    if raters and report:
        raise AgreementError("--report needs --humans/--models (use --markdown)")
    metric = metric or ("fleiss" if raters else "cohen")
    check_options(metric, level, weights, n_boot)
    outputs = [p for p in (json_out, report, markdown_out) if p]
    from edukit.paths import guard_outputs

    guard_outputs(
        {"--json": json_out, "--report": report, "--markdown": markdown_out},
        [*annotations, prompts],
    )
    for path in outputs:
        if not path.parent.is_dir():
            raise AgreementError(f"cannot write here: no folder {path.parent}", path=path)
        if path.is_dir():
            raise AgreementError("is a folder: give a file name", path=path)
    command = _command(locals_=dict(locals()))
    try:
        ann = _read(annotations, prompts)
        groups = _groups(annotations, ann, group_col) if group_col else None
        result = _compute(ann, humans, models, raters, metric, groups, locals())
    except AgreementError as exc:
        if exc.path is None and len(annotations) == 1:  # name the file the error is about
            raise AgreementError(exc.message, path=annotations[0], where=exc.where) from exc
        raise
    if not outputs:
        if raters:
            _print_raters(result)
        else:
            _print_comparison(result)
        return
    inputs = [*annotations, *([prompts] if prompts else [])]
    _write_outputs(result, json_out, report, markdown_out, command, inputs)


def _compute(ann, humans, models, raters, metric, groups, opts: dict):
    """`raters_agreement` or `compare` with the command's options."""
    from edukit.agreement.compare import compare, raters_agreement

    common = dict(
        level=opts["level"],
        weights=opts["weights"],
        categories=_split(opts["categories"]) or None,
        version=opts["version"],
        n_boot=opts["n_boot"],
        seed=opts["seed"],
        groups=groups,
        labels=_split(opts["labels"]) or None,
    )
    if raters:
        return raters_agreement(ann, _split(raters), metric=metric, **common)
    return compare(ann, _split(humans), _split(models), metric=metric, **common)


def _write_outputs(result, json_out, report, markdown_out, command, inputs) -> None:
    """Write every requested output; one that cannot be written does not stop the others."""
    import json

    from edukit.agreement.compare import RatersAgreement
    from edukit.errors import AgreementError

    def markdown_text() -> str:
        from edukit import report as rep

        if isinstance(result, RatersAgreement):
            return rep.raters_markdown(result)
        return rep.markdown(result, command=command, inputs=inputs)

    def html_text() -> str:
        from edukit.report import html

        return html(result, command=command, inputs=inputs)

    jobs = [
        (json_out, lambda: json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"),
        (report, html_text),
        (markdown_out, markdown_text),
    ]
    failed: AgreementError | None = None
    for path, text in jobs:
        if not path:
            continue
        try:
            path.write_text(text(), encoding="utf-8")
        except OSError as exc:
            failed = failed or AgreementError(f"cannot write: {exc.strerror or exc}", path=path)
            continue
        typer.echo(f"wrote {path}", err=True)
    if failed:
        raise failed


def _read(paths: list[Path], prompts: Path | None):
    import pandas as pd

    from edukit.annotations import read_annotations

    frames = [read_annotations(p, prompts=prompts) for p in paths]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _groups(paths: list[Path], ann, col: str):
    """Item -> group from the annotations' column, else from a SIGHT file's items table."""
    if col in ann.columns:
        return col
    from edukit.annotations import is_sight_wide
    from edukit.errors import AgreementError

    mapping: dict[str, str] = {}
    for p in paths:
        if is_sight_wide(Path(p)):
            from edukit.corpora.sight import read_sight

            items = read_sight(p).items
            if col in items.columns:
                mapping.update(zip(items["item_id"].astype(str), items[col], strict=True))
    if not mapping:
        raise AgreementError(f"no column {col!r} in the annotations to group items by")
    return mapping


def _command(locals_: dict) -> str:
    """The command line, rebuilt from the options (paths as given)."""
    parts = ["edukit", "agree", *map(str, locals_["annotations"])]
    flags = [
        ("--humans", "humans"),
        ("--models", "models"),
        ("--raters", "raters"),
        ("--metric", "metric"),
        ("--level", "level"),
        ("--weights", "weights"),
        ("--categories", "categories"),
        ("--version", "version"),
        ("--prompts", "prompts"),
        ("--labels", "labels"),
        ("--group-col", "group_col"),
        ("--n-boot", "n_boot"),
        ("--seed", "seed"),
        ("--json", "json_out"),
        ("--report", "report"),
        ("--markdown", "markdown_out"),
    ]
    for flag, name in flags:
        value = locals_.get(name)
        if value is not None and not (name == "level" and value == "nominal"):
            parts += [flag, str(value)]
    return shlex.join(parts)


def _print_comparison(comparison) -> None:
    from rich.console import Console
    from rich.table import Table

    from edukit.report import METRIC_NAMES, intervals_note, table_rows

    header, rows = table_rows(comparison)
    name = METRIC_NAMES.get(comparison.metric, comparison.metric)
    t = Table(title=f"{name}, {intervals_note(comparison)}")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    console = Console(width=200)
    console.print(t)
    for m, c in comparison.correlation.items():
        if c.get("reason"):
            console.print(f"{m}: {c['reason']}")
        else:
            console.print(
                f"{m}: human IRR vs human-model across {c['n_labels']} labels: Pearson "
                f"{c['pearson']:.2f}, Spearman {c['spearman']:.2f}, y = {c['slope']:.2f}x "
                f"{c['intercept']:+.2f} (few points: descriptive only)"
            )
    if comparison.categories is None:
        console.print("categories: the observed values were used (no --categories)")


def _print_raters(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from edukit.report import METRIC_NAMES, fmt, intervals_note

    name = METRIC_NAMES.get(result.metric, result.metric)
    t = Table(title=f"{name} over {', '.join(result.raters)}, {intervals_note(result)}")
    for h in ("label", "n", name):
        t.add_column(h)
    for label, e in result.labels.items():
        t.add_row(label, str(e.n), fmt(e.value, e.ci, 3) + (f" ({e.reason})" if e.reason else ""))
    console = Console(width=200)
    console.print(t)
    if result.categories is None:
        console.print("categories: the observed values were used (no --categories)")
