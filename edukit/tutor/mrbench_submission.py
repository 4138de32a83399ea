"""Predictions for MRBench V3 in the layout of the BEA 2025 shared task's submissions.

The submission is the test file itself with each tutor response's predicted labels added under
`annotation` (keys and values spelled as in the dev set), so the run scored on the dev set can be
submitted unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from edukit.corpora.mrbench import FILE_KEY, SHARED_TASK_DIMENSIONS, load_records, read_mrbench
from edukit.errors import InputError


def submission(
    test_file: str | os.PathLike,
    predictions: Any,
    *,
    rater: str | None = None,
    dimensions: tuple[str, ...] = SHARED_TASK_DIMENSIONS,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The test file's records with `annotation` filled from `predictions`; and warnings.

    `predictions` is a long annotation table. Every response must have a prediction for every
    dimension in `dimensions` that the predictions hold; a response left without one is an error
    naming it (a submission must be complete).
    """
    from edukit.tutor.mrbench_score import select_predictions

    path = Path(test_file)
    mr = read_mrbench(path)
    preds, rater = select_predictions(predictions, rater, list(dimensions))
    present = [d for d in dimensions if d in set(preds["label"])]
    if not present:
        raise InputError(f"rater {rater!r} has no predictions for {', '.join(dimensions)}")
    cols = (preds["item_id"], preds["label"], preds["value"])
    lookup = {(i, lab): v for i, lab, v in zip(*cols, strict=True)}
    records = load_records(path)  # the same bounded, checked reader as read_mrbench
    key = "anno_llm_responses" if "anno_llm_responses" in records[0] else "tutor_responses"
    ids = iter(mr.responses["item_id"])
    missing: list[str] = []
    for rec in records:
        for body in rec[key].values():
            item = next(ids)
            ann = {}
            for d in present:
                value = lookup.get((item, d))
                if value is None:
                    missing.append(f"{item} {d}")
                else:
                    ann[FILE_KEY.get(d, d)] = value
            body["annotation"] = ann
    if missing:
        raise InputError(
            f"{len(missing)} predictions missing for a complete submission (e.g. {missing[0]})",
            path=path,
        )
    used = {i for i, _ in lookup}
    extra = used - set(mr.responses["item_id"])
    warnings = (
        [f"{len(extra)} predicted item(s) are not responses of {path}: ignored"] if extra else []
    )
    return records, warnings


def write_submission(records: list[dict[str, Any]], out: str | os.PathLike) -> Path:
    """Write the submission JSON (UTF-8, indented like the released files)."""
    from edukit.userfile import os_reason

    p = Path(out)
    text = json.dumps(records, indent=4, ensure_ascii=False) + "\n"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    except OSError as exc:  # a full disk, a folder that cannot be made (/proc/x)
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)  # no half-written submission is left
        raise InputError(f"cannot write: {os_reason(exc)}", path=out) from None
    return p
