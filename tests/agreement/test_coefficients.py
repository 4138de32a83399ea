"""Agreement coefficients against published worked examples (cited per test) and undefined cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from edukit.agreement.coefficients import (
    METRICS,
    Coefficient,
    cohen_kappa,
    confusion,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    prevalence,
    specific_agreement,
)
from edukit.errors import AgreementError

N = None

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication: the example "any number of observers, missing data", observers A-D (columns) x
# 12 units (rows), values 1-5, missing values. Published alpha: nominal .743, ordinal .815,
# interval .849, ratio .797. Unit 12 holds a single value, so 11 units are pairable.
KRIPPENDORFF_2011 = pd.DataFrame(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        "C": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    },
    dtype="Float64",
).astype(float)

# Gwet, K.L. (2014). Handbook of Inter-Rater Reliability, 4th ed., Advanced Analytics, p. 120:
# 4 raters x 12 subjects, categories 1-5, missing ratings (Krippendorff's units with unit 12's
# single rating moved to rater 3). Gwet's published figures (also irrCAC's `cac.raw4raters`):
# p_a = 0.818, AC1 = 0.775 (p_e 0.190), Fleiss' generalised kappa 0.761 (p_e 0.239),
# AC2 linear 0.859, AC2 quadratic 0.914.
GWET_4RATERS = pd.DataFrame(
    {
        "Rater1": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        "Rater2": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, N],
        "Rater3": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
        "Rater4": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    }
)

# Gwet (2014), p. 125 (a shorter version of that table, irrCAC's `cac.raw5obser`): 5 observers,
# 15 units, scores 0-3, only observer 3 scored every unit. Published AC1 0.497, Fleiss 0.458.
GWET_5OBSERVERS = pd.DataFrame(
    {
        "O1": [1, 1, 2, N, 0, 0, 1, 1, 2, 2, N, 0, 1, 3, 1],
        "O2": [1, 1, 3, 0, 0, 0, 0, N, 2, 1, 1, 0, 2, 3, 1],
        "O3": [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        "O4": [N, 1, 3, N, N, N, N, 0, N, 1, 0, 0, 2, 2, N],
        "O5": [2, N, N, 0, 0, 0, 1, N, 2, N, N, N, N, 3, 1],
    }
)

# Two raters Ben and Gerry, 12 units, letter categories, Gerry missed unit 10: companion data of
# Gwet's handbook in his irrCAC package (`cac.ben.gerry`), whose documented results are AC1 0.661
# and Fleiss' kappa (Scott's pi for two raters) 0.649; pi_k uses all 12 units, p_a the 11 pairs.
BEN_GERRY = pd.DataFrame(
    {
        "Ben": list("aabbdcccedda"),
        "Gerry": ["b", "a", "b", "b", "b", "c", "c", "c", "e", N, "d", "d"],
    }
)

# Fleiss, J.L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists each, counts per category
# (depression, personality disorder, schizophrenia, neurosis, other). Published kappa = .430.
# Data checked against two transcriptions: the R `irr` package's `diagnoses` and irrCAC's
# `distrib_6raters` (first 15 patients).
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]  # fmt: skip
FLEISS_CATEGORIES = ["depression", "personality disorder", "schizophrenia", "neurosis", "other"]


def from_counts(counts: list[list[int]], categories: list[str]) -> np.ndarray:
    """Items x raters ratings with the given number of raters per category in each row."""
    rows = [[c for c, k in zip(categories, row, strict=True) for _ in range(k)] for row in counts]
    return np.array(rows, dtype=object)


def from_table(table: list[list[int]]) -> tuple[list[int], list[int]]:
    """Two raters' aligned ratings from a contingency table (rows rater a, columns rater b)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, k in enumerate(row):
            a += [i] * k
            b += [j] * k
    return a, b


# --- Krippendorff's alpha --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_krippendorff_2011_all_levels(level, published):
    result = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    assert round(result.value, 3) == published
    assert result.n_items == 11  # unit 12 has a single value: not pairable
    assert result.n_raters == 4
    assert result.reason is None


def test_alpha_string_categories_in_declared_order_match_numbers():
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    text = KRIPPENDORFF_2011.apply(lambda col: col.map(names))
    order = list(names.values())
    assert round(krippendorff_alpha(text, "ordinal", categories=order).value, 3) == 0.815
    assert round(krippendorff_alpha(text, "nominal").value, 3) == 0.743


def test_alpha_interval_needs_numbers():
    with pytest.raises(AgreementError, match="numeric"):
        krippendorff_alpha(BEN_GERRY, level="interval")


def test_alpha_unknown_level():
    with pytest.raises(AgreementError, match="unknown level"):
        krippendorff_alpha(KRIPPENDORFF_2011, level="cardinal")


# --- Fleiss' kappa ---------------------------------------------------------------------------


def test_fleiss_1971_table_1():
    ratings = from_counts(FLEISS_1971, FLEISS_CATEGORIES)
    result = fleiss_kappa(ratings)
    assert round(result.value, 3) == 0.430
    assert (result.n_items, result.n_raters) == (30, 6)


def test_fleiss_generalised_unequal_raters_gwet_2014():
    assert round(fleiss_kappa(GWET_4RATERS).value, 3) == 0.761
    assert fleiss_kappa(GWET_4RATERS).n_items == 11
    assert round(fleiss_kappa(GWET_5OBSERVERS).value, 3) == 0.458
    assert round(fleiss_kappa(BEN_GERRY).value, 3) == 0.649


# --- Gwet's AC1 / AC2 ------------------------------------------------------------------------


def test_ac1_gwet_2014_four_raters_with_missing():
    result = gwet_ac1(GWET_4RATERS)
    assert round(result.value, 3) == 0.775
    assert (result.n_items, result.n_raters) == (11, 4)
    assert round(percent_agreement(GWET_4RATERS).value, 3) == 0.818


@pytest.mark.parametrize(("weights", "published"), [("linear", 0.859), ("quadratic", 0.914)])
def test_ac2_gwet_2014_weighted(weights, published):
    assert round(gwet_ac1(GWET_4RATERS, weights=weights).value, 3) == published


def test_ac1_gwet_2014_unequal_raters_and_two_raters_with_a_gap():
    assert round(gwet_ac1(GWET_5OBSERVERS).value, 3) == 0.497
    ben_gerry = gwet_ac1(BEN_GERRY)
    assert round(ben_gerry.value, 3) == 0.661
    assert ben_gerry.n_items == 11


def test_ac1_depends_on_declared_categories():
    # AC1's chance term divides by q(q-1): declaring an unused sixth category changes it.
    assert gwet_ac1(GWET_4RATERS, categories=[1, 2, 3, 4, 5]).value == pytest.approx(
        gwet_ac1(GWET_4RATERS).value
    )
    assert gwet_ac1(GWET_4RATERS, categories=[1, 2, 3, 4, 5, 6]).value != pytest.approx(
        gwet_ac1(GWET_4RATERS).value
    )


# --- Cohen's kappa ---------------------------------------------------------------------------

# Gwet (2014), ch. 3: 100 pregnant women classified by two abstractors into ectopic, abnormal
# intrauterine and normal intrauterine pregnancy (irrCAC's `cont3x3abstractors`). Published kappa
# 0.796, linear weighted 0.843, quadratic weighted 0.892.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


@pytest.mark.parametrize(
    ("weights", "published"), [(None, 0.796), ("linear", 0.843), ("quadratic", 0.892)]
)
def test_cohen_gwet_2014_abstractors(weights, published):
    a, b = from_table(ABSTRACTORS)
    result = cohen_kappa(a, b, weights=weights)
    assert round(result.value, 3) == published
    assert (result.n_items, result.n_raters) == (100, 2)


def test_cohen_feinstein_cicchetti_1990_paradox():
    # Feinstein & Cicchetti (1990), "High agreement but low kappa: I", J Clin Epidemiol 43:543:
    # both tables have p_o = 0.85 but kappa 0.70 and 0.32 (reproduced in Gerstman, Epidemiology
    # Kept Simple, Table 10.6).
    a, b = from_table([[40, 9], [6, 45]])
    assert round(cohen_kappa(a, b).value, 2) == 0.70
    a, b = from_table([[80, 10], [5, 5]])
    assert round(cohen_kappa(a, b).value, 2) == 0.32
    assert percent_agreement(np.column_stack([a, b])).value == pytest.approx(0.85)


def test_cohen_pairwise_complete_and_declared_categories():
    a = ["yes", "yes", None, "no", "no", "yes"]
    b = ["yes", "no", "no", "no", None, "yes"]
    result = cohen_kappa(a, b)  # items 0, 1, 3, 5
    assert result.n_items == 4
    assert result.value == pytest.approx(0.5)
    # weights come from the category values (Cohen 1968), so an unused declared category changes
    # nothing; scikit-learn weights ranks, so it agrees once the labels are the integer grid
    x, y = [0, 1, 3, 3, 0, 1, 3], [1, 1, 3, 0, 0, 3, 1]
    declared = cohen_kappa(x, y, weights="linear", categories=[0, 1, 2, 3])
    assert declared.value == pytest.approx(
        cohen_kappa_score(x, y, labels=[0, 1, 2, 3], weights="linear")
    )
    assert declared.value == pytest.approx(cohen_kappa(x, y, weights="linear").value)
    table = confusion_matrix(x, y, labels=[0, 1, 3])
    assert cohen_kappa(x, y, weights="quadratic").value == pytest.approx(
        sm_kappa(table, weights=np.array([0, 1, 3]), wt="quadratic").kappa
    )
    with pytest.raises(AgreementError, match="gave 'no', which is not among the declared"):
        cohen_kappa(a, b, categories=["yes"])


# --- percent and specific agreement ----------------------------------------------------------


def test_specific_agreement_cicchetti_feinstein_1990():
    # Cicchetti & Feinstein (1990), "High agreement but low kappa: II", J Clin Epidemiol 43:551:
    # p_pos = 2a/(2a+b+c), p_neg = 2d/(2d+b+c); for the second paradox table above
    # (a=80, b=10, c=5, d=5): p_pos = 160/175 = 0.914, p_neg = 10/25 = 0.400.
    a, b = from_table([[5, 5], [10, 80]])  # row/column 1 = positive
    pos, neg = specific_agreement(a, b, positive=1)
    assert pos.value == pytest.approx(160 / 175)
    assert neg.value == pytest.approx(10 / 25)
    assert pos.n_items == neg.n_items == 100


def test_percent_agreement_counts_agreeing_pairs_per_item():
    # 3 raters: item 1 all agree (3/3 pairs), item 2 one pair of three, item 3 only two ratings
    ratings = [["x", "x", "x"], ["x", "y", "y"], ["x", N, "z"], [N, N, "x"]]
    result = percent_agreement(ratings)
    assert result.value == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert (result.n_items, result.n_raters) == (3, 3)


def test_prevalence():
    assert prevalence([1, 0, None, 1, 0]) == pytest.approx(0.5)
    assert prevalence(["clarification", "none"], positive="clarification") == 0.5
    assert math.isnan(prevalence([None, np.nan]))


# --- confusion -------------------------------------------------------------------------------


def test_confusion_matrix_and_per_class_scores():
    human = ["focus", "probe", "probe", "telling", None, "focus"]
    model = ["focus", "probe", "telling", "telling", "probe", "probe"]
    matrix, scores = confusion(human, model)
    assert list(matrix.index) == ["focus", "probe", "telling"]
    assert matrix.to_numpy().tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert scores.loc["probe", "precision"] == pytest.approx(0.5)
    assert scores.loc["telling", "recall"] == pytest.approx(1.0)
    assert scores.loc["focus", "f1"] == pytest.approx(2 / 3)
    assert scores["support"].tolist() == [2, 2, 1]


# --- undefined cases -------------------------------------------------------------------------


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_undefined_cases_give_nan_with_reason(metric):
    f = METRICS[metric]
    cases = {
        "empty": np.empty((0, 2)),
        "one rater": [[1], [0], [1]],
        "no shared items": [[1, N], [N, 0], [0, N]],
    }
    for name, ratings in cases.items():
        result = f(ratings)
        assert isinstance(result, Coefficient)
        assert math.isnan(result.value), name
        assert result.reason, name


@pytest.mark.parametrize("metric", ["cohen", "fleiss", "alpha"])
def test_single_category_is_undefined_for_chance_corrected(metric):
    result = METRICS[metric]([[1, 1], [1, 1], [1, 1]])
    assert math.isnan(result.value)
    assert "single" in result.reason
    assert result.n_items == 3


def test_single_category_percent_and_ac1():
    assert percent_agreement([[1, 1], [1, 1]]).value == 1.0
    assert math.isnan(gwet_ac1([[1, 1], [1, 1]]).value)  # q = 1: no chance term
    # with the domain declared, AC1 is defined (Gwet's chance agreement is 0 here)
    assert gwet_ac1([[1, 1], [1, 1]], categories=[0, 1]).value == 1.0


def test_specific_agreement_without_positives():
    pos, neg = specific_agreement([0, 0, 0], [0, 0, 0])
    assert math.isnan(pos.value) and pos.reason == "no positive ratings"
    assert neg.value == 1.0


def test_metrics_dispatch_and_options():
    two = KRIPPENDORFF_2011[["A", "B"]]
    assert METRICS["cohen"](two).value == pytest.approx(cohen_kappa(two["A"], two["B"]).value)
    assert METRICS["alpha"](KRIPPENDORFF_2011, level="interval").value == pytest.approx(
        0.849, abs=5e-4
    )
    assert METRICS["ac1"](GWET_4RATERS, weights="quadratic").value == pytest.approx(0.914, abs=5e-4)
    with pytest.raises(AgreementError, match="exactly two raters"):
        METRICS["cohen"](KRIPPENDORFF_2011)
    with pytest.raises(AgreementError, match="no weights"):
        METRICS["fleiss"](KRIPPENDORFF_2011, weights="linear")
    with pytest.raises(AgreementError, match="unknown weights"):
        METRICS["cohen"](two, weights="cubic")


def test_mismatched_lengths_are_an_error():
    with pytest.raises(AgreementError, match="differ in length"):
        cohen_kappa([1, 0], [1])


# --- input forms -----------------------------------------------------------------------------


def test_missing_markers_and_dtypes_are_equivalent():
    floats = GWET_4RATERS.astype(float)  # NaN gaps, 1.0 for 1
    nullable = GWET_4RATERS.astype("Int64")  # pd.NA gaps
    objects = GWET_4RATERS.astype(object).where(GWET_4RATERS.notna(), None).to_numpy()
    expected = gwet_ac1(GWET_4RATERS).value
    for form in (floats, nullable, objects):
        assert gwet_ac1(form).value == pytest.approx(expected)
        assert fleiss_kappa(form).value == pytest.approx(0.761, abs=5e-4)
    assert krippendorff_alpha(nullable, "interval").value == pytest.approx(
        krippendorff_alpha(floats, "interval").value
    )


def test_ac2_with_identity_matrix_is_ac1():
    assert gwet_ac1(GWET_4RATERS, weights=np.eye(5)).value == pytest.approx(
        gwet_ac1(GWET_4RATERS).value
    )
    with pytest.raises(AgreementError, match="5 x 5"):
        gwet_ac1(GWET_4RATERS, weights=np.eye(3))


def test_value_outside_declared_categories_names_the_item():
    with pytest.raises(AgreementError) as err:
        fleiss_kappa(GWET_4RATERS, categories=[1, 2, 3, 4])
    assert err.value.where == "item 9"  # unit 10 (0-based 9) is the first rated 5
    assert "5" in err.value.message


def test_prevalence_and_specific_agreement_accept_floats_for_ints():
    assert prevalence(np.array([1.0, 0.0, np.nan, 1.0])) == pytest.approx(2 / 3)
    pos, neg = specific_agreement(pd.Series([1.0, 0.0, np.nan]), [1, 0, 1])
    assert (pos.value, neg.value, pos.n_items) == (1.0, 1.0, 2)
