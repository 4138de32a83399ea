"""The offline baseline learns, never annotates its own training items, and is deterministic."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edukit.annotate.baseline import COLUMNS, MODEL, train_and_annotate
from edukit.errors import AnnotationError

CONFUSED = ["i am confused", "i do not understand this step", "lost at the proof, confused"]
THANKS = ["thank you so much", "great lecture, thanks", "thanks professor, wonderful"]
MOVES = {
    "probing": ["why do you think that works?", "can you explain your reasoning?"],
    "telling": ["the answer is 12.", "you should multiply by 3."],
    "focus": ["look at the first equation.", "focus on the units here."],
}


def _corpus(n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A separable set: n items per class, confusion 0/1 and a three-class `move`."""
    items, long = [], []
    i = 0
    for k in range(n):
        for text, conf in ((CONFUSED[k % 3], 1), (THANKS[k % 3], 0)):
            items.append({"item_id": str(i), "text": f"{text} #{k}"})
            long.append({"item_id": str(i), "rater": "H1", "label": "confusion", "value": conf})
            i += 1
        for move, texts in MOVES.items():
            items.append({"item_id": str(i), "text": texts[k % 2]})
            long.append({"item_id": str(i), "rater": "H1", "label": "move", "value": move})
            i += 1
    df = pd.DataFrame(long).assign(version="")
    return pd.DataFrame(items), df


def test_learns_a_separable_set_binary_and_multiclass():
    train_items, train = _corpus()
    new = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d", "e"],
            "text": [
                "so confused, i do not understand",
                "thanks, great lecture",
                "why do you think so?",
                "the answer is 7.",
                "focus on the first equation.",
            ],
        }
    )
    out = train_and_annotate(
        new, train, train_rater="H1", train_items=train_items, labels=["confusion", "move"]
    )
    assert list(out.columns) == COLUMNS
    assert len(out) == 10  # 5 items x 2 labels, item-major in input order
    got = {(r.item_id, r.label): r.value for r in out.itertuples()}
    assert got[("a", "confusion")] == 1 and got[("b", "confusion")] == 0
    assert isinstance(got[("a", "confusion")], int)
    assert [got[(i, "move")] for i in "cde"] == ["probing", "telling", "focus"]
    assert list(out["item_id"][:4]) == ["a", "a", "b", "b"]
    assert set(out["rater"]) == {MODEL} and set(out["model"]) == {MODEL}
    # The chosen value is the most probable one: >= 1/2 for binary, > 1/3 for three classes.
    conf = out.set_index("label")["confidence"]
    assert conf["confusion"].between(0.5, 1).all() and conf["move"].between(1 / 3, 1).all()
    params = json.loads(out["params"][0])
    assert params["train_rater"] == "H1" and params["seed"] == 0
    assert out["version"].nunique() == 1 and len(out["version"][0]) == 12
    assert out["run_id"][0] == f"local-{out['version'][0]}"


def test_training_items_are_not_annotated():
    train_items, train = _corpus()
    extra = pd.DataFrame({"item_id": ["x1", "x2"], "text": ["confused again", "thanks a lot"]})
    items = pd.concat([train_items, extra], ignore_index=True)
    out = train_and_annotate(items, train, train_rater="H1", labels=["confusion"])
    assert sorted(out["item_id"]) == ["x1", "x2"]
    assert out.attrs["excluded_train_items"] == len(train_items)
    assert "no train/test leakage" in out.attrs["note"]
    # Only the labelled rows of train_rater count as training items.
    other = train.assign(rater="H2")
    both = pd.concat([train[train["item_id"].astype(int) < 25], other], ignore_index=True)
    out = train_and_annotate(items, both, train_rater="H1", labels=["confusion"])
    assert out.attrs["excluded_train_items"] == len(train[train["item_id"].astype(int) < 25])


def test_one_class_label_is_a_clear_error():
    train_items, train = _corpus()
    train = train.copy()
    train.loc[train["label"] == "confusion", "value"] = 0
    with pytest.raises(AnnotationError, match=r"label 'confusion'.*single class"):
        train_and_annotate(train_items, train, train_rater="H1", labels=["confusion"])


def test_unknown_rater_and_label_are_errors():
    train_items, train = _corpus()
    with pytest.raises(AnnotationError, match=r"rater 'H9'.*raters present: H1"):
        train_and_annotate(train_items, train, train_rater="H9")
    with pytest.raises(AnnotationError, match=r"no training labels for 'gratitude'"):
        train_and_annotate(train_items, train, train_rater="H1", labels=["gratitude"])


def test_deterministic_for_a_seed_and_version_tracks_the_data():
    train_items, train = _corpus()
    new = pd.DataFrame({"item_id": ["p", "q"], "text": ["unsure and lost", "nice thanks"]})
    kw = {"train_rater": "H1", "train_items": train_items}
    a = train_and_annotate(new, train, **kw)
    b = train_and_annotate(new, train, **kw)
    pd.testing.assert_frame_equal(a, b)
    changed = train.copy()
    changed.loc[0, "value"] = 0
    c = train_and_annotate(new, changed, **kw)
    assert c["version"][0] != a["version"][0]
    d = train_and_annotate(new, train, seed=1, **kw)
    assert d["version"][0] != a["version"][0]


def test_real_sight_sample_train_split_to_test_split(shared_data):
    """SIGHT's sample_dataset.csv: H1's 100 train-split comments → the 50 test-split comments."""
    from edukit.corpora.sight import read_sight

    sight = read_sight(shared_data / "sight" / "annotations" / "sample_dataset.csv")
    split = sight.items["datasplit"]
    train_items, test_items = sight.items[split == "train"], sight.items[split == "test"]
    assert (len(train_items), len(test_items)) == (100, 50)
    kw = {"train_rater": "H1", "text_col": "comment", "train_items": train_items}
    train = sight.annotations[sight.annotations["item_id"].isin(train_items["item_id"])]
    # H1 marked no train-split comment non-English: that label cannot be learned.
    with pytest.raises(AnnotationError, match=r"label 'non_english'.*single class"):
        train_and_annotate(test_items, train, **kw)
    labels = [lab for lab in dict.fromkeys(train["label"]) if lab != "non_english"]
    out = train_and_annotate(test_items, train, labels=labels, **kw)
    assert len(out) == 50 * 9 and set(out["item_id"]) == set(test_items["item_id"])
    # Gratitude is learnable from words alone: better than always answering H1's majority class.
    h1 = sight.annotations.query("rater == 'H1' and label == 'gratitude'").set_index("item_id")
    got = out[out["label"] == "gratitude"].set_index("item_id")["value"]
    truth = h1["value"].loc[got.index].astype(int)
    accuracy = (got.astype(int) == truth).mean()
    majority = max(truth.mean(), 1 - truth.mean())
    assert accuracy > majority
