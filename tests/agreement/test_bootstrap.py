"""Bootstrap: vectorised statistics equal the coefficients module, seeding, clusters, intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edukit.agreement import coefficients as co
from edukit.agreement.bootstrap import (
    Resampler,
    group_index,
    pair_table,
    percentile_ci,
    table_statistic,
)
from edukit.errors import AgreementError


def _pairs(n=60, k=3, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, n).astype(float)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n)).astype(float)
    b[rng.random(n) < 0.1] = np.nan  # missing ratings: the table uses complete pairs only
    return a, b


@pytest.mark.parametrize(
    ("metric", "weights", "reference"),
    [
        ("cohen", None, lambda x, y, k: co.cohen_kappa(x, y, categories=range(k)).value),
        (
            "cohen",
            "linear",
            lambda x, y, k: co.cohen_kappa(x, y, "linear", categories=range(k)).value,
        ),
        (
            "cohen",
            "quadratic",
            lambda x, y, k: co.cohen_kappa(x, y, "quadratic", categories=range(k)).value,
        ),
        (
            "percent",
            None,
            lambda x, y, k: co.percent_agreement(np.c_[x, y], categories=range(k)).value,
        ),
        ("ac1", None, lambda x, y, k: co.gwet_ac1(np.c_[x, y], categories=range(k)).value),
    ],
)
def test_vectorised_statistic_equals_the_coefficient_on_every_resample(metric, weights, reference):
    k = 3
    a, b = _pairs(k=k)
    gidx, g = group_index([str(i) for i in range(len(a))])
    r = Resampler(gidx, g, n_boot=40, seed=3)
    fast = table_statistic(metric, k, weights)(r.tables(pair_table(a, b, gidx, g, k)))
    slow = []
    for idx in r.rows():
        x, y = a[idx], b[idx]
        both = ~(np.isnan(x) | np.isnan(y))
        slow.append(reference(x[both], y[both], k))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_specific_agreement_statistic_equals_the_coefficient():
    a, b = _pairs(k=2, seed=5)
    gidx, g = group_index([str(i) for i in range(len(a))])
    r = Resampler(gidx, g, n_boot=30, seed=0)
    tables = r.tables(pair_table(a, b, gidx, g, 2))
    pos = table_statistic("pos", 2, positive=1)(tables)
    neg = table_statistic("neg", 2, positive=1)(tables)
    for i, idx in enumerate(r.rows()):
        p, n = co.specific_agreement(a[idx], b[idx], positive=1)
        assert pos[i] == pytest.approx(p.value) and neg[i] == pytest.approx(n.value)


def test_single_category_resample_is_undefined_not_zero():
    t = np.zeros((1, 2, 2))
    t[0, 0, 0] = 10  # everyone said 0: chance agreement is 1
    assert math.isnan(table_statistic("cohen", 2)(t)[0])
    ci, undefined = percentile_ci(np.array([np.nan, 0.5, 0.7]))
    assert undefined == 1 and ci == pytest.approx((0.505, 0.695))


def test_same_seed_same_draws_other_seed_other_draws():
    gidx, g = group_index([str(i) for i in range(50)])
    one = [c.copy() for c in Resampler(gidx, g, 200, seed=7).counts()]
    two = [c.copy() for c in Resampler(gidx, g, 200, seed=7).counts()]
    other = [c.copy() for c in Resampler(gidx, g, 200, seed=8).counts()]
    assert all(np.array_equal(x, y) for x, y in zip(one, two, strict=True))
    assert not np.array_equal(np.vstack(one), np.vstack(other))
    counts = np.vstack(one)
    assert counts.shape == (200, 50) and (counts.sum(axis=1) == 50).all()


def test_cluster_bootstrap_resamples_whole_groups():
    items = [f"i{j}" for j in range(9)]
    groups = {f"i{j}": f"video{j // 3}" for j in range(9)}  # three videos of three comments
    gidx, g = group_index(items, groups)
    assert g == 3 and gidx.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for idx in Resampler(gidx, g, n_boot=50, seed=1).rows():
        assert len(idx) == 9  # three groups of three drawn each time
        drawn = np.bincount(idx, minlength=9).reshape(3, 3)
        # a video comes whole: its three comments appear equally often
        assert (drawn == drawn[:, :1]).all()
    with pytest.raises(AgreementError, match="no group for 1 item"):
        group_index([*items, "orphan"], groups)


def test_percentile_interval_of_known_samples():
    ci, undefined = percentile_ci(np.arange(1001) / 1000)
    assert undefined == 0 and ci == pytest.approx((0.025, 0.975))
    assert percentile_ci(np.array([np.nan, np.nan])) == (None, 2)


def test_interval_width_matches_the_binomial_standard_error():
    # percent agreement on n=400 items with p=0.8: SE = sqrt(.8*.2/400) = 0.02, so the 95%
    # percentile interval spans about 2 * 1.96 * 0.02 = 0.078 (within bootstrap noise)
    n = 400
    a = np.zeros(n)
    b = np.where(np.arange(n) < 320, 0.0, 1.0)
    gidx, g = group_index([str(i) for i in range(n)])
    r = Resampler(gidx, g, n_boot=2000, seed=0)
    samples = table_statistic("percent", 2)(r.tables(pair_table(a, b, gidx, g, 2)))
    (lo, hi), _ = percentile_ci(samples)
    assert lo < 0.8 < hi
    assert hi - lo == pytest.approx(0.0784, rel=0.1)
