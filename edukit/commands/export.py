"""`edukit export finetune|validate`: fine-tuning datasets (issue 6)."""

from __future__ import annotations

from pathlib import Path

import typer

from edukit.commands.files import at_template, read_system_template
from edukit.commands.options import ENCODING, MAX_EXAMPLE_TOKENS, MAX_SEED, SEP, use_dialect
from edukit.errors import ExportError

_FORMAT_HELP = "openai-chat, trl-messages, trl-prompt-completion, sharegpt or alpaca."


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _weights(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        move, sep, w = item.partition("=")
        if not sep or w.strip() not in ("0", "1"):
            raise ExportError(f"--move-weight {item!r}: write MOVE=0 or MOVE=1")
        out[move.strip().lower()] = int(w)
    return out


def finetune(
    inputs: list[Path] = typer.Argument(
        ..., help="MathDial file(s), CSV or JSONL (several with --split published)."
    ),
    format: str = typer.Option(..., "--format", "-f", help=_FORMAT_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder."),
    unit: str = typer.Option("turn", help="turn (one example per target) or dialogue."),
    role: str = typer.Option("teacher", help="teacher (tutor model) or student (simulator)."),
    grounding: str | None = typer.Option(
        None,
        help="Comma list of fields for the system prompt: question, ground_truth, "
        "student_incorrect_solution, student_profile, teacher_described_confusion "
        "(default: the role's; 'none' for no fields).",
    ),
    system_template: Path | None = typer.Option(
        None, help="jinja2 template file for the system prompt (dialogue fields, `grounding`)."
    ),
    moves: str | None = typer.Option(None, help="Comma list of target moves to keep."),
    move_token: str | None = typer.Option(
        None, help="Add <move> control codes to the target or to the prompt."
    ),
    taxonomy: int = typer.Option(
        4, min=3, max=4, help="4 moves, or 3 (focus and probing -> scaffolding)."
    ),
    move_weight: list[str] = typer.Option([], help="MOVE=0 or MOVE=1; repeatable."),
    split: str = typer.Option("qid", help="qid (no problem on both sides) or published."),
    val_fraction: float = typer.Option(
        0.1, min=0, max=1, help="Share of problems (qids) for validation."
    ),
    test_fraction: float = typer.Option(
        0.0, min=0, max=1, help="Share of problems (qids) for test."
    ),
    seed: int = typer.Option(0, min=0, max=MAX_SEED, help="Seed of the qid split."),
    moves_from: Path | None = typer.Option(
        None, help="Annotation file whose 'move' labels replace the gold moves."
    ),
    rater: str | None = typer.Option(None, help="Rater of --moves-from to use."),
    min_confidence: float | None = typer.Option(
        None, min=0, max=1, help="Ignore --moves-from rows below this confidence."
    ),
    cleanup: str = typer.Option(
        "tag_only,duplicates,merge", help="Clean-up steps to apply (comma list, or 'none')."
    ),
    max_tokens: int = typer.Option(
        65536, min=1, max=MAX_EXAMPLE_TOKENS, help="Leave out examples over this many tokens."
    ),
    sep: str | None = SEP,
    encoding: str | None = ENCODING,
) -> None:
    """Write OUT/train.jsonl, val.jsonl (test.jsonl when asked) and manifest.json."""
    use_dialect(sep, encoding)
    import pandas as pd

    from edukit.corpora.mathdial import read_mathdial
    from edukit.export import check_options, export_finetune

    fields = _csv(grounding)
    options = {
        "format": format,
        "unit": unit,
        "role": role,
        "grounding": [] if fields == ["none"] else fields,
        "moves": _csv(moves),
        "move_token": move_token,
        "taxonomy": taxonomy,
        "move_weights": _weights(move_weight),
        "split": split,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "rater": rater,
        "min_confidence": min_confidence,
        "cleanup": [] if cleanup.strip() == "none" else _csv(cleanup),
    }
    # A typo in an option fails before the (possibly large) inputs are read.
    check_options(**options, moves_from=moves_from is not None)
    _guard(out, [*inputs, moves_from, system_template])
    template = None
    if system_template is not None:
        template = read_system_template(system_template, ExportError)
    read = [read_mathdial(p) for p in inputs]
    for p, md in zip(inputs, read, strict=True):
        for w in md.warnings:
            typer.echo(f"Warning: {p}: {w}", err=True)
    manifest = at_template(
        system_template,
        export_finetune,
        pd.concat([md.dialogues for md in read], ignore_index=True),
        pd.concat([md.utterances for md in read], ignore_index=True),
        out_dir=out,
        system_template=template,
        seed=seed,
        moves_from=moves_from,
        inputs=inputs,
        max_tokens=max_tokens,
        **options,
    )
    for split_name, file in manifest.files.items():
        c = manifest.counts[split_name]
        typer.echo(
            f"{out / file}: {_count(c['examples'], 'example')}, {_count(c['targets'], 'target')}, "
            f"{_count(c['dialogues'], 'dialogue')}, {_count(c['qids'], 'problem')}"
        )
    typer.echo(f"{out / 'manifest.json'}: licence {manifest.source['licence']}")


def validate(
    file: Path = typer.Argument(..., help="A JSONL file to check."),
    format: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help=_FORMAT_HELP + " Default: the format in the manifest.json beside FILE.",
    ),
    max_tokens: int = typer.Option(
        65536, min=1, max=MAX_EXAMPLE_TOKENS, help="Largest allowed example, in estimated tokens."
    ),
) -> None:
    """Check every line against the format's rules; one line per problem, exit 2 if any."""
    from edukit.export import guess_format, manifest_format, validate_file

    if format is None:
        found = manifest_format(file)
        if found is None:
            looks = guess_format(file)
            hint = f" (it looks like {looks}: --format {looks})" if looks else ""
            raise ExportError(
                f"no --format and no manifest.json beside the file naming it{hint}", path=file
            )
        format = found[0]
    problems = validate_file(file, format, max_tokens=max_tokens)
    if problems:
        looks = guess_format(file)
        if looks is not None and looks != format:
            # A wrong format flags every line: name the right one instead of listing them all.
            raise ExportError(
                f"not {format}: the file looks like {looks} (--format {looks}); "
                f"first problem: line {problems[0].line}: {problems[0].message}",
                path=file,
            )
    for p in problems[:_SHOWN]:
        typer.echo(str(p))
    if problems:
        lines = len({p.line for p in problems})
        more = f" (first {_SHOWN} shown)" if len(problems) > _SHOWN else ""
        raise ExportError(
            f"{_count(len(problems), 'problem')} on {_count(lines, 'line')}{more}", path=file
        )
    from edukit.userfile import read_user_text

    raw = read_user_text(file, what="file", error=ExportError, limit="data")
    n = sum(1 for line in raw.splitlines() if line.strip())
    typer.echo(f"{file}: {_count(n, 'example')}, valid {format}")


def _guard(out: Path, inputs: list[Path | None]) -> None:
    """No file the export writes may be an input; the folder must be creatable."""
    from edukit.paths import check_folder, guard_outputs

    check_folder(out, "--out")
    names = ("train.jsonl", "val.jsonl", "test.jsonl", "manifest.json", "dataset_info.json")
    guard_outputs({f"--out ({name})": out / name for name in names}, inputs)


_SHOWN = 50  # a wrong --format flags every line: show the first ones, count the rest


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def register(app: typer.Typer) -> None:
    """Add `edukit export finetune` and `edukit export validate`."""
    group = typer.Typer(
        name="export",
        help="Fine-tuning datasets for tutor models from tutoring dialogues.",
        no_args_is_help=True,
    )
    group.command("finetune")(finetune)
    group.command("validate")(validate)
    app.add_typer(group, name="export")
