"""`edukit annotate INPUT --rubric FILE [--model NAME]` (issue 4)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from edukit.commands.annotate_report import (
    ITEMS_LEFT,
    concurrency_line,
    dry_run_message,
    ingested_message,
    interrupted_message,
    next_step_message,
    redaction_message,
    replica_lines,
    summary_message,
)
from edukit.commands.options import (
    ENCODING,
    MAX_COST_USD,
    MAX_ITEMS,
    MAX_RPM,
    MAX_TPM,
    PHONE_REGIONS,
    RAW_CSV,
    SEP,
    check_finite,
    use_dialect,
)

LOCAL_PREFIX = "local:"
INTERRUPTED = 130  # exit code after Ctrl-C (128 + SIGINT)


def register(app: typer.Typer) -> None:
    """Add `edukit annotate` to the root app."""
    app.command("annotate")(annotate_command)


def annotate_command(
    input: Path = typer.Argument(
        ..., help="Items: a table (CSV/JSONL/Parquet), a MathDial or a SIGHT file, or sample:NAME."
    ),
    rubric: Path | None = typer.Option(
        None,
        "--rubric",
        help="Rubric YAML, or a bundled rubric's name (`edukit rubric list`); required for LLM "
        "models.",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Model name at the endpoint (default: the rubric's defaults.model), "
        "or local:tfidf-logreg (offline).",
    ),
    base_urls: list[str] | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible endpoint (vLLM, SGLang, Ollama, Azure, ...); repeat it for "
        "replicas of one model (same weights): each call goes to the least busy one.",
    ),
    endpoints: Path | None = typer.Option(
        None,
        "--endpoints",
        help="Replicas of one model from a file: `URL [KEY_VARIABLE] [WEIGHT]` per line.",
    ),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the long annotation table here (.csv, .jsonl, .parquet)."
    ),
    run_db: Path = typer.Option(
        Path("edukit-runs.sqlite"), "--run-db", help="SQLite run store (resumable)."
    ),
    rater: str | None = typer.Option(None, "--rater", help="Rater name (default: the model)."),
    concurrency: str | None = typer.Option(
        None,
        "--concurrency",
        help="Requests in flight: auto (the default for local and self-hosted servers: each "
        "replica's level is found, AIMD) or N from 1 to 1000 (default 8 for OpenAI's API).",
    ),
    rpm: float | None = typer.Option(
        None, "--rpm", min=1, max=MAX_RPM, help="Requests per minute limit."
    ),
    tpm: float | None = typer.Option(
        None, "--tpm", min=1, max=MAX_TPM, help="Tokens per minute limit."
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=MAX_ITEMS, help="Annotate the first N items (at least 1)."
    ),
    samples: int | None = typer.Option(
        None,
        "--samples",
        min=1,
        max=100,
        help="Self-consistency: K answers per request (majority; one request with n=K where "
        "the server supports it). Needs a temperature above 0.",
    ),
    temperature: float | None = typer.Option(
        None,
        "--temperature",
        min=0,
        max=2,
        help="Sampling temperature, 0-2 (overrides the rubric's).",
    ),
    logprobs: bool = typer.Option(
        False,
        "--logprobs",
        help="Ask for token logprobs; the chosen label's probability becomes its confidence "
        "(also `defaults.logprobs: true` in a rubric).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Build the prompts; print requests, tokens and cost; send nothing."
    ),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        max=MAX_COST_USD,
        help="Stop (resumably) when the run has cost this many USD.",
    ),
    batch: bool = typer.Option(False, "--batch", help="Use the OpenAI Batch API (half price)."),
    batch_file: Path | None = typer.Option(
        None,
        "--batch-file",
        help="Write the pending requests as an OpenAI batch input file (for `vllm run-batch` "
        "on a cluster); nothing is sent. Split into FILE.1.jsonl, ... past 50,000 requests or "
        "200 MB.",
    ),
    batch_results: list[Path] | None = typer.Option(
        None,
        "--batch-results",
        help="Read a batch output file (vllm run-batch, OpenAI) into the run store; repeat it "
        "for several files, in any order, partial ones included.",
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        max=3600,
        help="Seconds one HTTP call may take in all, then it is retried "
        "(default: the rubric's defaults.timeout, else 120).",
    ),
    reuse_from: str | None = typer.Option(
        None,
        "--reuse-from",
        help="Take the finished answers of this run (another endpoint) for identical prompts.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    train: Path | None = typer.Option(
        None, "--train", help="local:tfidf-logreg: labelled long annotation table to train on."
    ),
    train_rater: str | None = typer.Option(
        None, "--train-rater", help="local:tfidf-logreg: the rater whose labels are trained on."
    ),
    id_col: str | None = typer.Option(None, "--id-col", help="Generic tables: the id column."),
    text_col: str | None = typer.Option(
        None, "--text-col", help="Generic tables: the text column."
    ),
    redact: bool = typer.Option(
        False,
        "--redact",
        help="Replace e-mails, URLs, phones, handles, IPs and declared names with placeholders "
        "before anything is sent (also in few-shot examples).",
    ),
    names: Path | None = typer.Option(
        None, "--names", help="--redact: a UTF-8 file of declared names to replace, one per line."
    ),
    redact_profile: str | None = typer.Option(
        None,
        "--redact-profile",
        help="--redact: rules (default), contact (no names) or ner (needs --spacy-model).",
    ),
    spacy_model: str | None = typer.Option(
        None, "--spacy-model", help="--redact: an installed spaCy pipeline for PERSON/GPE/ORG/..."
    ),
    redact_per_dialogue: bool = typer.Option(
        False, "--redact-per-dialogue", help="--redact: one placeholder numbering per dialogue."
    ),
    names_from_column: str | None = typer.Option(
        None,
        "--names-from-column",
        help="--redact: also replace the names written in this column of the items (e.g. "
        "speaker: 'Ms. Smith' gives Smith; role codes such as T, S2, Students are skipped).",
    ),
    phone_regions: str | None = PHONE_REGIONS,
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Annotate items with a rubric through an LLM (or the offline baseline).

    Re-running the same command resumes the run: finished requests are never sent again.
    """
    from edukit.corpora.detect import load_items
    from edukit.corpora.tables import table_format
    from edukit.errors import AnnotationError

    if out is not None:
        table_format(out)  # a bad extension must fail before anything is sent or paid for
    from edukit.paths import check_run_store, check_url, guard_outputs

    use_dialect(sep, encoding)
    from edukit.paths import public_url

    for url in base_urls or ():
        check_url(url)
    base_url = base_urls[0] if base_urls and len(base_urls) == 1 else (base_urls or None)
    urls: list[str | None] = list(base_urls or [])
    if endpoints is not None:
        from edukit.annotate.replicas import read_endpoints

        urls += [r.url for r in read_endpoints(endpoints)]  # a bad line: an error before work
    if len(urls) > 1:  # a URL given twice would get twice the traffic, as in --endpoints
        from edukit.annotate.identity import normalise_endpoint
        from edukit.errors import InputError

        seen: set[str] = set()
        for url in urls:
            if normalise_endpoint(url) in seen:
                raise InputError(f"--base-url/--endpoints: {public_url(url)} is given twice")
            seen.add(normalise_endpoint(url))
    if concurrency is None:
        from edukit.annotate.concurrency import default_concurrency

        concurrency = default_concurrency(urls or [None])
    check_finite(max_cost=max_cost, rpm=rpm, tpm=tpm)
    if concurrency is not None:
        from edukit.annotate.concurrency import parse_concurrency

        concurrency = parse_concurrency(concurrency)

    guard_outputs(
        {"--out": out, "--run-db": run_db, "--batch-file": batch_file},
        [input, rubric, train, endpoints, *(batch_results or [])],
    )
    from edukit.userfile import check_user_file

    for results in batch_results or ():  # read before any work, a dry run included
        check_user_file(results, what="--batch-results file")
    check_run_store(run_db, must_exist=False)
    if model is not None and model.startswith(LOCAL_PREFIX):
        _local(
            input, rubric, model, out, rater, limit, train, train_rater, id_col, text_col, raw_csv
        )
        return
    if rubric is None:
        raise AnnotationError("--rubric is required for an LLM model")
    if train is not None or train_rater is not None:
        raise AnnotationError("--train and --train-rater are for local:tfidf-logreg only")
    from edukit.annotate.engine import annotate
    from edukit.rubric import load_rubric

    if not redact and (
        names
        or redact_profile
        or spacy_model
        or redact_per_dialogue
        or names_from_column
        or phone_regions
    ):
        raise AnnotationError(
            "--names, --names-from-column, --redact-profile, --spacy-model, "
            "--redact-per-dialogue and --phone-regions need --redact"
        )
    rub = load_rubric(rubric)
    model = model or rub.defaults.get("model")  # None: annotate() says --model is required
    redaction = None
    scope = "dialogue" if redact_per_dialogue else "item"
    if redact:
        from edukit.rubric.data import check_declared_fields

        check_declared_fields(rub, redacting=True)  # every field a prompt shows is redacted
    if redact and names_from_column is None:
        redaction = _redaction(
            input, names, redact_profile, spacy_model, id_col, scope, regions=phone_regions
        )
    from edukit.rubric.data import (
        check_columns,
        check_not_all_empty,
        read_items_for,
        with_rubric_fields,
    )

    if id_col is None and text_col is None:
        items = read_items_for(rub, input)  # a table may name its text as the rubric does
    else:
        items = with_rubric_fields(rub, load_items(input, id_col=id_col, text_col=text_col))
    check_columns(rub, items, input)  # a missing column is not an empty one: nothing to send
    check_not_all_empty(rub, items, input)
    if redact and names_from_column is not None:  # the names come from the items themselves
        from edukit.redact.columns import names_from_column as column_names

        declared = column_names(items, names_from_column, path=input)
        redaction = _redaction(
            input, names, redact_profile, spacy_model, id_col, scope, declared, phone_regions
        )
    from edukit.resources import resolve_input, resolve_rubric

    input_path = resolve_input(input).resolve()  # a bundled sample: its file, not ./sample:x
    _warn_identical_samples(rub, samples, temperature)
    options = {
        "input": os.fspath(input_path),
        "rubric": os.fspath(resolve_rubric(rubric).resolve()),
        "model": model,
        "base_url": [public_url(u) for u in base_url]
        if isinstance(base_url, list)
        else public_url(base_url),  # user info (user:SECRET@) is never stored
        "endpoints": os.fspath(endpoints.resolve()) if endpoints else None,
        "api_key_env": api_key_env,  # the variable's name, never its value
        "rater": rater,
        "samples": samples,
        "temperature": temperature,
        "logprobs": logprobs or None,
        "concurrency": concurrency,
        "rpm": rpm,
        "tpm": tpm,
        "limit": limit,
        "max_cost": max_cost,
        "batch": batch,
        "batch_file": os.fspath(batch_file.resolve()) if batch_file else None,
        "batch_results": [os.fspath(p.resolve()) for p in batch_results or []] or None,
        "timeout": timeout,
        "reuse_from": reuse_from,
        "id_col": id_col,
        "text_col": text_col,
        "names": os.fspath(names.resolve()) if names else None,
    }
    from edukit.annotate.settings import Endpoint, Limits, Output, Sampling

    result = annotate(
        items,
        rub,
        model,
        endpoint=Endpoint(
            base_url=base_url,
            endpoints=endpoints,
            api_key_env=api_key_env,
            concurrency=concurrency,
            rpm=rpm,
            tpm=tpm,
            timeout=timeout,
            batch=batch,
            batch_file=batch_file,
            batch_results=tuple(batch_results or ()),
        ),
        sampling=Sampling(
            samples=samples, temperature=temperature, logprobs=True if logprobs else None
        ),
        limits=Limits(limit=limit, max_cost=max_cost, dry_run=dry_run),
        output=Output(
            run_db=run_db,
            rater=rater,
            input_id=f"{input_path}|{id_col}|{text_col}",
            quiet=quiet,
            command=options,
            redaction=redaction,
            reuse_from=reuse_from,
        ),
    )
    if dry_run:
        typer.echo(dry_run_message(result.estimate, model))
        if redaction is not None:
            typer.echo(redaction_message(redaction))
        return
    if redaction is not None:
        typer.echo(redaction_message(redaction, examples=False))
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    if result.stopped == "interrupted":
        typer.echo(interrupted_message(result), err=True)
        raise typer.Exit(INTERRUPTED)
    typer.echo(summary_message(result))
    for line in replica_lines(result.replicas):
        typer.echo(line)
    if result.concurrency == "auto" and result.replicas:
        typer.echo(concurrency_line(result.replicas))
    if result.ingested is not None:
        typer.echo(ingested_message(result.ingested))
    for path, n in result.batch_files:
        typer.echo(f"Wrote {n} requests to {path} (nothing sent)")
    if out is not None and result.stopped != "batch_pending":
        from edukit.corpora.tables import write_table

        try:
            write_table(result.annotations, out, raw_csv=raw_csv)
        except OSError as exc:
            raise AnnotationError(
                f"cannot write the annotations ({exc.strerror or exc}); they are safe in the "
                f"run store: `edukit runs export {result.run_id} --out FILE --run-db {run_db}`",
                path=out,
            ) from None
        typer.echo(f"Wrote {len(result.annotations)} annotation rows to {out}")
    typer.echo(next_step_message(result, max_cost, run_db))
    if result.ingested is not None and result.ingested.errors:
        for line in result.ingested.errors:
            typer.echo(f"Error: {line}", err=True)
        raise typer.Exit(2)  # malformed result lines: bad input (they changed nothing)
    if not result.finished:
        raise typer.Exit(ITEMS_LEFT)


def _redaction(
    input: Path,
    names,
    profile,
    spacy_model,
    id_col,
    scope: str = "item",
    column_names=(),
    regions=None,
):
    """The redaction for --redact: the profile (with the names of --names-from-column), and the
    names a MathDial input declares."""
    from edukit.redact import Redaction, declared_names, make_profile

    prof = make_profile(
        profile,
        names_file=names,
        names=tuple(column_names),
        spacy_model=spacy_model,
        scope=scope,
        phone_regions=regions,
    )
    declared = declared_names(input) if id_col is None and prof.corpus_names else None
    return Redaction(prof, declared)


def _warn_identical_samples(rubric, samples: int | None, temperature: float | None) -> None:
    """K samples at temperature 0 are K copies of one answer: say so before paying for them."""
    k = samples or rubric.samples
    temp = temperature if temperature is not None else rubric.defaults.get("temperature")
    if k > 1 and temp == 0:
        typer.echo(
            f"Warning: --samples {k} at temperature 0 gives {k} identical answers (a vote share "
            "of 1.0 that means nothing); set --temperature above 0, e.g. --temperature 0.7",
            err=True,
        )


def _local(
    input, rubric, model, out, rater, limit, train, train_rater, id_col, text_col, raw_csv=False
) -> None:
    """The offline baseline: train on --train's --train-rater labels, annotate the other items."""
    from edukit.annotate.baseline import train_and_annotate
    from edukit.annotations import read_annotations
    from edukit.corpora.detect import load_items
    from edukit.errors import AnnotationError

    if train is None or train_rater is None:
        raise AnnotationError(f"{model} needs --train FILE and --train-rater NAME")
    labels = None
    if rubric is not None:
        from edukit.rubric import load_rubric

        rub = load_rubric(rubric)
        labels = [rub.target or "label"] if rub.task == "single" else list(rub.labels)
    items = load_items(input, id_col=id_col, text_col=text_col)
    train_items = items
    from edukit.corpora.detect import detect

    if detect(train) == "mrbench" and train.resolve() != input.resolve():
        # an MRBench file holds its own texts: train on one split, annotate another
        import pandas as pd

        train_items = pd.concat([items, load_items(train)], ignore_index=True)
    table = train_and_annotate(
        items if limit is None else items.head(limit),
        read_annotations(train),
        train_rater=train_rater,
        labels=labels,
        rater=rater or model,
        train_items=train_items,  # --limit narrows what is annotated, not what is trained on
    )
    if out is not None:
        from edukit.corpora.tables import write_table

        write_table(table, out, raw_csv=raw_csv)
        typer.echo(f"Wrote {len(table)} annotation rows ({model}) to {out}")
    else:
        typer.echo(f"Annotated {len(table)} rows with {model}; use --out FILE to save them.")
