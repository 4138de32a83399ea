"""The estimators: classical and prediction-powered (PPI++) means and least squares.

Prediction-powered inference: Angelopoulos, Bates, Fannjiang, Jordan and Zrnic, "Prediction-powered
inference", Science 382 (2023); PPI++ power tuning: Angelopoulos, Duchi and Zrnic, "PPI++:
Efficient prediction-powered inference", arXiv:2311.01453 (2023). The reference implementation is
ppi-python (`ppi_py`): the means here call it; `ppi_ols` is PPI++ least squares written so that
the covariates may be predicted too (a rate counted from model labels used as a regressor, which
`ppi_py.ppi_ols_ci` does not take). With the covariates observed it reduces, step by step, to
`ppi_py.ppi_ols_ci` with `lam=None` (tested to 1e-8).

Weights `w` (inverse selection probabilities) are normalised to mean 1, as ppi-python does.
Intervals are two-sided normal (CLT) intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Estimate:
    """One estimate: value, interval, the n behind it, and for PPI lambda and effective n."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    extra: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "value": _num(self.value),
            "ci": None if self.ci is None else [_num(self.ci[0]), _num(self.ci[1])],
            "n": int(self.n),
        }
        out.update({k: _num(v) if isinstance(v, float) else v for k, v in self.extra.items()})
        if self.reason:
            out["reason"] = self.reason
        return out


def _num(x: float | None) -> float | None:
    if x is None or x != x:
        return None
    return float(x)


def undefined(n: int, reason: str, **extra: Any) -> Estimate:
    return Estimate(None, None, n, dict(extra), reason)


MIN_CODED = 10  # fewer human-coded items and a CLT interval is not to be trusted


def _alpha(confidence: float) -> float:
    return 1.0 - confidence


def model_mean(yhat_all: np.ndarray, confidence: float = 0.95) -> Estimate:
    """The model's labels counted over every item, with the classical interval (biased)."""
    from ppi_py import classical_mean_ci

    if len(yhat_all) == 0:
        return undefined(0, "no model labels")
    lo, hi = classical_mean_ci(yhat_all.astype(float), alpha=_alpha(confidence))
    return Estimate(float(yhat_all.mean()), (float(lo), float(hi)), len(yhat_all))


def human_mean(y: np.ndarray, w: np.ndarray | None = None, confidence: float = 0.95) -> Estimate:
    """The human labels alone: ppi-python's classical CLT interval (weighted when `w`)."""
    from ppi_py import classical_mean_ci

    n = len(y)
    if n < MIN_CODED:
        return undefined(n, f"fewer than {MIN_CODED} human-coded items")
    y = y.astype(float)
    lo, hi = classical_mean_ci(y, w=w, alpha=_alpha(confidence))
    value = float(y.mean()) if w is None else float((w / w.sum() * y).sum())
    return Estimate(value, (float(lo), float(hi)), n)


def mean_lambda(
    y: np.ndarray, yhat: np.ndarray, yhat_all: np.ndarray, w: np.ndarray | None = None
) -> float:
    """PPI++ power-tuning parameter of the mean, exactly as `ppi_py.ppi_mean_ci(lam=None)`:
    gradients at the lambda = 1 estimate, optimal lambda clipped to [0, 1]."""
    import numpy as np

    n, big_n = len(y), len(yhat_all)
    wn = np.ones(n) if w is None else w / w.sum() * n
    theta = yhat_all.mean() + (wn * (y - yhat)).mean()
    g = wn * (y - theta)
    gh = wn * (yhat - theta)
    ghu = yhat_all - theta
    cov = 2 * ((g - g.mean()) * (gh - gh.mean())).sum() / n
    var = np.var(np.concatenate([gh, ghu]), ddof=1)
    if var == 0:
        return 0.0
    return float(np.clip(cov / (2 * (1 + n / big_n) * var), 0.0, 1.0))


def ppi_mean(
    y: np.ndarray,
    yhat: np.ndarray,
    yhat_all: np.ndarray,
    w: np.ndarray | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """PPI++ mean (ppi-python) with its power tuning; human labels `y` and model labels `yhat`
    on the human-coded items, model labels `yhat_all` on every item.

    Effective n: the number of human labels a human-only interval would need to be as narrow,
    n * (human-only half-width / PPI half-width)^2 (ppi-python's classical interval beside it).
    """
    import numpy as np
    from ppi_py import classical_mean_ci, ppi_mean_ci, ppi_mean_pointestimate

    n = len(y)
    if n < MIN_CODED:
        return undefined(
            n, f"fewer than {MIN_CODED} human-coded items", **{"lambda": None, "effective_n": None}
        )
    y, yhat, yhat_all = (a.astype(float) for a in (y, yhat, yhat_all))
    lam = mean_lambda(y, yhat, yhat_all, w)
    alpha = _alpha(confidence)
    lo, hi = ppi_mean_ci(y, yhat, yhat_all, alpha=alpha, lam=lam, w=w)
    value = ppi_mean_pointestimate(y, yhat, yhat_all, lam=lam, w=w)
    clo, chi = classical_mean_ci(y, w=w, alpha=alpha)
    width, cwidth = float(hi[0] - lo[0]), float(chi - clo)
    eff = n * (cwidth / width) ** 2 if width > 0 else float("inf") if cwidth > 0 else float(n)
    extra = {"lambda": lam, "effective_n": round(eff, 1) if np.isfinite(eff) else None}
    return Estimate(float(np.ravel(value)[0]), (float(lo[0]), float(hi[0])), n, extra)


@dataclass
class OLSFit:
    """Coefficients, their standard errors and intervals, lambda, n labelled / unlabelled."""

    coef: np.ndarray
    se: np.ndarray
    ci: np.ndarray  # shape (d, 2)
    lam: float
    n: int
    n_unlabeled: int


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    import numpy as np

    sw = np.sqrt(w)
    return np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)[0]


def _ols_stats(theta, x, y, xh, yh, xu, yu, w, wu, use_unlabeled):
    """Gradients of the squared loss at `theta` and the two inverse Hessians (see `ppi_ols`)."""
    import numpy as np

    n, big_n = len(y), len(yu)
    g = w[:, None] * x * (x @ theta - y)[:, None]
    gh = w[:, None] * xh * (xh @ theta - yh)[:, None]
    ghu = wu[:, None] * xu * (xu @ theta - yu)[:, None]
    if use_unlabeled:
        h_pred = ((wu[:, None] * xu).T @ xu + (w[:, None] * xh).T @ xh) / (big_n + n)
    else:
        h_pred = (w[:, None] * xh).T @ xh / n
    # E[x x'] of the true covariates: the predicted one, rectified on the labelled items (zero
    # correction when the covariates are observed, which gives ppi-python's single Hessian).
    h_true = h_pred + ((w[:, None] * x).T @ x - (w[:, None] * xh).T @ xh) / n
    return g, gh, ghu, np.linalg.inv(h_true), np.linalg.inv(h_pred)


def _ols_lambda(g, gh, ghu, a, b) -> float:
    import numpy as np

    n, big_n = len(g), len(ghu)
    gc, ghc = g - g.mean(0), gh - gh.mean(0)
    num = np.trace(a @ gc.T @ ghc @ b + b @ ghc.T @ gc @ a) / n
    var_hat = np.atleast_2d(np.cov(np.concatenate([gh, ghu]).T))
    den = 2 * (1 + n / big_n) * np.trace(b @ var_hat @ b)
    if den == 0:
        return 0.0
    return float(np.clip(num / den, 0.0, 1.0))


def _ols_point(lam, x, y, xh, yh, xu, yu, w, wu):
    return lam * _wls(xu, yu, wu) + _wls(x, y, w) - lam * _wls(xh, yh, w)


def ppi_ols(
    x: np.ndarray,
    y: np.ndarray,
    x_hat: np.ndarray,
    y_hat: np.ndarray,
    x_unlabeled: np.ndarray,
    y_unlabeled: np.ndarray,
    w: np.ndarray | None = None,
    confidence: float = 0.95,
    lam: float | None = None,
) -> OLSFit:
    """PPI++ least squares where covariates, response or both are predicted.

    Labelled rows carry the true (`x`, `y`) and the predicted (`x_hat`, `y_hat`); unlabelled rows
    only predicted ones. theta = lam * theta(x_u, y_u) + theta(x, y) - lam * theta(x_hat, y_hat),
    variance by the sandwich of PPI++ (Angelopoulos, Duchi, Zrnic 2023, Thm. 1) with gradients at
    theta, lambda power-tuned and clipped to [0, 1] as ppi-python does (two tuning rounds, as
    `ppi_ols_ci(lam=None)`). `lam=0` is classical OLS (HC0) on the labelled rows.
    """
    import numpy as np
    from scipy.stats import norm

    x, xh, xu = (np.asarray(a, float) for a in (x, x_hat, x_unlabeled))
    y, yh, yu = (np.asarray(a, float) for a in (y, y_hat, y_unlabeled))
    n, big_n = len(y), len(yu)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.sum(w) * n
    wu = np.ones(big_n)
    args = (x, y, xh, yh, xu, yu, w, wu)
    if lam is None:
        # ppi-python: lambda from gradients at the lambda = 1 estimate, then again at the tuned one
        theta = _ols_point(1.0, *args)
        lam = _ols_lambda(*_ols_stats(theta, *args, True))
        theta = _ols_point(lam, *args)
        lam = _ols_lambda(*_ols_stats(theta, *args, True))
    theta = _ols_point(lam, *args)
    g, gh, ghu, a, b = _ols_stats(theta, *args, lam != 0)
    d = x.shape[1]
    infl = g @ a.T - lam * gh @ b.T
    var = np.atleast_2d(np.cov(infl.T)).reshape(d, d)
    var_u = np.atleast_2d(np.cov((lam * ghu @ b.T).T)).reshape(d, d)
    sigma = var + n / big_n * var_u
    se = np.sqrt(np.diag(sigma) / n)
    z = norm.ppf(1 - (1 - confidence) / 2)
    ci = np.column_stack([theta - z * se, theta + z * se])
    return OLSFit(theta, se, ci, float(lam), n, big_n)


def effective_n(classical: OLSFit, ppi: OLSFit) -> np.ndarray:
    """Human-coded rows a classical fit would need for the PPI standard errors, per coefficient."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return classical.n * (classical.se / ppi.se) ** 2
