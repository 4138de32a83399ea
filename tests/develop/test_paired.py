"""Paired differences between arms: a hand-checked case against an independent computation,
Holm's step-down, and the `better` / verdict rules at their boundaries."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from edukit.agreement.results import verdict
from edukit.develop import Settings, compare_arms
from edukit.develop.paired import Difference, better_of, bootstrap_p, holm

# one gold rater H; arm A agrees on half the items (kappa 0), arm B on 7 of 8:
# p_o = 7/8, p_e = 1/2 * 3/8 + 1/2 * 5/8 = 1/2, kappa = (7/8 - 1/2) / (1/2) = 0.75
H = [1, 1, 1, 1, 0, 0, 0, 0]
A = [1, 1, 0, 0, 0, 0, 1, 1]
B = [1, 1, 1, 0, 0, 0, 0, 0]
CLUSTER = ["c1", "c1", "c2", "c2", "c3", "c3", "c4", "c4"]


def _table() -> pd.DataFrame:
    rows = []
    for rater, values in (("H", H), ("A", A), ("B", B)):
        for i, v in enumerate(values):
            rows.append(
                {
                    "item_id": f"i{i + 1}",
                    "rater": rater,
                    "label": "x",
                    "value": v,
                    "cluster": CLUSTER[i],
                }
            )
    return pd.DataFrame(rows)


def _independent(n_boot: int, seed: int) -> np.ndarray:
    """The documented resampling written out: n_boot draws of 4 clusters with replacement from
    numpy's default_rng(seed), each resample's kappas by scikit-learn."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, 4, size=(n_boot, 4))
    members = {g: [i for i, c in enumerate(CLUSTER) if c == f"c{g + 1}"] for g in range(4)}
    out = []
    h, a, b = map(np.array, (H, A, B))
    for d in draws:
        idx = [i for g in d for i in members[g]]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kb = cohen_kappa_score(h[idx], b[idx], labels=[0, 1])
            ka = cohen_kappa_score(h[idx], a[idx], labels=[0, 1])
        out.append(kb - ka)
    return np.array(out, dtype=float)


def test_hand_checked_difference_and_interval():
    r = compare_arms(_table(), ["H"], ["A", "B"], Settings(n_boot=400, seed=3), groups="cluster")
    (d,) = r.differences
    assert (d.a, d.b, d.label, d.n) == ("A", "B", "x", 8)
    assert d.value == pytest.approx(0.75, abs=1e-12)
    assert r.arms["B"].labels["x"].human_model_mean.value == pytest.approx(0.75)
    assert r.arms["A"].labels["x"].human_model_mean.value == pytest.approx(0.0, abs=1e-12)
    s = _independent(400, 3)
    ok = s[np.isfinite(s)]
    lo, hi = np.percentile(ok, [2.5, 97.5])  # one difference: Holm's level is 95%
    assert d.level == pytest.approx(0.95)
    assert d.ci == pytest.approx((lo, hi), abs=1e-12)
    p = min(1.0, 2 * min((ok <= 0).mean(), (ok >= 0).mean()))
    assert d.p == pytest.approx(p)
    assert d.better == ("b" if lo > 0 else "a" if hi < 0 else "neither")


def test_classification_scores_hand_checked():
    r = compare_arms(_table(), ["H"], ["A", "B"], Settings(n_boot=0), groups=None)
    b = r.arms["B"].labels["x"]
    assert b.accuracy.value == pytest.approx(7 / 8)
    assert b.f1["1"].value == pytest.approx(2 * 3 / (4 + 3))
    assert b.f1["0"].value == pytest.approx(2 * 4 / (4 + 5))
    assert b.macro_f1.value == pytest.approx((6 / 7 + 8 / 9) / 2)
    assert r.ranking == ["B", "A"]


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((0.0, 0.3), "neither"),  # touches zero
        ((1e-12, 0.3), "b"),
        ((-0.3, 0.0), "neither"),
        ((-0.3, -1e-12), "a"),
        ((-0.1, 0.1), "neither"),
        (None, "neither"),
        ((float("nan"), 0.2), "neither"),
    ],
)
def test_better_only_when_the_interval_excludes_zero(ci, expected):
    assert better_of(ci) == expected


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((-0.1, 0.2), "yes"),  # lower end exactly at -margin: non-inferior
        ((-0.1000001, 0.2), "inconclusive"),
        ((-0.5, -0.1), "inconclusive"),  # upper end exactly at -margin: not "no"
        ((-0.5, -0.1000001), "no"),
        (None, "inconclusive"),
    ],
)
def test_verdict_at_its_boundaries(ci, expected):
    assert verdict(ci, 0.1) == expected


def _diff(label: str, samples) -> Difference:
    return Difference(label, "a", "b", float(np.mean(samples)), 10, np.asarray(samples, float))


def test_holm_step_down():
    # p-values: strong 0 (all resamples > 0); mid 2 * 3/100 = 0.06; weak 2 * 40/100 = 0.8
    strong = _diff("strong", np.linspace(0.1, 0.5, 100))
    mid = _diff("mid", np.r_[np.full(3, -0.01), np.linspace(0.01, 0.3, 97)])
    weak = _diff("weak", np.r_[np.full(40, -0.1), np.full(60, 0.1)])
    holm([weak, mid, strong], alpha=0.05)
    assert strong.p == 0.0 and mid.p == pytest.approx(0.06) and weak.p == pytest.approx(0.8)
    assert strong.level == pytest.approx(1 - 0.05 / 3)
    assert mid.level == pytest.approx(1 - 0.05 / 2)
    assert weak.level == pytest.approx(0.95)
    assert strong.better == "b"
    assert mid.better == "neither"  # its 97.5% interval reaches below zero
    assert weak.better == "neither"


def test_holm_stops_at_the_first_retained_difference():
    # ranks: first (p 0), second (p 0.04, tested at 97.5%), third (p 0.044, tested at 95%).
    # second is retained (2% of resamples below zero > 1.25%), so third is not declared although
    # its own 95% interval excludes zero (2.2% below zero < 2.5%).
    first = _diff("first", np.linspace(0.2, 0.4, 500))
    second = _diff("second", np.r_[np.full(10, -0.05), np.linspace(0.01, 0.3, 490)])
    third = _diff("third", np.r_[np.full(11, -0.05), np.linspace(0.01, 0.3, 489)])
    holm([third, second, first])
    assert (first.p, second.p, third.p) == (0.0, pytest.approx(0.04), pytest.approx(0.044))
    assert third.level == pytest.approx(0.95) and third.ci[0] > 0
    assert second.ci[0] < 0
    assert (first.better, second.better, third.better) == ("b", "neither", "neither")


def test_bootstrap_p():
    assert bootstrap_p(np.array([1.0, 2.0, 3.0])) == 0.0
    assert bootstrap_p(np.array([-1.0, 1.0])) == 1.0
    assert bootstrap_p(None) != bootstrap_p(None)  # NaN


def test_gold_without_the_arms_labels_is_one_error(tmp_path, cli):
    t = _table()
    t.loc[t["rater"] == "H", "label"] = "other"
    f = tmp_path / "ann.csv"
    t.to_csv(f, index=False)
    r = cli("compare", "--from", f, "--humans", "H")
    assert r.code == 2
    assert r.err.count("Error:") == 1 and "shares no label with the humans" in r.err


def test_edukit_compare_library_entry(tmp_path):
    import edukit

    f = tmp_path / "ann.csv"
    _table().to_csv(f, index=False)
    r = edukit.compare(humans=["H"], from_annotations=f, settings=Settings(n_boot=0))
    assert r.ranking == ["B", "A"]
    assert r.to_json()["arms"]["B"]["labels"]["x"]["accuracy"]["value"] == pytest.approx(7 / 8)


@st.composite
def _ratings(draw):
    n = draw(st.integers(6, 20))
    cell = st.integers(0, 1)
    return [draw(st.lists(cell, min_size=n, max_size=n)) for _ in range(3)]


@settings(max_examples=25, deadline=None)
@given(_ratings())
def test_swapping_arms_negates_the_difference(ratings):
    h, a, b = ratings
    rows = [
        {"item_id": f"i{i:02d}", "rater": r, "label": "x", "value": v}
        for r, values in (("H", h), ("A", a), ("B", b))
        for i, v in enumerate(values)
    ]
    table = pd.DataFrame(rows)
    s = Settings(n_boot=60, seed=1)
    (ab,) = compare_arms(table, ["H"], ["A", "B"], s, groups=None).differences
    (ba,) = compare_arms(table, ["H"], ["B", "A"], s, groups=None).differences
    if ab.value == ab.value:
        assert ba.value == pytest.approx(-ab.value, abs=1e-12)
        flip = {"a": "b", "b": "a", "neither": "neither"}
        assert ba.better == flip[ab.better]
    if ab.ci is not None and ba.ci is not None:
        assert ba.ci == pytest.approx((-ab.ci[1], -ab.ci[0]), abs=1e-9)
