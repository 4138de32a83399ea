"""The estimators against their reference, ppi-python, on fixed data (to 1e-8)."""

from __future__ import annotations

import numpy as np
import ppi_py
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edukit.findings.ppi import human_mean, mean_lambda, model_mean, ppi_mean, ppi_ols


@pytest.fixture
def binary():
    rng = np.random.default_rng(7)
    n, big_n = 150, 3000
    y = rng.binomial(1, 0.3, n).astype(float)
    yhat = np.where(rng.random(n) < 0.85, y, 1 - y)
    yhat_all = rng.binomial(1, 0.35, big_n).astype(float)
    w = rng.uniform(0.5, 3.0, n)
    return y, yhat, yhat_all, w


@pytest.mark.parametrize("weighted", [False, True])
def test_ppi_mean_equals_ppi_python(binary, weighted):
    y, yhat, yhat_all, w = binary
    w = w if weighted else None
    lo, hi = ppi_py.ppi_mean_ci(y, yhat, yhat_all, alpha=0.05, w=w)
    est = ppi_mean(y, yhat, yhat_all, w=w)
    assert est.ci[0] == pytest.approx(float(lo[0]), abs=1e-8)
    assert est.ci[1] == pytest.approx(float(hi[0]), abs=1e-8)
    # the lambda we report is the one ppi-python uses
    lam = mean_lambda(y, yhat, yhat_all, w)
    lo2, _ = ppi_py.ppi_mean_ci(y, yhat, yhat_all, alpha=0.05, lam=lam, w=w)
    assert float(lo2[0]) == pytest.approx(float(lo[0]), abs=1e-12)
    assert 0 <= est.extra["lambda"] <= 1
    # the point estimate is ppi-python's at that lambda, and lies inside the interval
    point = ppi_py.ppi_mean_pointestimate(y, yhat, yhat_all, lam=est.extra["lambda"], w=w)
    assert est.value == pytest.approx(float(np.ravel(point)[0]), abs=1e-8)
    assert est.ci[0] < est.value < est.ci[1]


def test_classical_means_equal_ppi_python(binary):
    y, _, yhat_all, w = binary
    lo, hi = ppi_py.classical_mean_ci(y, w=w, alpha=0.05)
    h = human_mean(y, w)
    assert h.ci == pytest.approx((lo, hi), abs=1e-8)
    assert h.value == pytest.approx(np.average(y, weights=w), abs=1e-12)
    lo, hi = ppi_py.classical_mean_ci(yhat_all, alpha=0.05)
    m = model_mean(yhat_all)
    assert m.ci == pytest.approx((lo, hi), abs=1e-8)
    assert m.value == pytest.approx(yhat_all.mean())


def test_effective_n_is_the_width_ratio(binary):
    y, yhat, yhat_all, _ = binary
    est, h = ppi_mean(y, yhat, yhat_all), human_mean(y)
    ratio = (h.ci[1] - h.ci[0]) / (est.ci[1] - est.ci[0])
    assert est.extra["effective_n"] == pytest.approx(len(y) * ratio**2, abs=0.06)
    assert est.extra["effective_n"] > len(y)  # an 85%-accurate model is worth something


@pytest.fixture
def regression():
    rng = np.random.default_rng(3)
    n, big_n = 120, 1500
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    xu = np.column_stack([np.ones(big_n), rng.normal(size=big_n), rng.uniform(size=big_n)])
    beta = np.array([1.0, 2.0, -0.5])
    y = x @ beta + rng.normal(size=n)
    yhat = y + 0.4 + rng.normal(scale=0.6, size=n)
    yu = xu @ beta + 0.4 + rng.normal(size=big_n)
    w = rng.uniform(0.5, 2.0, n)
    return x, y, yhat, xu, yu, w


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("lam", [None, 0.0, 0.6, 1.0])
def test_ppi_ols_equals_ppi_python_when_covariates_are_observed(regression, weighted, lam):
    x, y, yhat, xu, yu, w = regression
    w = w if weighted else None
    lo, hi = ppi_py.ppi_ols_ci(x, y, yhat, xu, yu, alpha=0.05, lam=lam, w=w)
    fit = ppi_ols(x, y, x, yhat, xu, yu, w=w, lam=lam)
    np.testing.assert_allclose(fit.ci[:, 0], lo, atol=1e-8)
    np.testing.assert_allclose(fit.ci[:, 1], hi, atol=1e-8)
    point = ppi_py.ppi_ols_pointestimate(x, y, yhat, xu, yu, lam=fit.lam, w=w)
    np.testing.assert_allclose(fit.coef, point, atol=1e-8)


def test_ppi_ols_with_predicted_covariates_is_exact_when_predictions_are():
    """Perfect predictions: PPI is the OLS on the unlabelled rows, and lambda is 1."""
    rng = np.random.default_rng(5)
    n, big_n = 60, 600
    xu = np.column_stack([np.ones(big_n), rng.uniform(size=big_n)])
    yu = xu @ [3.0, 5.0] + rng.normal(size=big_n)
    idx = rng.choice(big_n, n, replace=False)
    fit = ppi_ols(xu[idx], yu[idx], xu[idx], yu[idx], xu, yu, lam=1.0)
    np.testing.assert_allclose(fit.coef, np.linalg.lstsq(xu, yu, rcond=None)[0], atol=1e-10)


def test_ppi_ols_corrects_a_biased_covariate():
    """A rate measured with bias by the model: the naive slope is off, PPI recovers it."""
    rng = np.random.default_rng(11)
    big_n, n = 4000, 400
    r = rng.uniform(size=big_n)
    r_hat = 0.5 * r + 0.2 + rng.normal(scale=0.05, size=big_n)
    y = 1.0 + 2.0 * r + rng.normal(scale=0.5, size=big_n)
    xu = np.column_stack([np.ones(big_n), r_hat])
    naive = np.linalg.lstsq(xu, y, rcond=None)[0]
    idx = rng.choice(big_n, n, replace=False)
    x_true = np.column_stack([np.ones(n), r[idx]])
    fit = ppi_ols(x_true, y[idx], xu[idx], y[idx], xu, y)
    assert abs(naive[1] - 2.0) > 1.0
    assert fit.ci[1, 0] < 2.0 < fit.ci[1, 1]
    classical = ppi_ols(x_true, y[idx], xu[idx], y[idx], xu, y, lam=0.0)
    assert fit.se[1] <= classical.se[1] + 1e-12


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.floats(0.05, 1.0)),
        min_size=10,
        max_size=60,
    ),
    unlabeled=st.lists(st.integers(0, 1), min_size=20, max_size=200),
)
def test_ppi_mean_property(data, unlabeled):
    """Any binary data: ppi-python's interval (where it has one), lambda in [0, 1], the value
    inside its interval, and with constant weights the same as without."""
    y = np.array([d[0] for d in data], float)
    yhat = np.array([d[1] for d in data], float)
    w = np.array([d[2] for d in data])
    yu = np.array(unlabeled, float)
    for weights in (None, w):
        est = ppi_mean(y, yhat, yu, w=weights)
        lo, hi = ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05, w=weights)
        if np.isfinite(lo[0]):
            assert est.ci == pytest.approx((float(lo[0]), float(hi[0])), abs=1e-8)
        else:  # every prediction constant: ppi-python divides 0 by 0, edukit takes lambda 0
            assert est.extra["lambda"] == 0.0 and np.isfinite(est.ci).all()
        assert 0.0 <= est.extra["lambda"] <= 1.0
        assert est.ci[0] - 1e-12 <= est.value <= est.ci[1] + 1e-12
    same = ppi_mean(y, yhat, yu, w=np.full(len(y), 3.0))
    assert same.ci == pytest.approx(ppi_mean(y, yhat, yu).ci, abs=1e-12)
