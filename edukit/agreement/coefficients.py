"""Agreement coefficients over an items x raters matrix of ratings.

`ratings` is a 2-D items x raters array-like (DataFrame or ndarray; missing = NaN/None) whose values
may be ints or strings; `a`, `b` are two aligned 1-D sequences, compared pairwise-complete (only the
items both rated). `categories` declares the category domain (`edukit.agreement.domain`): numbers
are ordered and weighted by value; text is unordered unless `categories` gives its order. Without
it the observed values are the domain.

Cohen's kappa, confusion matrices and per-class scores come from scikit-learn and Krippendorff's
alpha from `krippendorff`; percent agreement, Fleiss' kappa and Gwet's AC1/AC2 follow Gwet (2014),
*Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-3 (the generalisations to unequal numbers of
raters per item used by his agreestat/irrCAC software). Undefined cases give `math.nan` with a
`reason`, never an exception; asking for something unknowable (unknown weights, values outside the
declared categories) raises `AgreementError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edukit.agreement.domain import NUMERIC, Domain, canonical, decide, is_number
from edukit.errors import AgreementError

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = ("linear", "quadratic")

NO_RATINGS = "no ratings"
ONE_RATER = "fewer than two raters"
NO_PAIRS = "no item rated by two raters"
ONE_CATEGORY = "a single category observed: chance agreement is 1"


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient and what it was computed from."""

    value: float  # math.nan when undefined
    n_items: int  # items actually used
    n_raters: int
    reason: str | None = None  # why value is nan, or a caveat

    def __float__(self) -> float:
        return self.value


def _undefined(reason: str, n_items: int = 0, n_raters: int = 0) -> Coefficient:
    return Coefficient(math.nan, n_items, n_raters, reason)


# --- encoding -------------------------------------------------------------------------------


def _as_matrix(ratings: Any) -> np.ndarray:
    """A 2-D numpy array (numeric, or object when values are strings or mixed)."""
    arr = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
    if arr.dtype.kind in "USb":
        arr = arr.astype(object)
    if arr.ndim != 2:
        raise AgreementError(f"ratings must be a 2-D items x raters table, got {arr.ndim}-D")
    return arr


def _as_vector(values: Any, name: str) -> np.ndarray:
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.dtype.kind in "USb":
        arr = arr.astype(object)
    if arr.ndim != 1:
        raise AgreementError(f"{name} must be a 1-D sequence of ratings, got {arr.ndim}-D")
    return arr


def _missing(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "iu":
        return np.zeros(arr.shape, dtype=bool)
    return np.asarray(pd.isna(arr), dtype=bool)


def _encode(arr: np.ndarray, categories: Sequence | None) -> tuple[np.ndarray, Domain]:
    """Integer codes (-1 = missing) into the typed category domain, and the domain itself."""
    missing = _missing(arr)
    if arr.dtype.kind in "iuf" and (categories is None or all(map(is_number, categories))):
        # numbers already: a vectorised lookup (the bootstrap's generic path lands here)
        present = np.asarray(arr[~missing], dtype=float)
        if not np.isfinite(present).all():
            raise AgreementError("ratings hold an infinite value")
        if categories is None:
            cats = np.unique(present)
        else:
            cats = np.asarray([float(c) for c in categories])
            if len(np.unique(cats)) != len(cats):
                raise AgreementError(f"categories repeat a value: {list(categories)}")
            cats = np.sort(cats)
        found = pd.Index(cats).get_indexer(present)
        if (found < 0).any():
            bad = present[found < 0][0]
            first = int(np.flatnonzero(~missing.ravel())[int(np.argmax(found < 0))])
            row = first // arr.shape[1] if arr.ndim == 2 else first
            raise AgreementError(
                f"value {canonical(bad)!r} is not one of the declared categories "
                f"{[canonical(c) for c in cats]}",
                where=f"item {row}",
            )
        codes = np.full(arr.shape, -1, dtype=np.int64)
        codes[~missing] = found
        dom = Domain(
            "ratings",
            NUMERIC,
            tuple(canonical(c) for c in cats),
            True,
            "observed" if categories is None else "declared",
        )
        return codes, dom
    two_d = arr if arr.ndim == 2 else arr.reshape(-1, 1)
    frame = pd.DataFrame(np.where(missing.reshape(two_d.shape), None, two_d).astype(object))
    dom = decide(frame, "ratings", categories)
    codes = dom.codes(frame).reshape(arr.shape)
    out = np.full(arr.shape, -1, dtype=np.int64)
    ok = ~np.isnan(codes)
    out[ok] = codes[ok].astype(np.int64)
    return out, dom


def _counts(codes: np.ndarray, q: int) -> np.ndarray:
    """Items x categories: how many raters put each item in each category."""
    n = codes.shape[0]
    rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)
    rated = codes >= 0
    flat = rows[rated] * q + codes[rated]
    return np.bincount(flat, minlength=n * q).reshape(n, q)


def _weight_matrix(weights: Any, domain: Domain) -> np.ndarray:
    """Agreement weights (1 on the diagonal) from the category values (Gwet 2014, sec. 3.4).

    Linear 1 - |x_k - x_l| / (x_max - x_min), quadratic 1 - (x_k - x_l)^2 / (x_max - x_min)^2,
    over the values of numeric categories and the ranks 1..q of declared text orders.
    """
    q = domain.q
    if weights is None:
        return np.eye(q)
    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise AgreementError(f"unknown weights {weights!r}: use linear or quadratic")
        domain.require_order(f"{weights} weights")
        x = domain.positions()
        if q < 2:
            return np.ones((q, q))
        dist = np.abs(np.subtract.outer(x, x)) / (x.max() - x.min())
        return 1 - dist if weights == "linear" else 1 - dist**2
    w = np.asarray(weights, dtype=float)
    if w.shape != (q, q):
        raise AgreementError(f"a weight matrix must be {q} x {q} (one row per category)")
    return w


# --- multi-rater coefficients (Gwet's framework) --------------------------------------------


@dataclass(frozen=True)
class _Table:
    counts: np.ndarray  # items with >= 1 rating x categories
    dom: Domain
    n_raters: int  # raters who rated at least one item with >= 2 ratings

    @property
    def q(self) -> int:
        return self.dom.q


def _table(ratings: Any, categories: Sequence | None) -> _Table | Coefficient:
    """Rating counts per item and category, or the reason no coefficient exists."""
    arr = _as_matrix(ratings)
    if arr.size == 0:
        return _undefined(NO_RATINGS, 0, arr.shape[1] if arr.ndim == 2 else 0)
    codes, dom = _encode(arr, categories)
    rated = codes >= 0
    keep = rated.any(axis=1)
    if not keep.any():
        return _undefined(NO_RATINGS, 0, 0)
    codes, rated = codes[keep], rated[keep]
    paired = rated.sum(axis=1) >= 2
    n_raters = (
        int(rated[paired].any(axis=0).sum()) if paired.any() else int(rated.any(axis=0).sum())
    )
    if rated.any(axis=0).sum() < 2:
        return _undefined(ONE_RATER, 0, int(rated.any(axis=0).sum()))
    if not paired.any():
        return _undefined(NO_PAIRS, 0, n_raters)
    return _Table(_counts(codes, dom.q), dom, n_raters)


def _observed(t: _Table, w: np.ndarray) -> tuple[float, int]:
    """Gwet's p_a: mean weighted pairwise agreement over items with >= 2 ratings."""
    c = t.counts
    r = c.sum(axis=1)
    used = r >= 2
    cu, ru = c[used], r[used]
    agree = (cu * (cu @ w.T - 1)).sum(axis=1) / (ru * (ru - 1))
    return float(agree.mean()), int(used.sum())


def _class_shares(t: _Table) -> np.ndarray:
    """Gwet's pi_k: each item's share of ratings in category k, averaged over rated items."""
    c = t.counts
    return (c / c.sum(axis=1, keepdims=True)).mean(axis=0)


def percent_agreement(ratings: Any, categories: Sequence | None = None) -> Coefficient:
    """Share of agreeing rater pairs per item, averaged over items with >= 2 ratings."""
    t = _table(ratings, categories)
    if isinstance(t, Coefficient):
        return t
    pa, n = _observed(t, np.eye(t.q))
    return Coefficient(pa, n, t.n_raters)


def fleiss_kappa(ratings: Any, categories: Sequence | None = None) -> Coefficient:
    """Fleiss' (1971) kappa, generalised to unequal numbers of raters per item (Gwet 2014).

    Gwet's estimator for any number of raters, two included: p_a over items with >= 2 ratings,
    pi_k over every item with >= 1 rating (Gwet 2014, ch. 2; irrCAC's `fleiss`).
    """
    t = _table(ratings, categories)
    if isinstance(t, Coefficient):
        return t
    pa, n = _observed(t, np.eye(t.q))
    pi = _class_shares(t)
    pe = float((pi**2).sum())
    if math.isclose(pe, 1.0):
        return _undefined(ONE_CATEGORY, n, t.n_raters)
    return Coefficient((pa - pe) / (1 - pe), n, t.n_raters)


def gwet_ac1(ratings: Any, categories: Sequence | None = None, weights: Any = None) -> Coefficient:
    """Gwet's AC1, or AC2 with `weights` ("linear", "quadratic" or a q x q matrix).

    Gwet (2014), ch. 3 (as irrCAC computes it), for any number of raters, two included: p_a over
    items with >= 2 ratings, pi_k over every item with >= 1 rating (an item one rater of a pair
    skipped stays in the chance term); q is the number of categories in the domain (declared,
    else observed). Ben & Gerry with Gerry's unit 10 missing: 0.66144, as in the handbook.
    Weights come from the category values (ranks 1..q for a declared text order).
    """
    t = _table(ratings, categories)
    if isinstance(t, Coefficient):
        return t
    if t.q < 2:
        return _undefined("a single category in the domain: AC1 needs two", 0, t.n_raters)
    w = _weight_matrix(weights, t.dom)
    pa, n = _observed(t, w)
    pi = _class_shares(t)
    pe = float(w.sum() * (pi * (1 - pi)).sum() / (t.q * (t.q - 1)))
    if math.isclose(pe, 1.0):
        return _undefined("chance agreement is 1 under these weights", n, t.n_raters)
    return Coefficient((pa - pe) / (1 - pe), n, t.n_raters)


def krippendorff_alpha(
    ratings: Any, level: str = "nominal", categories: Sequence | None = None
) -> Coefficient:
    """Krippendorff's alpha at a level of measurement, over the pairable values (the library's)."""
    import krippendorff

    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    t = _table(ratings, categories)
    if isinstance(t, Coefficient):
        return t
    counts = t.counts[t.counts.sum(axis=1) >= 2]
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        return _undefined(
            "a single value among the pairable ratings: alpha is undefined", len(counts), t.n_raters
        )
    domain = _domain_values(t.dom, level)
    value = krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level)
    return Coefficient(float(value), len(counts), t.n_raters)


def _domain_values(dom: Domain, level: str) -> np.ndarray:
    """Ranks for nominal/ordinal (only order matters); the numeric values for interval/ratio."""
    if level == "ordinal":
        dom.require_order("ordinal alpha")
    if level in ("nominal", "ordinal"):
        return np.arange(dom.q)
    dom.require_numbers(f"{level} alpha")
    return np.asarray(dom.categories, dtype=float)


# --- two-rater coefficients -----------------------------------------------------------------


def _pair(a: Any, b: Any, categories: Sequence | None) -> tuple[np.ndarray, np.ndarray, Domain]:
    """Codes of the items both raters rated, and the category domain."""
    va, vb = _as_vector(a, "a"), _as_vector(b, "b")
    if len(va) != len(vb):
        raise AgreementError(f"the two raters' sequences differ in length ({len(va)} vs {len(vb)})")
    both = ~(_missing(va) | _missing(vb))
    stacked = np.empty((int(both.sum()), 2), dtype=object)
    stacked[:, 0], stacked[:, 1] = va[both], vb[both]
    codes, dom = _encode(stacked, categories)
    return codes[:, 0], codes[:, 1], dom


def cohen_kappa(
    a: Any, b: Any, weights: str | None = None, categories: Sequence | None = None
) -> Coefficient:
    """Cohen's kappa between two raters on the items both rated, unweighted or weighted.

    Unweighted: scikit-learn. Weighted (Cohen 1968): 1 - sum(w O) / sum(w E) with disagreement
    weights |x_i - x_j| (linear) or (x_i - x_j)^2 (quadratic) over the category values (ranks for a
    declared text order), as statsmodels' `cohens_kappa(weights=values)` computes it; for equally
    spaced categories this is scikit-learn's weighted kappa.
    """
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    if weights is not None and weights not in WEIGHTS:
        raise AgreementError(f"unknown weights {weights!r}: use linear or quadratic")
    ca, cb, dom = _pair(a, b, categories)
    if weights is not None:
        dom.require_order(f"{weights}-weighted kappa")
    n = len(ca)
    if n == 0:
        return _undefined(NO_PAIRS, 0, 2)
    used = np.union1d(ca, cb)
    if len(used) == 1:
        return _undefined(ONE_CATEGORY, n, 2)
    if weights is None:
        return Coefficient(float(cohen_kappa_score(ca, cb, labels=np.arange(dom.q))), n, 2)
    table = confusion_matrix(ca, cb, labels=np.arange(dom.q))[None].astype(float)
    value = weighted_kappa_tables(table, dom.positions(), weights)[0]
    return Coefficient(float(value), n, 2)


def kappa_disagreement(positions: np.ndarray, weights: str | None) -> np.ndarray:
    """Cohen's disagreement weights: 0/1 unweighted, |x_i - x_j| or (x_i - x_j)^2 by value."""
    d = np.subtract.outer(positions, positions)
    if weights is None:
        return (d != 0).astype(float)
    return np.abs(d) if weights == "linear" else d**2


def weighted_kappa_tables(tables: np.ndarray, positions: np.ndarray, weights: str | None):
    """Cohen's (weighted) kappa of each k x k contingency table in `tables` (n x k x k)."""
    w = kappa_disagreement(np.asarray(positions, dtype=float), weights)
    n = tables.sum(axis=(1, 2))
    p = tables / np.where(n > 0, n, 1)[:, None, None]
    expected = p.sum(2)[:, :, None] * p.sum(1)[:, None, :]
    od = (p * w).sum(axis=(1, 2))
    ed = (expected * w).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 - od / ed
    return np.where((n > 0) & (ed > 1e-12), out, np.nan)


def _is_positive(values: np.ndarray, positive: Any) -> np.ndarray:
    """Elementwise `value == positive` (1.0 counts as 1; a string never equals a number)."""
    return np.asarray(values.astype(object) == positive, dtype=bool)


def specific_agreement(a: Any, b: Any, positive: Any = 1) -> tuple[Coefficient, Coefficient]:
    """Positive and negative specific agreement, 2a/(2a+b+c) and 2d/(2d+b+c).

    Cicchetti & Feinstein (1990); every value other than `positive` counts as negative.
    """
    va, vb = _as_vector(a, "a"), _as_vector(b, "b")
    if len(va) != len(vb):
        raise AgreementError(f"the two raters' sequences differ in length ({len(va)} vs {len(vb)})")
    both = ~(_missing(va) | _missing(vb))
    pa, pb = _is_positive(va[both], positive), _is_positive(vb[both], positive)
    n = len(pa)
    if n == 0:
        return _undefined(NO_PAIRS, 0, 2), _undefined(NO_PAIRS, 0, 2)
    pos2 = 2 * int((pa & pb).sum())
    neg2 = 2 * int((~pa & ~pb).sum())
    off = int((pa != pb).sum())
    pos = (
        Coefficient(pos2 / (pos2 + off), n, 2)
        if pos2 + off
        else _undefined("no positive ratings", n, 2)
    )
    neg = (
        Coefficient(neg2 / (neg2 + off), n, 2)
        if neg2 + off
        else _undefined("no negative ratings", n, 2)
    )
    return pos, neg


def prevalence(values: Any, positive: Any = 1) -> float:
    """Share of the non-missing ratings equal to `positive` (nan when none)."""
    v = _as_vector(values, "values")
    v = v[~_missing(v)]
    if len(v) == 0:
        return math.nan
    return float(_is_positive(v, positive).mean())


def confusion(a: Any, b: Any, labels: Sequence | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Confusion matrix (rows `a`, the reference; columns `b`) and per-class scores of `b`.

    Returns the matrix and a table indexed by label with precision, recall, f1 and support
    (scikit-learn; a class never predicted or never present gets nan, not 0).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    ca, cb, dom = _pair(a, b, labels)
    idx = np.arange(dom.q)
    names = pd.Index(list(dom.categories), dtype=object)
    matrix = pd.DataFrame(
        confusion_matrix(ca, cb, labels=idx) if len(ca) else np.zeros((len(idx),) * 2, int),
        index=names.rename("a"),
        columns=names.rename("b"),
    )
    if len(ca):
        p, r, f, s = precision_recall_fscore_support(ca, cb, labels=idx, zero_division=np.nan)
    else:
        p = r = f = np.full(len(idx), np.nan)
        s = np.zeros(len(idx), int)
    scores = pd.DataFrame(
        {"precision": p, "recall": r, "f1": f, "support": np.asarray(s, dtype=int)}, index=names
    )
    return matrix, scores


# --- dispatch over a ratings matrix ---------------------------------------------------------


def _no_option(metric: str, weights: Any, level: str) -> None:
    if weights is not None:
        raise AgreementError(f"{metric} takes no weights")
    if level != "nominal":
        raise AgreementError(f"{metric} has no level of measurement (only alpha does)")


def _cohen_matrix(
    ratings: Any, categories: Sequence | None = None, weights: Any = None, level: str = "nominal"
) -> Coefficient:
    if level != "nominal":
        raise AgreementError("cohen has no level of measurement: use weights for ordinal labels")
    arr = _as_matrix(ratings)
    if arr.shape[1] < 2:
        return _undefined(ONE_RATER, 0, arr.shape[1])
    if arr.shape[1] > 2:
        raise AgreementError(f"Cohen's kappa needs exactly two raters, got {arr.shape[1]}")
    return cohen_kappa(arr[:, 0], arr[:, 1], weights=weights, categories=categories)


def _fleiss_matrix(ratings, categories=None, weights=None, level="nominal") -> Coefficient:
    _no_option("fleiss", weights, level)
    return fleiss_kappa(ratings, categories)


def _percent_matrix(ratings, categories=None, weights=None, level="nominal") -> Coefficient:
    _no_option("percent", weights, level)
    return percent_agreement(ratings, categories)


def _alpha_matrix(ratings, categories=None, weights=None, level="nominal") -> Coefficient:
    if weights is not None:
        raise AgreementError("alpha takes a level of measurement, not weights")
    return krippendorff_alpha(ratings, level=level, categories=categories)


def _ac1_matrix(ratings, categories=None, weights=None, level="nominal") -> Coefficient:
    if level != "nominal":
        raise AgreementError("ac1 has no level of measurement: use weights for AC2")
    return gwet_ac1(ratings, categories, weights)


# name -> f(ratings, categories=None, weights=None, level="nominal") -> Coefficient
METRICS: dict[str, Callable[..., Coefficient]] = {
    "cohen": _cohen_matrix,
    "fleiss": _fleiss_matrix,
    "alpha": _alpha_matrix,
    "ac1": _ac1_matrix,
    "percent": _percent_matrix,
}
