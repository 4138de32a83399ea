"""`edukit estimate`, `edukit aggregate`, `edukit relate`: from labels to findings (issue 25)."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, RAW_CSV, SEP, check_finite, use_dialect

_JSON = typer.Option(None, "--json", help="Write the JSON here.")
_MD = typer.Option(None, "--markdown", help="Write Markdown here.")
_HTML = typer.Option(None, "--report", help="Write a self-contained HTML report here.")
_CONFIDENCE = typer.Option(
    0.95, "--confidence", min=0.5, max=0.999, help="Interval level, in [0.5, 1)."
)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


_DEFAULTS = {"method": "model,human,ppi", "confidence": 0.95}


def _command(name: str, positional, options: dict) -> str:
    """The command line, rebuilt from the options given (paths as given, defaults left out)."""
    parts = ["edukit", name, str(positional)]
    for key, value in options.items():
        if value is None or value is False or _DEFAULTS.get(key) == value:
            continue
        parts += [f"--{key.replace('_out', '').replace('_', '-')}", str(value)]
    return shlex.join(parts)


def register(app: typer.Typer) -> None:
    """Add `edukit estimate`, `edukit aggregate` and `edukit relate` to the root app."""

    @app.command("estimate")
    def estimate(
        annotations: Path = typer.Argument(
            ...,
            help="Long annotation table (or a SIGHT wide file) with the model's labels on every "
            "item, and the human labels unless --gold holds them.",
            show_default=False,
        ),
        model: str = typer.Option(..., "--model", help="The model rater.", show_default=False),
        humans: str = typer.Option(
            ..., "--humans", help="Human raters H1[,H2] (several: shares).", show_default=False
        ),
        label: str | None = typer.Option(None, "--label", help="Only these labels: L1[,L2]."),
        by: str | None = typer.Option(
            None, "--by", help="Also per group of this column (playlist, session, teacher)."
        ),
        items: Path | None = typer.Option(
            None, "--items", help="Items table with item_id and the --by / --match-on columns."
        ),
        method: str = typer.Option(
            "model,human,ppi", "--method", help="Methods: model, human, ppi (comma-separated)."
        ),
        gold: Path | None = typer.Option(
            None, "--gold", help="Take the human labels from this file instead."
        ),
        match_on: str | None = typer.Option(
            None,
            "--match-on",
            help="Match --gold's items to the corpus by these columns (e.g. video_id,comment "
            "for SIGHT, whose two files number comments differently).",
        ),
        selection: Path | None = typer.Option(
            None,
            "--selection",
            help="How the human-coded items were drawn: item_id, rule, probability[, stratum] "
            "(when the human rows carry no selection_rule / selection_probability).",
        ),
        assume: str | None = typer.Option(
            None,
            "--assume",
            help="random|all: how the human-coded items were drawn when no file records it.",
        ),
        version: str | None = typer.Option(
            None, "--version", help="The model's version where it has several."
        ),
        prompts: Path | None = typer.Option(
            None, "--prompts", help="SIGHT prompt folder selecting the model's versions."
        ),
        confidence: float = _CONFIDENCE,
        json_out: Path | None = _JSON,
        markdown_out: Path | None = _MD,
        report: Path | None = _HTML,
        sep: str | None = SEP,
        encoding: str | None = ENCODING,
    ) -> None:
        """Prevalence of each category: model only, human only and prediction-powered."""
        use_dialect(sep, encoding)
        _estimate(**dict(locals()))

    @app.command("aggregate")
    def aggregate(
        annotations: Path = typer.Argument(..., help="Long annotation table.", show_default=False),
        out: Path = typer.Option(..., "--out", help="Rates table (.csv/.jsonl/.parquet)."),
        by: str = typer.Option(..., "--by", help="Group by COL[,COL].", show_default=False),
        items: Path | None = typer.Option(
            None,
            "--items",
            help="Items with item_id and the --by / --role-col columns (a MathDial or SIGHT file "
            "works; default: ANNOTATIONS itself).",
        ),
        rater: str | None = typer.Option(None, "--rater", help="Whose labels to count."),
        role_col: str | None = typer.Option(
            None, "--role-col", help="Speaker-role column: rates per role too."
        ),
        label: str | None = typer.Option(None, "--label", help="Only these labels: L1[,L2]."),
        version: str | None = typer.Option(None, "--version", help="Version where several."),
        prompts: Path | None = typer.Option(
            None, "--prompts", help="SIGHT prompt folder selecting the rater's versions."
        ),
        raw_csv: bool = RAW_CSV,
        sep: str | None = SEP,
        encoding: str | None = ENCODING,
    ) -> None:
        """Per group: counts, rates and rates per 100 items of each category."""
        use_dialect(sep, encoding)
        _aggregate(**dict(locals()))

    @app.command("relate")
    def relate(
        rates: Path = typer.Argument(
            ..., help="Rates table (edukit aggregate --out).", show_default=False
        ),
        outcomes: Path = typer.Option(
            ..., "--outcomes", help="Outcomes table.", show_default=False
        ),
        on: str = typer.Option(..., "--on", help="Key column in both.", show_default=False),
        y: str = typer.Option(
            ...,
            "--y",
            help="Outcome column (of the outcomes; else of the rates, e.g. a lesson's move rate).",
            show_default=False,
        ),
        x: str = typer.Option(
            ...,
            "--x",
            help="Rate column(s) R1[,R2] (of the rates; else of the outcomes, e.g. study_year).",
            show_default=False,
        ),
        cluster: str | None = typer.Option(
            None, "--cluster", help="Cluster-robust standard errors by this column."
        ),
        covariates: str | None = typer.Option(
            None, "--covariates", help="Covariate columns C1[,C2]."
        ),
        fixed_effects: str | None = typer.Option(
            None,
            "--fixed-effects",
            help="Compare groups of the same value of this column (e.g. teacher): one indicator "
            "per value.",
        ),
        human_rates: Path | None = typer.Option(
            None,
            "--human-rates",
            help="Rates of the same groups from human labels (edukit aggregate --rater HUMAN), "
            "for the groups humans coded: adds the prediction-powered coefficient.",
        ),
        confidence: float = _CONFIDENCE,
        json_out: Path | None = _JSON,
        markdown_out: Path | None = _MD,
        report: Path | None = _HTML,
        sep: str | None = SEP,
        encoding: str | None = ENCODING,
    ) -> None:
        """OLS of an outcome on group rates, cluster-robust; PPI beside it."""
        use_dialect(sep, encoding)
        _relate(**dict(locals()))


def _check_confidence(confidence: float) -> None:
    from edukit.errors import EdukitError

    check_finite(confidence=confidence)
    if not 0.5 <= confidence < 1:
        raise EdukitError(f"--confidence must be in [0.5, 1), not {confidence}")


def _guard(outputs: dict, inputs: list) -> None:
    from edukit.paths import guard_outputs

    guard_outputs(outputs, inputs)


def _table(path: Path):
    from edukit.corpora.tables import read_table, table_format
    from edukit.resources import resolve_input

    return read_table(path, dtype=str if table_format(resolve_input(path)) == ".csv" else None)


def _estimate(
    annotations,
    model,
    humans,
    label,
    by,
    items,
    method,
    gold,
    match_on,
    selection,
    assume,
    version,
    confidence,
    json_out,
    markdown_out,
    report,
    prompts=None,
    **_,
) -> None:
    from edukit.errors import EdukitError, InputError
    from edukit.findings.estimate import METHODS, EstimateSettings

    _check_confidence(confidence)
    methods = tuple(_split(method))
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise EdukitError(f"--method: one or more of {', '.join(METHODS)} (got {method!r})")
    if assume is not None and assume not in ("random", "all"):
        raise EdukitError(f"--assume: random or all, not {assume!r}")
    if match_on and gold is None:
        raise EdukitError("--match-on needs --gold (the file whose items are matched)")
    outputs = {"--json": json_out, "--markdown": markdown_out, "--report": report}
    inputs = [p for p in (annotations, items, gold, selection, prompts) if p is not None]
    _guard(outputs, inputs)

    from edukit.annotations import read_annotations
    from edukit.findings.aggregate import read_items
    from edukit.findings.estimate import estimate

    ann = read_annotations(annotations, prompts=prompts)
    human_ann, match, item_table = None, None, None
    if by or match_on:
        item_table = read_items(items if items is not None else annotations)
    if gold is not None:
        human_ann = read_annotations(gold)
        if match_on:
            from edukit.findings.sample import match_items

            human_items = read_items(gold)
            match = match_items(human_items, item_table, _split(match_on))
            human_ann = human_ann[human_ann["item_id"].isin(match.mapping)].copy()
            human_ann["item_id"] = human_ann["item_id"].map(match.mapping)
            if human_ann.empty:
                raise InputError(f"--match-on {match_on}: no item matched the corpus", path=gold)
    sel_table = _table(selection) if selection is not None else None
    if sel_table is not None and match is not None and "item_id" in sel_table.columns:
        # the selection file names the --gold file's items: follow them to the corpus
        sel_table["item_id"] = [match.mapping.get(str(i), i) for i in sel_table["item_id"]]
    settings = EstimateSettings(
        model=model,
        humans=_split(humans),
        labels=_split(label) or None,
        by=by,
        methods=methods,
        confidence=confidence,
        version=version,
        assume=assume,
    )
    result = estimate(
        ann,
        settings,
        human_annotations=human_ann,
        items=item_table,
        selection=sel_table,
        selection_path=str(selection) if selection else "--selection",
    )
    result.provenance = _estimate_provenance(result, ann, human_ann, match, gold)
    command = _command(
        "estimate",
        annotations,
        dict(
            model=model, humans=humans, label=label, by=by, items=items, method=method,
            gold=gold, match_on=match_on, selection=selection, assume=assume, version=version,
            confidence=confidence, json_out=json_out, markdown_out=markdown_out, report=report,
        ),
    )  # fmt: skip
    if not any(outputs.values()):
        _print_estimates(result)
        return
    _write(result, json_out, markdown_out, report, command, inputs, "estimate")


def _estimate_provenance(result, ann, human_ann, match, gold) -> dict:
    s = result.settings
    rows = ann[ann["rater"] == s.model]
    prov = {
        "model rater": s.model,
        "model versions": ", ".join(f"{k}: {v or '-'}" for k, v in result.versions.items()),
    }
    for col in ("model", "run_id", "rubric", "rubric_hash"):
        if col in rows.columns:
            vals = sorted({str(v) for v in rows[col].dropna() if str(v)})
            if vals:
                prov[col] = ", ".join(vals[:5]) + (" ..." if len(vals) > 5 else "")
    prov["human raters"] = ", ".join(s.humans) + (f" (from {gold})" if gold else "")
    prov["human sample"] = result.selection.description
    if match is not None:
        total = len(match.mapping) + len(match.unmatched) + len(match.ambiguous)
        prov["matching"] = match.describe(total)
    prov["items"] = f"{result.n_items:,} model-labelled, {result.n_coded:,} human-coded"
    return prov


def _write(result, json_out, markdown_out, report, command, inputs, kind) -> None:
    import json

    from edukit.commands.files import write_outputs
    from edukit.errors import InputError
    from edukit.findings import report as rep

    md = rep.estimate_markdown if kind == "estimate" else rep.relate_markdown
    html = rep.estimate_html if kind == "estimate" else rep.relate_html
    jobs = [
        (json_out, lambda: json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"),
        (markdown_out, lambda: md(result, command, inputs)),
        (report, lambda: html(result, command, inputs)),
    ]
    write_outputs(jobs, InputError)


def _print_estimates(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from edukit.findings.report import estimate_rows

    console = Console(width=200)
    blocks = [(None, result.labels), *result.groups.items()]
    for group, labels in blocks:
        header, rows = estimate_rows(result, labels, group)
        t = Table(title="whole corpus" if group is None else f"{result.settings.by}: {group}")
        for h in header:
            t.add_column(h)
        for r in rows:
            t.add_row(*r)
        console.print(t)
    console.print(f"human sample: {result.selection.description}", markup=False)
    for n in result.notes:
        console.print(f"note: {n}", markup=False)


def _aggregate(
    annotations, out, by, items, rater, role_col, label, version, raw_csv, prompts=None, **_
) -> None:
    from edukit.errors import EdukitError

    cols = _split(by)
    if not cols:
        raise EdukitError("--by: name at least one column")
    _guard({"--out": out}, [p for p in (annotations, items, prompts) if p is not None])
    from edukit.annotations import read_annotations
    from edukit.corpora.tables import write_table
    from edukit.findings.aggregate import AggregateSettings, aggregate, read_items

    ann = read_annotations(annotations, prompts=prompts)
    table = read_items(items if items is not None else annotations)
    settings = AggregateSettings(cols, rater, role_col, version, _split(label) or None)
    rates = aggregate(ann, table, settings)
    write_table(rates.table, out, raw_csv=raw_csv)
    for n in rates.notes:
        typer.echo(f"note: {n}", err=True)
    typer.echo(
        f"wrote {out}: {len(rates.table)} groups by {', '.join(cols)}, labels of {rates.rater}",
        err=True,
    )


def _relate(
    rates,
    outcomes,
    on,
    y,
    x,
    cluster,
    covariates,
    human_rates,
    fixed_effects,
    confidence,
    json_out,
    markdown_out,
    report,
    **_,
) -> None:
    from edukit.errors import EdukitError

    _check_confidence(confidence)
    xs = _split(x)
    if not xs:
        raise EdukitError("--x: name at least one rate column")
    outputs = {"--json": json_out, "--markdown": markdown_out, "--report": report}
    inputs = [p for p in (rates, outcomes, human_rates) if p is not None]
    _guard(outputs, inputs)
    from edukit.findings.relate import RelateSettings, relate

    settings = RelateSettings(on, y, xs, cluster, _split(covariates), confidence, fixed_effects)
    paths = {"rates": str(rates), "outcomes": str(outcomes)}
    if human_rates is not None:
        paths["human_rates"] = str(human_rates)
    result = relate(
        _table(rates),
        _table(outcomes),
        settings,
        human_rates=_table(human_rates) if human_rates is not None else None,
        paths=paths,
    )
    result.provenance = {
        "rates": str(rates),
        "outcomes": str(outcomes),
        "human rates": str(human_rates) if human_rates else "none (no PPI correction)",
    }
    if not any(outputs.values()):
        _print_relation(result)
        return
    command = _command(
        "relate",
        rates,
        dict(
            outcomes=outcomes, on=on, y=y, x=x, cluster=cluster, covariates=covariates,
            fixed_effects=fixed_effects, human_rates=human_rates, confidence=confidence,
            json_out=json_out, markdown_out=markdown_out, report=report,
        ),
    )  # fmt: skip
    _write(result, json_out, markdown_out, report, command, inputs, "relate")


def _print_relation(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from edukit.findings.report import relate_rows

    console = Console(width=200)
    header, rows = relate_rows(result)
    t = Table(title=f"{result.settings.y}: OLS, {result.n} rows, SE {result.se_type}")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    console.print(t)
    for c in result.coefficients.values():
        console.print(c.sentence, markup=False)
    for n in result.notes:
        console.print(f"note: {n}", markup=False)
