"""Selection rules: exact budgets, the low-confidence order, seeds, strata and probabilities."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from edukit.errors import InputError
from edukit.review.selection import SelectionSettings, parse_rules, select_items


def _select(df, rules, budget=None, seed=0, models=None):
    return select_items(df, SelectionSettings(rules, budget, seed, models)).table


@pytest.mark.parametrize(
    "rules,budget",
    [
        (["random"], 7),
        (["low-confidence"], 5),
        (["stratified"], 9),
        (["low-confidence", "random"], 11),
        (["disagreement", "random"], 10),
        (["low-confidence:3", "random:4"], None),
        (["low-confidence:3", "stratified"], 12),
    ],
)
def test_budget_is_respected_exactly(mathdial_models, rules, budget):
    _, df = mathdial_models
    table = _select(df, rules, budget)
    expected = budget if budget is not None else 7
    assert len(table) == expected
    assert table["item_id"].is_unique


def test_low_confidence_follows_the_stored_confidences(mathdial_models):
    _, df = mathdial_models
    table = _select(df, ["low-confidence"], 8)
    # independently: each item's lowest confidence over both models, ascending
    lowest = {}
    for item, c in zip(df["item_id"], df["confidence"], strict=True):
        lowest[item] = min(lowest.get(item, math.inf), c)
    expected = sorted(lowest, key=lambda i: (lowest[i], i))[:8]
    assert list(table["item_id"]) == expected
    assert table["probability"].isna().all()  # a targeted pick has no selection probability
    assert set(table["rule"]) == {"low-confidence"}


def test_random_is_reproducible_by_seed_with_its_probability(mathdial_models):
    _, df = mathdial_models
    n_items = df["item_id"].nunique()
    a = _select(df, ["random"], 10, seed=5)
    b = _select(df, ["random"], 10, seed=5)
    c = _select(df, ["random"], 10, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["item_id"]) != set(c["item_id"])
    assert a["probability"].tolist() == pytest.approx([10 / n_items] * 10)


def test_random_after_a_targeted_rule_draws_from_the_rest(mathdial_models):
    _, df = mathdial_models
    n_items = df["item_id"].nunique()
    table = _select(df, ["low-confidence:4", "random:6"], seed=1)
    rand = table[table["rule"] == "random"]
    assert rand["probability"].tolist() == pytest.approx([6 / (n_items - 4)] * 6)
    assert not set(rand["item_id"]) & set(table.loc[table["rule"] != "random", "item_id"])


def test_stratified_samples_within_each_model_label(mathdial_models):
    _, df = mathdial_models
    a = _select(df, ["stratified"], 8, seed=3)
    pd.testing.assert_frame_equal(a, _select(df, ["stratified"], 8, seed=3))
    first = df[df["rater"] == "model-a"].set_index("item_id")["value"]
    sizes = first.value_counts()
    assert set(a["stratum"]) == {f"move={v}" for v in sizes.index}  # every label sampled
    for stratum, group in a.groupby("stratum"):
        value = stratum.split("=", 1)[1]
        assert (first[group["item_id"]] == value).all()
        assert group["probability"].tolist() == pytest.approx(
            [len(group) / sizes[value]] * len(group)
        )


def test_disagreement_between_models_or_arms(mathdial_models):
    _, df = mathdial_models
    wide = df.pivot(index="item_id", columns="rater", values="value")
    disagree = set(wide.index[wide["model-a"] != wide["model-b"]])
    table = _select(df, ["disagreement"], len(df))
    assert set(table["item_id"]) == disagree
    # one model alone against a human: only the items they label differently
    human = df[df["rater"] == "model-b"].assign(rater="H1", version="")
    one = pd.concat([df[df["rater"] == "model-a"], human])
    table = _select(one, ["disagreement"], len(df), models=["model-a"])
    assert set(table["item_id"]) == disagree


def test_all_takes_every_item_with_probability_one(mathdial_models):
    _, df = mathdial_models
    table = _select(df, ["all"])
    assert len(table) == df["item_id"].nunique()
    assert (table["probability"] == 1.0).all()


@pytest.mark.parametrize(
    "rules,budget,message",
    [
        (["oracle"], 5, "unknown rule"),
        (["all"], 5, "no --budget"),
        (["random"], None, "give --budget"),
        (["random:6", "low-confidence:6"], 10, "more than --budget"),
        (["random:0"], None, "1 to"),
        (["random"], 0, "between 1 and"),
        (["random", "random"], 4, "twice"),
    ],
)
def test_bad_rules_fail_before_any_work(rules, budget, message):
    with pytest.raises(InputError, match=message):
        parse_rules(rules, budget)


def test_low_confidence_without_confidences_is_one_error(mathdial_models):
    _, df = mathdial_models
    with pytest.raises(InputError, match="no stored confidence"):
        _select(df.drop(columns=["confidence"]), ["low-confidence"], 3)


def test_low_confidence_skips_items_without_a_confidence_and_says_so():
    df = pd.DataFrame(
        {
            "item_id": ["a", "b", "c"],
            "rater": "m",
            "label": "x",
            "value": [1, 0, 1],
            "version": "v",
            "confidence": [0.5, math.nan, 0.2],
        }
    )
    sel = select_items(df, SelectionSettings(["low-confidence"], 3))
    assert list(sel.table["item_id"]) == ["c", "a"]
    assert any("1 items have no stored confidence" in n for n in sel.notes)
    assert any("2 of 3 items" in n for n in sel.notes)
