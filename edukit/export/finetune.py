"""`export_finetune`: MathDial-shaped dialogues and utterances to fine-tuning JSONL + manifest."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from edukit.corpora.tables import is_missing, source_row
from edukit.errors import ExportError
from edukit.export.examples import (
    CLEANUP_STEPS,
    GROUNDING_FIELDS,
    MOVES_4,
    NO_MOVE,
    TAXONOMY_3,
    BuildOptions,
    build_examples,
    clean_turns,
    map_move,
)
from edukit.export.formats import (
    ALTERNATING,
    FORMATS,
    LLAMA_FACTORY,
    NEEDS_MERGE,
    dataset_info,
    render,
)
from edukit.export.manifest import Manifest, sha256
from edukit.export.splits import SPLITS, assign_splits, check_split
from edukit.export.tokens import count_tokens, estimator_name
from edukit.export.validate import DEFAULT_MAX_TOKENS, _texts
from edukit.userfile import exists as _exists
from edukit.userfile import os_reason


def export_finetune(
    dialogues: pd.DataFrame,
    utterances: pd.DataFrame,
    *,
    format: str,
    out_dir: str | os.PathLike,
    unit: str = "turn",
    grounding: Sequence[str] | None = None,
    system_template: str | None = None,
    moves: Iterable[str] | None = None,
    move_token: str | None = None,
    taxonomy: int = 4,
    move_weights: Mapping[str, int] | None = None,
    role: str = "teacher",
    split: str = "qid",
    val_fraction: float = 0.1,
    test_fraction: float = 0.0,
    seed: int = 0,
    moves_from: pd.DataFrame | str | os.PathLike | None = None,
    rater: str | None = None,
    min_confidence: float | None = None,
    cleanup: Sequence[str] = CLEANUP_STEPS,
    inputs: Sequence[str | os.PathLike] = (),
    max_tokens: int = DEFAULT_MAX_TOKENS,
    name: str = "mathdial_tutor",
) -> Manifest:
    """Write `out_dir`/{train,val[,test]}.jsonl and manifest.json; return the manifest.

    `dialogues`/`utterances` are `read_mathdial(...)` tables. Teacher turns (or student turns with
    `role="student"`) become assistant targets: one example per target (`unit="turn"`) or per
    dialogue (`unit="dialogue"`). `grounding` picks the dialogue fields in the system prompt (None:
    the role's default); `system_template` is a jinja2 template over the dialogue's fields and
    `grounding`. `moves` keeps only those target moves; `move_token` ("target" or "prompt") adds
    `<move>` control codes; `taxonomy=3` merges focus and probing into `scaffolding`;
    `move_weights` sets a move's weight to 0 or 1. `moves_from` (a long annotation table or its
    path) replaces the gold moves with `rater`'s label `move`, dropping rows below
    `min_confidence`. `cleanup` steps: `tag_only`, `duplicates`, `merge`. `inputs` are hashed
    into the manifest. Examples over `max_tokens` (estimated) are left out and counted.
    """
    opts = check_options(
        format=format, unit=unit, role=role, grounding=grounding,
        system_template=system_template, moves=moves, move_token=move_token, taxonomy=taxonomy,
        move_weights=move_weights, cleanup=cleanup, split=split, val_fraction=val_fraction,
        test_fraction=test_fraction, moves_from=moves_from is not None, rater=rater,
        min_confidence=min_confidence,
    )  # fmt: skip
    ids = dialogues["dialogue_id"].astype(str)
    if ids.duplicated().any():
        raise ExportError(
            f"dialogue id {ids[ids.duplicated()].iloc[0]!r} appears twice: ids are "
            "<file stem>-<row>, so give the input files different names"
        )
    out = Path(out_dir)
    input_hashes = [{"path": os.fspath(p), "sha256": sha256(p)} for p in inputs]
    utts = utterances.copy()
    if moves_from is not None:
        ann, ann_path = _read_moves(moves_from)
        if ann_path is not None:
            input_hashes.append({"path": ann_path, "sha256": sha256(ann_path)})
        utts["move"] = _annotated_moves(utts, ann, rater, min_confidence, ann_path)
    else:
        utts["move"] = utts["move"].fillna("").astype(str).str.strip().str.lower()
        utts["move"] = utts["move"].where(utts["move"] != "", None)
    _check_moves(opts, utts)

    splits = assign_splits(
        dialogues, split, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed
    )
    counts: Counter = Counter()
    lines: dict[str, list[str]] = {s: [] for s in SPLITS}
    meta: dict[str, list[tuple[str, str, list[str], int]]] = {s: [] for s in SPLITS}
    # One pass over the few columns the builder reads (per-group `to_dict` cost 70% of the time).
    cols = ["dialogue_id", "speaker", "text", "move", "item_id"]
    utts = utts.sort_values(["dialogue_id", "turn"], kind="stable")[cols]
    by_dialogue: dict[str, list[dict]] = {}
    for row in utts.to_dict("records"):
        by_dialogue.setdefault(str(row["dialogue_id"]), []).append(row)
    for dialogue in dialogues.to_dict("records"):
        did = str(dialogue["dialogue_id"])
        turns = clean_turns(by_dialogue.get(did, []), opts.cleanup, counts)
        for ex in build_examples(dialogue, turns, opts, counts):
            obj = render(ex, format)
            # The builder guarantees the structural rules (the tests validate every format);
            # only the size limit is data-dependent.
            tokens = count_tokens(_texts(obj))
            if tokens > max_tokens:
                counts["skipped:too_long"] += 1
                continue
            line = json.dumps(obj, ensure_ascii=False)
            s = splits[did]
            lines[s].append(line)
            targets = ex.targets[-1:] if format == "trl-prompt-completion" else ex.targets
            moves_ = [m.move or NO_MOVE for m in targets]
            meta[s].append((did, ex.qid, moves_, tokens))

    if not any(lines.values()):
        skipped = ", ".join(
            f"{k.split(':', 1)[1]}: {v}" for k, v in sorted(counts.items()) if k.startswith("skip")
        )
        raise ExportError(
            "no examples left to write: the options and filters (--moves, --role, --max-tokens, "
            f"clean-up) removed every target{f' (skipped {skipped})' if skipped else ''}; "
            "nothing written"
        )
    wanted = [s for s in SPLITS if s != "test" or test_fraction > 0 or lines["test"]]
    files = {s: f"{s}.jsonl" for s in wanted}
    if _exists(out) and not out.is_dir():
        raise ExportError("--out must be a folder, and this is a file", path=out)
    if not _exists(out) and out.suffix.lower() in (".jsonl", ".json", ".csv", ".parquet"):
        # train/val/test files and the manifest go inside; a file name here is a slip
        raise ExportError(
            f"--out is the folder for train.jsonl, val.jsonl and manifest.json; "
            f"give a folder name, not a {out.suffix} file",
            path=out,
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the output folder: {os_reason(exc)}", path=out) from None
    for s, file in files.items():
        _write_atomic(out / file, "".join(f"{line}\n" for line in lines[s]))
    if format in LLAMA_FACTORY:
        info = dataset_info(format, files, name)
        _write_atomic(out / "dataset_info.json", json.dumps(info, indent=2) + "\n")

    manifest = _manifest(
        opts, format, files, meta, counts, input_hashes,
        options={
            "grounding": list(opts.grounding) if opts.grounding is not None else None,
            "system_template": system_template, "moves": sorted(opts.moves or []) or None,
            "move_token": move_token, "taxonomy": taxonomy, "move_weights": dict(opts.move_weights),
            "split": split, "val_fraction": val_fraction, "test_fraction": test_fraction,
            "seed": seed, "moves_from": bool(moves_from is not None), "rater": rater,
            "min_confidence": min_confidence, "cleanup": list(opts.cleanup),
            "opener": opts.opener, "max_tokens": max_tokens,
        },
    )  # fmt: skip
    manifest.write(out / "manifest.json")
    return manifest


def check_options(
    *,
    format: str,
    unit: str = "turn",
    role: str = "teacher",
    grounding: Sequence[str] | None = None,
    system_template: str | None = None,
    moves: Iterable[str] | None = None,
    move_token: str | None = None,
    taxonomy: int = 4,
    move_weights: Mapping[str, int] | None = None,
    cleanup: Sequence[str] = CLEANUP_STEPS,
    split: str = "qid",
    val_fraction: float = 0.1,
    test_fraction: float = 0.0,
    moves_from: bool = False,
    rater: str | None = None,
    min_confidence: float | None = None,
) -> BuildOptions:
    """Check every option that needs no data (before any input is read); the build options.

    Raises `ExportError` on the first bad option. `moves_from` says whether an annotation file
    replaces the gold moves (`rater` and `min_confidence` need one).
    """
    fmt, weights = format, move_weights
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if unit not in ("turn", "dialogue"):
        raise ExportError(f"unknown unit {unit!r} (choose turn or dialogue)")
    if role not in ("teacher", "student"):
        raise ExportError(f"unknown role {role!r} (choose teacher or student)")
    if taxonomy not in (3, 4):
        raise ExportError(f"--taxonomy must be 3 or 4, not {taxonomy}")
    if move_token not in (None, "target", "prompt"):
        raise ExportError(f"--move-token must be target or prompt, not {move_token!r}")
    if move_token == "target" and role == "student":
        raise ExportError("--move-token target needs --role teacher (students make no moves)")
    if grounding is not None:
        bad = [g for g in grounding if g not in GROUNDING_FIELDS]
        if bad:
            raise ExportError(
                f"unknown grounding field {bad[0]!r} (choose from {', '.join(GROUNDING_FIELDS)})"
            )
    bad = [c for c in cleanup if c not in CLEANUP_STEPS]
    if bad:
        raise ExportError(
            f"unknown clean-up step {bad[0]!r} (choose from {', '.join(CLEANUP_STEPS)})"
        )
    if fmt in NEEDS_MERGE and "merge" not in cleanup:
        need = "alternating turns" if fmt in ALTERNATING else "a prompt that ends with the user"
        raise ExportError(f"{fmt} needs {need}: keep the 'merge' clean-up step")
    check_split(split, val_fraction, test_fraction)
    if not moves_from and (rater is not None or min_confidence is not None):
        raise ExportError("--rater and --min-confidence choose among --moves-from annotations: "
                          "give --moves-from too")  # fmt: skip
    norm_weights = {}
    for move, w in (weights or {}).items():
        if w not in (0, 1):
            raise ExportError(f"move weight for {move!r} must be 0 or 1 (OpenAI's only values)")
        norm_weights[map_move(move, taxonomy)] = int(w)
    moves_set = frozenset(map_move(m, taxonomy) for m in moves) if moves is not None else None
    return BuildOptions(
        unit=unit,
        role=role,
        grounding=tuple(grounding) if grounding is not None else None,
        system_template=system_template,
        moves=moves_set,
        move_token=move_token,
        taxonomy=taxonomy,
        move_weights=norm_weights,
        cleanup=tuple(s for s in CLEANUP_STEPS if s in cleanup),
        require_moves=moves_from,
    )


def _check_moves(opts: BuildOptions, utts: pd.DataFrame) -> None:
    """A `--moves` or weight name that is neither in the taxonomy nor in the data is a typo."""
    seen = {map_move(m, opts.taxonomy) for m in utts["move"].dropna()}
    known = {map_move(m, opts.taxonomy) for m in MOVES_4} | seen | {NO_MOVE}
    for m in sorted((opts.moves or set()) | set(opts.move_weights)):
        if m not in known:
            names = sorted(known - ({"focus", "probing"} if opts.taxonomy == 3 else set()))
            raise ExportError(f"unknown move {m!r} (moves here: {', '.join(names)})")


def _read_moves(moves_from: pd.DataFrame | str | os.PathLike) -> tuple[pd.DataFrame, str | None]:
    if isinstance(moves_from, pd.DataFrame):
        return moves_from, None
    from edukit.annotations import read_annotations

    return read_annotations(moves_from), os.fspath(moves_from)


def _annotated_moves(
    utts: pd.DataFrame, ann: pd.DataFrame, rater: str | None, min_conf: float | None, path
) -> pd.Series:
    """Each utterance's move from one rater's `move` labels (None where there is none)."""
    ann = ann[ann["label"].astype(str) == "move"]
    raters = sorted(ann["rater"].astype(str).unique())
    if not raters:
        raise ExportError("no 'move' annotations in the file", path=path)
    if rater is None:
        if len(raters) > 1:
            raise ExportError(f"several raters; choose one with --rater ({', '.join(raters)})",
                              path=path)  # fmt: skip
        rater = raters[0]
    if rater not in raters:
        raise ExportError(f"no 'move' annotations by rater {rater!r} ({', '.join(raters)})",
                          path=path)  # fmt: skip
    ann = ann[ann["rater"].astype(str) == rater]
    if min_conf is not None:
        if "confidence" not in ann.columns:
            raise ExportError("--min-confidence needs a 'confidence' column", path=path)
        conf = pd.to_numeric(ann["confidence"], errors="coerce")
        bad = conf.isna() & ann["confidence"].map(lambda v: not is_missing(v))
        if bad.any():
            i = bad.idxmax()
            raise ExportError(f"confidence {ann['confidence'][i]!r} is not a number", path=path,
                              where=source_row(path, i))  # fmt: skip
        # A row without a confidence (a human's, say) cannot reach the threshold.
        ann = ann[conf >= min_conf]
    values = ann["value"].astype(str).str.strip().str.lower()
    # Several samples per item (self-consistency runs): the most frequent answer, ties by name.
    mode = (
        pd.DataFrame({"item_id": ann["item_id"].astype(str), "v": values})
        .value_counts()
        .reset_index(name="n")
        .sort_values(["item_id", "n", "v"], ascending=[True, False, True])
        .drop_duplicates("item_id")
        .set_index("item_id")["v"]
    )
    ids = utts["item_id"].astype(str)
    if len(mode) and not ids.isin(mode.index).any():
        raise ExportError(
            "no annotated item id matches an utterance of the input "
            "(annotations from another file?)",
            path=path,
        )
    moves = ids.map(mode)
    moves = moves.where(utts["speaker"] == "teacher")
    return moves.astype(object).where(moves.notna(), None)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _manifest(opts, fmt, files, meta, counts, input_hashes, options) -> Manifest:
    from edukit import __version__

    per_split, moves, tokens = {}, {}, {}
    for s in files:
        rows = meta[s]
        per_split[s] = {
            "examples": len(rows),
            "dialogues": len({r[0] for r in rows}),
            "qids": len({r[1] for r in rows}),
            "targets": sum(len(r[2]) for r in rows),
        }
        moves[s] = dict(sorted(Counter(m for r in rows for m in r[2]).items()))
        t = pd.Series([r[3] for r in rows], dtype=float)
        tokens[s] = (
            {
                "min": int(t.min()),
                "mean": round(float(t.mean()), 1),
                "median": round(float(t.median()), 1),
                "p95": round(float(t.quantile(0.95)), 1),
                "max": int(t.max()),
            }
            if len(t)
            else {}
        )
    qid_sides = Counter(q for s in files for q in {r[1] for r in meta[s]})
    cleanup = {step: {} for step in CLEANUP_STEPS}
    skipped = {}
    for key, n in sorted(counts.items()):
        head, _, tail = key.partition(":")
        if head in cleanup:
            cleanup[head][tail] = n
        elif head == "skipped":
            skipped[tail] = n
        elif head == "dialogues_without_target":
            skipped[head] = n
    return Manifest(
        format=fmt,
        unit=opts.unit,
        role=opts.role,
        options=options,
        inputs=input_hashes,
        files=files,
        counts=per_split,
        cleanup=cleanup,
        skipped=skipped,
        moves=moves,
        tokens=tokens,
        token_estimator=estimator_name(),
        opener_inserted=counts["opener_inserted"],
        qids_in_more_than_one_split=sum(1 for n in qid_sides.values() if n > 1),
        notes=_notes(opts, fmt),
        edukit_version=__version__,
    )


def _notes(opts: BuildOptions, fmt: str) -> list[str]:
    notes = [
        "Targets are the "
        + ("teacher" if opts.role == "teacher" else "student")
        + " turns (role 'assistant'); the other speaker is 'user'. A dialogue that opens with "
        "the assistant gets the opener user message first.",
        "Clean-up counts are turns removed per speaker: 'tag_only' dropped empty (tag-only) "
        "turns, 'duplicates' dropped exact consecutive repeats, 'merge' folded a turn into the "
        "previous turn of the same speaker (the merged turn keeps its first move).",
    ]
    if opts.taxonomy == 3:
        notes.append(f"Taxonomy 3: {', '.join(TAXONOMY_3)} merged into 'scaffolding'.")
    if opts.unit == "dialogue" and fmt not in ("openai-chat", "trl-prompt-completion"):
        notes.append(
            f"{fmt} has no per-message weights: each dialogue is cut after its last selected "
            "target, and earlier assistant turns with excluded moves remain and are trained by "
            "trainers that learn every assistant turn. Use openai-chat (weight 0) or unit=turn "
            "to exclude them exactly."
        )
    if opts.unit == "dialogue" and fmt == "trl-prompt-completion":
        notes.append(
            "trl-prompt-completion trains only the completion: in unit=dialogue it is the last "
            "selected target, the rest of the dialogue is the prompt."
        )
    if opts.unit == "turn" and fmt in ("trl-messages", "sharegpt", "alpaca"):
        notes.append(
            f"{fmt} trains earlier assistant turns in the history too (unless the trainer masks "
            "them); trl-prompt-completion or openai-chat train only the target."
        )
    return notes
