"""Properties of the agreement coefficients over random ratings (hypothesis)."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from edukit.agreement.coefficients import (
    METRICS,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

NOMINAL = {
    "fleiss": fleiss_kappa,
    "alpha": krippendorff_alpha,
    "ac1": gwet_ac1,
    "percent": percent_agreement,
}


@st.composite
def ratings(draw, max_raters: int = 5, missing: bool = True) -> np.ndarray:
    """An items x raters float matrix of category codes 0..k-1 with optional NaN gaps."""
    n = draw(st.integers(2, 25))
    r = draw(st.integers(2, max_raters))
    k = draw(st.integers(2, 4))
    cells = st.integers(0, k - 1).map(float)
    if missing:
        cells = st.one_of(cells, cells, st.just(math.nan))
    flat = draw(st.lists(cells, min_size=n * r, max_size=n * r))
    return np.array(flat).reshape(n, r)


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(ratings(), st.randoms(use_true_random=False))
def test_invariant_to_permuting_raters_and_items(x, rnd):
    rows = list(range(x.shape[0]))
    cols = list(range(x.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    shuffled = x[rows][:, cols]
    for name, f in NOMINAL.items():
        before, after = f(x), f(shuffled)
        assert same(before.value, after.value), name
        assert (before.n_items, before.n_raters) == (after.n_items, after.n_raters), name


@settings(max_examples=60, deadline=None)
@given(ratings(), st.permutations(["p", "q", "r", "s"]))
def test_relabelling_categories_leaves_nominal_coefficients_unchanged(x, names):
    relabelled = np.full(x.shape, None, dtype=object)
    rated = ~np.isnan(x)
    relabelled[rated] = [names[int(v)] for v in x[rated]]
    for name, f in NOMINAL.items():
        assert same(f(x).value, f(relabelled).value), name
    a, b = x[:, 0], x[:, 1]
    ra, rb = relabelled[:, 0], relabelled[:, 1]
    assert same(cohen_kappa(a, b).value, cohen_kappa(ra, rb).value)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.lists(st.integers(0, 3), min_size=n, max_size=n).map(np.array)
    ),
    st.integers(2, 5),
)
def test_perfect_agreement_gives_one(column, n_raters):
    x = np.repeat(column[:, None].astype(float), n_raters, axis=1)
    if len(set(column.tolist())) < 2:
        return  # a single category: chance-corrected coefficients are undefined
    for name, f in {**NOMINAL, "ordinal alpha": lambda m: krippendorff_alpha(m, "ordinal")}.items():
        assert f(x).value == pytest.approx(1.0), name
    assert cohen_kappa(column, column, weights="quadratic").value == pytest.approx(1.0)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(3, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
        )
    ),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_equals_scikit_learn(pair, weights):
    a, b = pair
    labels = sorted(set(a) | set(b))
    if len(labels) < 2:
        return
    ours = cohen_kappa(a, b, weights=weights).value
    # weights by value: scikit-learn weights label ranks, so give it the whole integer grid
    grid = list(range(min(labels), max(labels) + 1))
    theirs = cohen_kappa_score(a, b, labels=grid, weights=weights)
    assert same(ours, float(theirs))
    assert METRICS["cohen"](np.column_stack([a, b]), weights=weights).value == pytest.approx(ours)


@settings(max_examples=60, deadline=None)
@given(ratings(missing=False), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_without_missing_data_equals_the_library(x, level):
    if len(np.unique(x)) < 2:
        return
    ours = krippendorff_alpha(x, level=level).value
    theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement=level)
    assert same(ours, float(theirs))


@settings(max_examples=60, deadline=None)
@given(ratings(max_raters=2, missing=False))
def test_two_raters_without_gaps_fleiss_is_scotts_pi_and_alpha_converges(x):
    # For two raters Fleiss' kappa is Scott's pi; alpha = pi + (1 - pi) / (2n) (Krippendorff 2011)
    pi, alpha = fleiss_kappa(x).value, krippendorff_alpha(x).value
    if math.isnan(pi):
        assert math.isnan(alpha)
        return
    n = x.shape[0]
    assert alpha == pytest.approx(pi + (1 - pi) / (2 * n), abs=1e-9)
