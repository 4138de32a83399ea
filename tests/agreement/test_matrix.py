"""Long table -> items x raters matrix: alignment by id, versions, duplicates, categories."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from edukit.agreement.domain import decide
from edukit.agreement.matrix import labels_of, rating_matrix, select_versions
from edukit.errors import AgreementError


def long(rows):
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "version"])


def test_items_are_aligned_by_id_not_by_position():
    # H2's rows come in reverse order and skip item c; the model rates only b and c
    df = long(
        [
            ("a", "H1", "x", 1, ""),
            ("b", "H1", "x", 0, ""),
            ("c", "H1", "x", 1, ""),
            ("b", "H2", "x", 0, ""),
            ("a", "H2", "x", 1, ""),
            ("c", "M", "x", 0, "v1"),
            ("b", "M", "x", 1, "v1"),
        ]
    )
    m = rating_matrix(df, "x", ["H1", "H2", "M"])
    assert list(m.index) == ["a", "b", "c"]
    assert m.loc["a"].tolist()[:2] == [1, 1]
    assert m.loc["b"].tolist() == [0, 0, 1]
    assert m.loc["c", "H1"] == 1 and m.loc["c", "M"] == 0
    assert math.isnan(m.loc["c", "H2"]) and math.isnan(m.loc["a", "M"])


def test_several_versions_of_one_rater_and_label_is_an_error_unless_selected():
    df = long(
        [
            ("a", "M", "x", 1, "v1"),
            ("a", "M", "x", 0, "v2"),
            ("b", "M", "x", 0, "v2"),
            ("a", "H1", "x", 1, ""),
        ]
    )
    with pytest.raises(AgreementError, match=r"'M' has 2 versions of label 'x' \(v1, v2\)"):
        rating_matrix(df, "x")
    picked = rating_matrix(df, "x", version="v2")
    assert picked["M"].tolist() == [0, 0]
    # a comma-separated list may name versions of several labels
    assert rating_matrix(df, "x", version="v9,v1")["M"].tolist()[0] == 1
    with pytest.raises(AgreementError, match="matches 0 of them"):
        select_versions(df, "v3")


def test_conflicting_duplicates_are_an_error_identical_ones_collapse():
    same = long([("a", "H1", "x", 1, ""), ("a", "H1", "x", 1, ""), ("a", "H2", "x", 0, "")])
    assert rating_matrix(same, "x").shape == (1, 2)
    clash = long([("a", "H1", "x", 1, ""), ("a", "H1", "x", 0, "")])
    with pytest.raises(AgreementError, match="rater 'H1' gave item 'a' conflicting values"):
        rating_matrix(clash, "x")


def test_unknown_rater_is_an_error():
    df = long([("a", "H1", "x", 1, "")])
    with pytest.raises(AgreementError, match="no ratings from H9"):
        rating_matrix(df, "x", ["H1", "H9"])


def test_domain_codes_use_declared_order_and_reject_values_outside_it():
    m = pd.DataFrame(
        {"A": ["low", "high", None], "B": ["mid", "low", "low"]}, index=["1", "2", "3"]
    )
    dom = decide(m, "x", ["low", "mid", "high"])
    codes = dom.codes(m)
    assert dom.categories == ("low", "mid", "high") and dom.ordered
    assert codes[0].tolist() == [0, 1] and codes[1].tolist() == [2, 0]
    assert math.isnan(codes[2, 0])
    observed = decide(m, "x")
    assert observed.kind == "text" and not observed.ordered  # no order without a declaration
    assert observed.positions() is None
    with pytest.raises(AgreementError, match="rater 'A' gave 'high', which is not among"):
        decide(m, "x", ["low", "mid"])
    # "1" from the command line names the same category as the integer 1 and "1.0"
    ints = pd.DataFrame({"A": [0, 1.0], "B": ["1", " 1 "]})
    dom = decide(ints, "x", ["0", "1"])
    assert dom.kind == "numeric" and dom.codes(ints).tolist() == [[0, 1], [1, 1]]
    assert decide(pd.DataFrame({"A": ["10", "9", "-2", "2.5"]}), "x").categories == (-2, 2.5, 9, 10)


def test_labels_of_keeps_labels_every_rater_rated():
    df = long([("a", "H1", "x", 1, ""), ("a", "H2", "x", 1, ""), ("a", "H1", "y", 0, "")])
    assert labels_of(df, ["H1", "H2"]) == ["x"]
    assert labels_of(df) == ["x", "y"]
