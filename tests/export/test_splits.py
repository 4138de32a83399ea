"""Splits: whole problems on one side, seeded; or the published split named by the input file."""

from __future__ import annotations

import pandas as pd
import pytest

from edukit.errors import ExportError
from edukit.export import assign_splits


def _dialogues(n_qids: int, per_qid: int, stem: str = "train") -> pd.DataFrame:
    qids = [str(q) for q in range(n_qids) for _ in range(per_qid)]
    return pd.DataFrame({"dialogue_id": [f"{stem}-{i}" for i in range(len(qids))], "qid": qids})


def test_qid_split_keeps_every_problem_on_one_side_with_the_asked_shares():
    d = _dialogues(50, 3)
    split = assign_splits(d, "qid", val_fraction=0.2, test_fraction=0.1, seed=7)
    sides = pd.DataFrame({"qid": d["qid"].to_numpy(), "split": split.to_numpy()})
    assert (sides.groupby("qid")["split"].nunique() == 1).all()
    per_split = sides.drop_duplicates("qid")["split"].value_counts().to_dict()
    # GroupShuffleSplit rounds the held-out share of problems up: 5 test, then 10 val of 45.
    assert per_split == {"train": 35, "val": 10, "test": 5}


def test_qid_split_is_seeded():
    d = _dialogues(40, 2)
    a = assign_splits(d, "qid", seed=1)
    assert a.equals(assign_splits(d, "qid", seed=1))
    assert not a.equals(assign_splits(d, "qid", seed=2))
    assert set(assign_splits(d, "qid", val_fraction=0)) == {"train"}


def test_published_split_follows_the_file_stem():
    d = pd.concat([_dialogues(2, 1, "train"), _dialogues(2, 1, "test")], ignore_index=True)
    d["dialogue_id"] = ["train-0", "train-1", "test-0", "test-1"]
    assert assign_splits(d, "published").to_dict() == {
        "train-0": "train",
        "train-1": "train",
        "test-0": "test",
        "test-1": "test",
    }
    with pytest.raises(ExportError, match="named train, val or test; got 'mine'"):
        assign_splits(_dialogues(1, 1, "mine"), "published")


def test_bad_split_options():
    with pytest.raises(ExportError, match="sum below 1"):
        assign_splits(_dialogues(5, 1), "qid", val_fraction=0.6, test_fraction=0.5)
    with pytest.raises(ExportError, match="too few problems"):
        assign_splits(_dialogues(1, 3), "qid", val_fraction=0.1)
    with pytest.raises(ExportError, match="unknown split 'random'"):
        assign_splits(_dialogues(5, 1), "random")
