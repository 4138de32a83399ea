"""Rubric development: compare arms (prompt strategies x rubric versions x models) with humans.

`compare(...)` (also `edukit.compare`) is what `edukit compare` runs: with `from_annotations`,
the model labels a file already holds (SIGHT: one arm per prompt folder); otherwise a sweep, each
arm an ordinary annotate run (`edukit.develop.sweep`). `compare_arms(annotations, humans, arms)`
compares raters of one long table. Each arm gets the `edukit agree` figures against the humans
plus classification scores, and pairs of arms a paired, clustered bootstrap difference with
Holm's adjustment (`edukit.develop.paired`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edukit.develop.comparison import compare_arms, from_annotations
from edukit.develop.evaluate import Settings
from edukit.develop.result import CompareResult

__all__ = ["CompareResult", "Settings", "compare", "compare_arms", "from_annotations"]


def compare(
    items: str | os.PathLike | None = None,
    *,
    humans: Sequence[str],
    gold: str | os.PathLike | None = None,
    from_annotations: str | os.PathLike | None = None,
    prompts: Sequence[str | os.PathLike] = (),
    settings: Settings | None = None,
    **sweep: Any,
) -> CompareResult | None:
    """Compare arms with the human labels of `gold` (or of `from_annotations`).

    With `from_annotations`: no requests (see `from_annotations`). Otherwise `items` are
    annotated by every arm; `sweep` holds the `edukit.develop.sweep.SweepOptions` fields
    (`rubrics`, `models`, `strategies`, `plan`, `base_url`, `run_db`, `limit`, `max_cost`,
    `holdout`, `final`, ...). Returns None when no arm is complete (a dry run, a budget stop
    before the first arm finished); the sweep's messages go to stdout.
    """
    if from_annotations is not None:
        from edukit.develop.comparison import from_annotations as existing

        return existing(
            from_annotations, humans, prompts, settings=settings, group_col=sweep.get("group_col")
        )
    from edukit.develop.sweep import SweepOptions, run_compare

    if items is None:
        raise TypeError("compare() needs items (or from_annotations=)")
    opts = SweepOptions(items=Path(items), gold=Path(gold or items), humans=list(humans), **sweep)
    return run_compare(opts, settings).result
