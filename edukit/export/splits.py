"""Train/val/test assignment of dialogues: by problem (qid) so no problem leaks, or as published."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from edukit.errors import ExportError

if TYPE_CHECKING:
    import numpy as np

SPLITS = ("train", "val", "test")
_PUBLISHED = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
}


def assign_splits(
    dialogues: pd.DataFrame,
    method: str = "qid",
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> pd.Series:
    """The split of every dialogue (a Series indexed by dialogue_id).

    `qid`: whole problems go to one side (fractions are of problems, drawn with `seed`);
    `published`: the split named by the input file (`train.csv` → train), taken from the
    dialogue id `<file stem>-<row>`.
    """
    check_split(method, val_fraction, test_fraction)
    ids = dialogues["dialogue_id"].astype(str)
    if method == "published":
        stems = ids.str.rsplit("-", n=1).str[0]
        unknown = sorted(set(stems) - _PUBLISHED.keys())
        if unknown:
            raise ExportError(
                f"--split published needs input files named train, val or test; got {unknown[0]!r}"
            )
        return pd.Series(stems.map(_PUBLISHED).to_numpy(), index=ids.to_numpy(), name="split")
    qids = dialogues["qid"].astype(str).to_numpy()
    split = pd.Series("train", index=ids.to_numpy(), name="split")
    remaining = pd.Series(True, index=split.index)
    # Carve test first, then val, each as a fraction of all problems.
    n_groups = len(set(qids))
    left = 1.0
    for name, fraction in (("test", test_fraction), ("val", val_fraction)):
        if fraction == 0 or n_groups == 0:
            continue
        mask = remaining.to_numpy()
        share = min(fraction / left, 1.0)
        chosen = _group_sample(qids[mask], share, seed, name)
        idx = split.index[mask][chosen]
        split[idx] = name
        remaining[idx] = False
        left -= fraction
    return split


def check_split(method: str, val_fraction: float, test_fraction: float) -> None:
    """Raise `ExportError` for an unknown split method or fractions outside [0, 1)."""
    if method not in ("qid", "published"):
        raise ExportError(f"unknown split {method!r} (choose qid or published)")
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ExportError("--val-fraction and --test-fraction must be in [0, 1) and sum below 1")


def _group_sample(groups: np.ndarray, share: float, seed: int, name: str) -> list[bool]:
    """Boolean mask of the rows whose group is drawn into a `share` of the groups."""
    from sklearn.model_selection import GroupShuffleSplit

    n = len(set(groups))
    if n < 2:
        raise ExportError(f"too few problems (qids) left to draw a {name} split from: {n}")
    gss = GroupShuffleSplit(n_splits=1, test_size=share, random_state=seed)
    try:
        _, test_idx = next(gss.split(groups, groups=groups))
    except ValueError as exc:
        raise ExportError(f"cannot draw the {name} split from {n} problems: {exc}") from None
    mask = [False] * len(groups)
    for i in test_idx:
        mask[i] = True
    return mask
