"""`edukit agree ANNOTATIONS...`: human IRR vs human-model agreement (issue 5)."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from edukit.commands.options import ENCODING, MAX_BOOT, MAX_SEED, SEP, use_dialect


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
            None,
            "--metric",
            help="cohen|fleiss|alpha|ac1|percent (default cohen; fleiss with --raters)",
        ),
        level: str = typer.Option(
            "nominal", "--level", help="alpha's level: nominal|ordinal|interval|ratio."
        ),
        weights: str | None = typer.Option(
            None, "--weights", help="linear|quadratic (Cohen's kappa, AC2)."
        ),
        categories: str | None = typer.Option(
            None,
            "--categories",
            help="Category domain v1,v2,... in order (gives text labels their order); else the "
            "observed values (numbers ordered by value, text unordered).",
        ),
        rubric: Path | None = typer.Option(
            None,
            "--rubric",
            help="Declare each label's categories from this rubric (its options, in file order).",
        ),
        version: str | None = typer.Option(
            None, "--version", help="Select model version(s) when a rater has several."
        ),
        prompts: Path | None = typer.Option(
            None, "--prompts", help="SIGHT prompt folder selecting the model's versions."
        ),
        labels: str | None = typer.Option(None, "--labels", help="Only these labels, in order."),
        group_col: str | None = typer.Option(
            None,
            "--group-col",
            help="Resample whole clusters by this column (default: video_id, dialogue_id, "
            "conversation_id or lesson_id when the items carry one); none resamples items.",
            show_default=False,
        ),
        margin: float = typer.Option(
            0.1,
            "--margin",
            min=0,
            max=2,  # agreement coefficients differ by at most 2
            help="Non-inferiority margin of the 'as good as a human?' verdict.",
        ),
        n_boot: int = typer.Option(
            1000, "--n-boot", min=0, max=MAX_BOOT, help="Bootstrap resamples (0: none)."
        ),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Bootstrap seed."),
        json_out: Path | None = typer.Option(None, "--json", help="Write the JSON here."),
        report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
        markdown_out: Path | None = typer.Option(None, "--markdown", help="Write Markdown here."),
        rename: list[str] = typer.Option(
            [],
            "--rename",
            help="Rename a rater: OLD=NEW in every file, or N:OLD=NEW in the Nth file only "
            "(repeatable).",
        ),
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
    rubric,
    version,
    prompts,
    labels,
    group_col,
    margin,
    n_boot,
    seed,
    json_out,
    report,
    markdown_out,
    rename=(),
    **_,
) -> None:
    from edukit.agreement.compare import check_options
    from edukit.errors import AgreementError

    # options and output folders first: a typo fails before any file is read or computed
    if raters and (humans or models):
        raise AgreementError("give either --raters or --humans/--models, not both")
    if not raters and not (humans and models):
        raise AgreementError("give --humans H1,H2 and --models M1 (or --raters A,B,C)")
    if categories and rubric:
        raise AgreementError("give --categories or --rubric, not both")
    if raters and report:
        raise AgreementError("--report needs --humans/--models (use --markdown)")
    renames = _parse_renames(rename, len(annotations))
    metric = metric or ("fleiss" if raters else "cohen")
    check_options(metric, level, weights, n_boot, margin)
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
        ann = _read(annotations, prompts, renames)
        groups = _groups(annotations, ann, group_col)
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
    inputs = [*annotations, *([prompts] if prompts else []), *([rubric] if rubric else [])]
    redaction = redaction_by_rater(ann)
    _write_outputs(result, json_out, report, markdown_out, command, inputs, redaction)


def _compute(ann, humans, models, raters, metric, groups, opts: dict):
    """`raters_agreement` or `compare` with the command's options."""
    from edukit.agreement.compare import compare, raters_agreement

    declared, source = _split(opts["categories"]) or None, "declared"
    if opts["rubric"] is not None:
        from edukit.agreement.domain import rubric_categories
        from edukit.rubric import load_rubric

        declared, source = rubric_categories(load_rubric(opts["rubric"])), "rubric"
    common = dict(
        level=opts["level"],
        weights=opts["weights"],
        categories=declared,
        categories_source=source,
        version=opts["version"],
        n_boot=opts["n_boot"],
        seed=opts["seed"],
        groups=groups,
        labels=_split(opts["labels"]) or None,
    )
    if raters:
        return raters_agreement(ann, _split(raters), metric=metric, **common)
    return compare(
        ann, _split(humans), _split(models), metric=metric, margin=opts["margin"], **common
    )


def redaction_by_rater(ann) -> list[tuple[str, str]] | None:
    """Per rater, whether its annotations came from redacted text (issue 17), from the
    `redaction` column of run-store exports; None when no input has that column."""
    if "redaction" not in ann.columns:
        return None
    rows = []
    for rater, values in ann.groupby("rater", sort=True)["redaction"]:
        profiles = sorted({str(v) for v in values if isinstance(v, str) and v})
        if profiles:
            rows.append((str(rater), "redacted text, profile " + ", ".join(profiles)))
        else:
            rows.append((str(rater), "text as written (not redacted)"))
    return rows


def _write_outputs(result, json_out, report, markdown_out, command, inputs, redaction=None) -> None:
    """Write every requested output; one that cannot be written does not stop the others."""
    import json

    from edukit.agreement.compare import RatersAgreement
    from edukit.commands.files import write_outputs
    from edukit.errors import AgreementError

    def markdown_text() -> str:
        from edukit import report as rep

        if isinstance(result, RatersAgreement):
            return rep.raters_markdown(result)
        return rep.markdown(result, command=command, inputs=inputs, redaction=redaction)

    def html_text() -> str:
        from edukit.report import html

        return html(result, command=command, inputs=inputs, redaction=redaction)

    jobs = [
        (json_out, lambda: json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"),
        (report, html_text),
        (markdown_out, markdown_text),
    ]
    write_outputs(jobs, AgreementError)


def _read(paths: list[Path], prompts: Path | None, renames=()):
    import pandas as pd

    from edukit.annotations import read_annotations

    frames = [read_annotations(p, prompts=prompts) for p in paths]
    for n, old, new in renames:
        targets = range(len(frames)) if n is None else [n - 1]
        for i in targets:
            frames[i] = frames[i].assign(rater=frames[i]["rater"].replace({old: new}))
    _check_rater_clash(paths, frames)
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _parse_renames(specs, n_files: int) -> list[tuple[int | None, str, str]]:
    """`OLD=NEW` (every file) or `N:OLD=NEW` (the Nth file) -> (N or None, OLD, NEW)."""
    import re

    from edukit.errors import AgreementError

    out = []
    for spec in specs:
        m = re.fullmatch(r"(?:(\d+):)?([^=]+)=([^=]+)", spec.strip())
        if not m or not m[2].strip() or not m[3].strip():
            raise AgreementError(f"--rename {spec!r}: write OLD=NEW or N:OLD=NEW (N: file number)")
        n = int(m[1]) if m[1] else None
        if n is not None and not 1 <= n <= n_files:
            raise AgreementError(f"--rename {spec!r}: there is no file {n} (files 1 to {n_files})")
        out.append((n, m[2].strip(), m[3].strip()))
    return out


def _check_rater_clash(paths: list[Path], frames) -> None:
    """One rater name in two files for the same items is two runs colliding, not one rater."""
    from edukit.errors import AgreementError

    seen: dict[str, tuple[int, set]] = {}
    for i, df in enumerate(frames):
        for rater, group in df.groupby("rater", sort=False):
            keys = set(zip(group["item_id"], group["label"], strict=True))
            if rater in seen and keys & seen[rater][1]:
                first = seen[rater][0]
                raise AgreementError(
                    f"rater {rater!r} rated the same items in {paths[first]} (file {first + 1}) "
                    f"and {paths[i]} (file {i + 1}): give each run its own name (edukit annotate "
                    f"--rater NAME) or rename one here (--rename {i + 1}:{rater}={rater}-{i + 1})"
                )
            seen.setdefault(rater, (i, set()))[1].update(keys)


def _groups(paths: list[Path], ann, col: str | None):
    """Item -> cluster: the given column (none: no clusters), else a known cluster column.

    Looked up in the annotations, then in a SIGHT file's items table (video_id).
    """
    from edukit.agreement.compare import CLUSTER_COLUMNS, cluster_column
    from edukit.errors import AgreementError

    if col is not None and col.strip().lower() == "none":
        return None
    if col is None:
        found = cluster_column(ann.columns)
        if found:
            return found
        for c in CLUSTER_COLUMNS:
            mapping = _sight_groups(paths, c)
            if mapping:
                return _Named(mapping, c)
        return None
    if col in ann.columns:
        return col
    mapping = _sight_groups(paths, col)
    if not mapping:
        raise AgreementError(f"no column {col!r} in the annotations to group items by")
    return _Named(mapping, col)


class _Named(dict):
    """An item -> cluster mapping that remembers its column's name (for the outputs)."""

    def __init__(self, mapping: dict, name: str) -> None:
        super().__init__(mapping)
        self.name = name


def _sight_groups(paths: list[Path], col: str) -> dict[str, str]:
    from edukit.annotations import is_sight_wide

    mapping: dict[str, str] = {}
    for p in paths:
        if is_sight_wide(Path(p)):
            from edukit.corpora.sight import read_sight

            items = read_sight(p).items
            if col in items.columns:
                mapping.update(zip(items["item_id"].astype(str), items[col], strict=True))
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
        ("--rubric", "rubric"),
        ("--version", "version"),
        ("--prompts", "prompts"),
        ("--labels", "labels"),
        ("--group-col", "group_col"),
        ("--margin", "margin"),
        ("--n-boot", "n_boot"),
        ("--seed", "seed"),
        ("--json", "json_out"),
        ("--report", "report"),
        ("--markdown", "markdown_out"),
    ]
    for flag, name in flags:
        value = locals_.get(name)
        default = (name == "level" and value == "nominal") or (name == "margin" and value == 0.1)
        if value is not None and not default:
            parts += [flag, str(value)]
    for spec in locals_.get("rename") or ():
        parts += ["--rename", spec]
    return shlex.join(parts)


def _print_comparison(comparison) -> None:
    from rich.table import Table

    from edukit.report import (
        METRIC_NAMES,
        classification_rows,
        domain_lines,
        intervals_note,
        show_correlation,
        table_rows,
        warning_lines,
    )

    header, rows = table_rows(comparison)
    name = METRIC_NAMES.get(comparison.metric, comparison.metric)
    t = Table(title=f"{name}, {intervals_note(comparison)}")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    console = _console_for(t)
    console.print(t)
    for w in warning_lines(comparison):
        console.print(f"warning: {w}", markup=False)
    cheader, crows = classification_rows(comparison)
    if crows:
        ct = Table(title="accuracy and macro-F1 (multi-class labels)")
        for h in cheader:
            ct.add_column(h)
        for r in crows:
            ct.add_row(*r)
        console.print(ct)
    console.print(f"verdict: {comparison.verdict_rule}", markup=False)
    for line in domain_lines(comparison):
        console.print(f"domain {line}", markup=False)
    correlation = comparison.correlation.items() if show_correlation(comparison) else []
    for m, c in correlation:
        if c.get("reason"):
            console.print(f"{m}: {c['reason']}")
        else:
            console.print(
                f"{m}: human IRR vs human-model across {c['n_labels']} labels: Pearson "
                f"{c['pearson']:.2f}, Spearman {c['spearman']:.2f}, y = {c['slope']:.2f}x "
                f"{c['intercept']:+.2f} (few points: descriptive only)"
            )


def _console_for(table):
    """A console wide enough for `table` on one line per row (at least 200 columns).

    A wrapped cell would split an interval such as "-0.03 [-0.22, 0.11]" over two lines.
    """
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(width=200)
    need = Measurement.get(console, console.options.update_width(10_000), table).maximum
    return Console(width=max(200, need)) if need > 200 else console


def _print_raters(result) -> None:
    from rich.table import Table

    from edukit.report import METRIC_NAMES, domain_lines, fmt, intervals_note

    name = METRIC_NAMES.get(result.metric, result.metric)
    t = Table(title=f"{name} over {', '.join(result.raters)}, {intervals_note(result)}")
    for h in ("label", "n", name):
        t.add_column(h)
    for label, e in result.labels.items():
        t.add_row(label, str(e.n), fmt(e.value, e.ci, 3) + (f" ({e.reason})" if e.reason else ""))
    console = _console_for(t)
    console.print(t)
    for line in domain_lines(result):
        console.print(f"domain {line}", markup=False)
