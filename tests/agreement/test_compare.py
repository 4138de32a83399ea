"""compare / raters_agreement: values against scikit-learn, irrCAC and krippendorff; verdict, JSON.

Expected values come from the reference libraries (scikit-learn, irrCAC, krippendorff), never from
edukit's own functions.
"""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from edukit.agreement.compare import compare, raters_agreement
from edukit.errors import AgreementError

# irrCAC pins old scipy/pandas in its metadata: the README test command installs it --no-deps.
CAC = pytest.importorskip("irrCAC.raw", reason="pip install --no-deps irrCAC").CAC

H1 = [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]
H2 = [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0]
M = [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1]


def irr(columns: list[list], method: str = "gwet", **kw) -> float:
    """irrCAC's coefficient (Gwet's R package ported) over raters given as columns."""
    df = pd.DataFrame({f"r{i}": pd.Series(c, dtype=float) for i, c in enumerate(columns)})
    # irrCAC 0.4.4 with this pandas counts NaN as a category when it infers them: name them
    kw.setdefault("categories", sorted(set(df.stack().dropna())))
    return getattr(CAC(df, **kw), method)()["est"]["coefficient_value"]


def specific(a: list, b: list) -> tuple[float, float]:
    """Positive / negative specific agreement by hand from the 2x2 table (Cicchetti 1990)."""
    both = sum(x == y == 1 for x, y in zip(a, b, strict=True))
    neither = sum(x == y == 0 for x, y in zip(a, b, strict=True))
    off = len(a) - both - neither
    return 2 * both / (2 * both + off), 2 * neither / (2 * neither + off)


def long(columns: dict[str, list], label="x", drop=()) -> pd.DataFrame:
    rows = []
    for rater, values in columns.items():
        for i, v in enumerate(values):
            if (rater, i) not in drop:
                rows.append((f"c{i:02d}", rater, label, v, "v1" if rater.startswith("M") else ""))
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "version"])


def test_binary_label_values_equal_scikit_learn():
    c = compare(long({"H1": H1, "H2": H2, "M": M}), ["H1", "H2"], ["M"], n_boot=200)
    lab = c.labels["x"]
    hh = cohen_kappa_score(H1, H2)
    h1m, h2m = cohen_kappa_score(H1, M), cohen_kappa_score(H2, M)
    assert lab.human_human.value == pytest.approx(hh) and lab.human_human.n == 12
    assert lab.human_model["M"]["H1"].value == pytest.approx(h1m)
    assert lab.human_model_mean["M"].value == pytest.approx((h1m + h2m) / 2)
    # majority of two humans: only the 10 items where they agree
    agree = [i for i in range(12) if H1[i] == H2[i]]
    maj = lab.model_vs_majority["M"]
    assert maj.n == 10
    assert maj.value == pytest.approx(
        cohen_kappa_score([H1[i] for i in agree], [M[i] for i in agree])
    )
    assert lab.difference["M"].value == pytest.approx((h1m + h2m) / 2 - hh)
    lo, hi = lab.human_human.ci
    assert lo <= hh <= hi
    assert lab.positives == {"H1": 5, "H2": 5, "M": 6}
    assert lab.prevalence["M"] == pytest.approx(0.5)
    assert lab.ac1["human_human"].value == pytest.approx(irr([H1, H2]), abs=1e-5)
    pos, neg = specific(H1, M)
    assert lab.specific["human_model"]["M"]["H1"]["positive"].value == pytest.approx(pos)
    assert lab.specific["human_model"]["M"]["H1"]["negative"].value == pytest.approx(neg)


def test_pairs_use_exactly_the_items_both_raters_annotated():
    drop = {("M", 0), ("M", 1), ("H2", 5)}
    c = compare(long({"H1": H1, "H2": H2, "M": M}, drop=drop), ["H1", "H2"], ["M"], n_boot=0)
    lab = c.labels["x"]
    keep = [i for i in range(12) if i not in (0, 1)]
    assert lab.human_model["M"]["H1"].n == 10
    assert lab.human_model["M"]["H1"].value == pytest.approx(
        cohen_kappa_score([H1[i] for i in keep], [M[i] for i in keep])
    )
    assert lab.human_human.n == 11
    assert lab.difference["M"].n == 9  # items every human and the model rated
    assert lab.human_human.ci is None  # n_boot=0: no interval


def test_verdict_is_three_way_with_a_margin():
    rng = np.random.default_rng(0)
    h1 = rng.integers(0, 2, 150)
    h2 = np.where(rng.random(150) < 0.85, h1, 1 - h1)
    copy = h1.copy()  # a model that copies H1 agrees with the humans better than they do
    noise = rng.integers(0, 2, 150)  # a coin-flipping model does not
    df = long({"H1": list(h1), "H2": list(h2), "M1": list(copy), "M2": list(noise)})
    c = compare(df, ["H1", "H2"], ["M1", "M2"], n_boot=300, seed=1, groups=None)
    lab = c.labels["x"]
    assert lab.difference["M1"].ci[0] >= -0.1 and lab.verdict["M1"] == "yes"
    assert lab.difference["M2"].ci[1] < -0.1 and lab.verdict["M2"] == "no"
    out = c.to_json()
    assert out["labels"]["x"]["verdict"] == {"M1": "yes", "M2": "no"}
    assert out["margin"] == 0.1 and "margin of 0.1" in out["verdict_rule"]
    assert out["labels"]["x"]["difference"]["M2"]["ci"] == list(lab.difference["M2"].ci)
    # the difference can be read off: both terms on the same items are reported beside it
    same = lab.same_items["M2"]
    assert same["human_human"].n == same["human_model"].n == lab.difference["M2"].n == 150
    assert same["human_model"].value - same["human_human"].value == pytest.approx(
        lab.difference["M2"].value
    )
    assert same["human_human"].value == pytest.approx(cohen_kappa_score(h1, h2))


def test_a_wide_interval_is_inconclusive_not_yes():
    """12 items: the model is worse (-0.32) and the interval is wide: neither yes nor no."""
    c = compare(long({"H1": H1, "H2": H2, "M": M}), ["H1", "H2"], ["M"], n_boot=1000, seed=0)
    lab = c.labels["x"]
    diff = lab.difference["M"]
    assert diff.value == pytest.approx(
        (cohen_kappa_score(H1, M) + cohen_kappa_score(H2, M)) / 2 - cohen_kappa_score(H1, H2)
    )
    assert diff.value < -0.3 and diff.ci[0] < -0.5 and diff.ci[1] >= -0.1
    assert lab.verdict["M"] == "inconclusive"
    # a margin as wide as the interval's lower end turns it into yes
    wide = compare(long({"H1": H1, "H2": H2, "M": M}), ["H1", "H2"], ["M"], n_boot=1000, margin=2)
    assert wide.labels["x"].verdict["M"] == "yes"


def test_undefined_label_gives_null_with_reason_in_json():
    df = long({"H1": [0] * 6, "H2": [0] * 6, "M": [0, 0, 0, 0, 0, 1]})
    c = compare(df, ["H1", "H2"], ["M"], n_boot=50)
    out = json.loads(json.dumps(c.to_json(), allow_nan=False))
    hh = out["labels"]["x"]["human_human"]
    assert hh["value"] is None and hh["ci"] is None and "single category" in hh["reason"]
    assert out["labels"]["x"]["human_model"]["M"]["H1"]["value"] == pytest.approx(0.0)


def test_multiclass_label_has_a_confusion_matrix_and_per_class_scores():
    h1 = ["a", "b", "c", "a", "b", "c", "a", "a"]
    h2 = ["a", "b", "c", "a", "c", "c", "a", "b"]
    m = ["a", "b", "b", "a", "b", "c", "c", "a"]
    c = compare(long({"H1": h1, "H2": h2, "M": m}, label="move"), ["H1", "H2"], ["M"], n_boot=50)
    lab = c.labels["move"]
    assert lab.kind == "multiclass" and not lab.positives
    cm = lab.confusion["M"]["H1"]
    assert cm["labels"] == ["a", "b", "c"]
    assert cm["matrix"] == [[3, 0, 1], [0, 2, 0], [0, 1, 1]]  # rows H1, columns model
    assert cm["per_class"]["c"]["recall"] == pytest.approx(0.5)
    assert cm["per_class"]["a"]["precision"] == pytest.approx(1.0)


def test_json_has_the_documented_shape():
    c = compare(long({"H1": H1, "H2": H2, "M": M}), ["H1", "H2"], ["M"], n_boot=20)
    out = json.loads(json.dumps(c.to_json(), allow_nan=False))
    assert out["metric"] == "cohen" and out["categories_source"] == "observed"
    lab = out["labels"]["x"]
    assert set(lab["human_human"]) >= {"value", "ci", "n"}
    assert set(lab["human_model"]["M"]["H1"]) >= {"value", "ci", "n"}
    assert set(lab["human_model_mean"]) == {"value", "by_model"}
    assert lab["verdict"]["M"] in ("yes", "no", "inconclusive")
    assert lab["domain"] == {
        "kind": "numeric",
        "ordered": True,
        "categories": [0, 1],
        "source": "observed",
    }
    assert out["correlation"]["M"]["n_labels"] == 1
    assert "needs 3" in out["correlation"]["M"]["reason"]


def test_correlation_across_labels_matches_scipy():
    rng = np.random.default_rng(4)
    frames = []
    for j, p in enumerate([0.95, 0.85, 0.75, 0.65]):
        h1 = rng.integers(0, 2, 80)
        h2 = np.where(rng.random(80) < p, h1, 1 - h1)
        m = np.where(rng.random(80) < p, h1, 1 - h1)
        frames.append(long({"H1": list(h1), "H2": list(h2), "M": list(m)}, label=f"l{j}"))
    c = compare(pd.concat(frames), ["H1", "H2"], ["M"], n_boot=0)
    x = [c.labels[f"l{j}"].human_human.value for j in range(4)]
    y = [c.labels[f"l{j}"].human_model_mean["M"].value for j in range(4)]
    corr = c.correlation["M"]
    assert corr["n_labels"] == 4
    assert corr["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic)
    assert corr["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic)
    slope, intercept = np.polyfit(x, y, 1)
    assert corr["slope"] == pytest.approx(slope) and corr["intercept"] == pytest.approx(intercept)
    assert "4 points" in corr["caveat"]


def test_cluster_bootstrap_uses_the_group_column():
    df = long({"H1": H1, "H2": H2, "M": M})
    df["video_id"] = df["item_id"].map(lambda i: f"v{int(i[1:]) // 4}")
    flat = compare(df, ["H1", "H2"], ["M"], n_boot=200, seed=0, groups=None)
    grouped = compare(df, ["H1", "H2"], ["M"], n_boot=200, seed=0, groups="video_id")
    auto = compare(df, ["H1", "H2"], ["M"], n_boot=200, seed=0)  # video_id found by default
    assert grouped.groups == auto.groups == "video_id" and flat.groups is None
    assert auto.labels["x"].human_human.ci == grouped.labels["x"].human_human.ci
    assert "whole video_id groups" in auto.to_json()["resampling"]
    assert grouped.labels["x"].human_human.value == flat.labels["x"].human_human.value
    assert grouped.labels["x"].human_human.ci != flat.labels["x"].human_human.ci
    with pytest.raises(AgreementError, match="no column 'dialogue_id'"):
        compare(df, ["H1", "H2"], ["M"], groups="dialogue_id")


def test_an_item_without_a_cluster_is_its_own_cluster():
    # The gold carries dialogue_id; the model's file does not, and the model also rated an item
    # the gold left out (a MathDial turn without a move tag): that item is a cluster of its own.
    df = long({"H1": H1, "H2": H2, "M": M})
    df["dialogue_id"] = df["item_id"].map(lambda i: f"d{int(i[1:]) // 4}")
    df.loc[df["rater"] == "M", "dialogue_id"] = np.nan
    extra = pd.DataFrame(
        [{"item_id": "extra", "rater": "M", "label": "x", "value": 1, "version": "v1"}]
    )
    with_extra = pd.concat([df, extra], ignore_index=True)
    r = compare(with_extra, ["H1", "H2"], ["M"], n_boot=200, seed=0)
    assert r.groups == "dialogue_id"
    assert r.labels["x"].human_model_mean["M"].n == 12  # the extra item pairs with no human


def test_raters_mode_one_coefficient_per_label():
    df = long({"A": H1, "B": H2, "C": M})
    r = raters_agreement(df, ["A", "B", "C"], metric="fleiss", n_boot=100)
    expected = irr([H1, H2, M], "fleiss")
    assert r.labels["x"].value == pytest.approx(expected, abs=1e-5) and r.labels["x"].n == 12
    lo, hi = r.labels["x"].ci
    assert lo < expected < hi
    out = r.to_json()
    assert set(out["labels"]["x"]) >= {"value", "ci", "n"} and out["raters"] == ["A", "B", "C"]
    alpha = raters_agreement(df, ["A", "B", "C"], metric="alpha", level="interval", n_boot=0)
    assert alpha.labels["x"].value == pytest.approx(
        krippendorff.alpha(reliability_data=[H1, H2, M], level_of_measurement="interval")
    )
    with pytest.raises(AgreementError, match="exactly two raters, got 3"):
        raters_agreement(df, ["A", "B", "C"], metric="cohen")


def test_user_errors_are_agreement_errors():
    df = long({"H1": H1, "H2": H2, "M": M})
    with pytest.raises(AgreementError, match="no ratings from H3"):
        compare(df, ["H1", "H3"], ["M"])
    with pytest.raises(AgreementError, match="unknown metric 'kappa'"):
        compare(df, ["H1", "H2"], ["M"], metric="kappa")
    with pytest.raises(AgreementError, match="both human and model"):
        compare(df, ["H1", "H2"], ["H2"])


@pytest.mark.parametrize(("value", "share"), [(0, 0.0), (1, 1.0)])
def test_prevalence_of_all_negative_and_all_positive_labels(value, share):
    """A label no rater marked positive has prevalence 0 (not undefined); all positive has 1."""
    df = long({"H1": [value] * 6, "H2": [value] * 6, "M": [value] * 5}, drop={("M", 5)})
    c = compare(df, ["H1", "H2"], ["M"], n_boot=20)
    lab = c.labels["x"]
    assert lab.kind == "binary"
    assert lab.positives == {"H1": 6 * value, "H2": 6 * value, "M": 5 * value}
    assert lab.prevalence == {"H1": share, "H2": share, "M": share}
    out = json.loads(json.dumps(c.to_json(), allow_nan=False))["labels"]["x"]
    assert out["prevalence"] == {"H1": share, "H2": share, "M": share}
    # kappa is undefined here, with its reason, while the counts stay plain numbers
    assert out["human_human"]["value"] is None and "single category" in out["human_human"]["reason"]


def test_prevalence_of_a_rater_who_never_marked_positive():
    df = long({"H1": H1, "H2": H2, "M": [0] * 12})
    lab = compare(df, ["H1", "H2"], ["M"], n_boot=0).labels["x"]
    assert lab.positives["M"] == 0 and lab.prevalence["M"] == 0.0
    assert lab.prevalence["H1"] == pytest.approx(5 / 12)


def test_majority_of_three_humans_with_gaps():
    h3 = [1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0]
    drop = {("H3", 0), ("H2", 0), ("H1", 1), ("H2", 1)}  # item 0: one rating; item 1: one rating
    df = long({"H1": H1, "H2": H2, "H3": h3, "M": M}, drop=drop)
    lab = compare(df, ["H1", "H2", "H3"], ["M"], n_boot=0).labels["x"]
    majority, model = [], []
    for i in range(12):
        votes = [v[i] for r, v in (("H1", H1), ("H2", H2), ("H3", h3)) if (r, i) not in drop]
        if len(votes) >= 2 and 2 * max(votes.count(0), votes.count(1)) > len(votes):
            majority.append(int(votes.count(1) > votes.count(0)))
            model.append(M[i])
    maj = lab.model_vs_majority["M"]
    assert maj.n == len(majority) == 10
    assert maj.value == pytest.approx(cohen_kappa_score(majority, model))


def test_a_single_human_or_gold_standard_is_compared_with_the_model():
    # Gold moves against a model: one reference rater. Human-model agreement is defined; what
    # needs two humans is null with a reason, never an error or a silent 0.
    res = compare(long({"gold": H1, "M": M}), ["gold"], ["M"], n_boot=200)
    lab = res.labels["x"]
    assert lab.human_model["M"]["gold"].value == pytest.approx(cohen_kappa_score(H1, M))
    assert lab.human_model_mean["M"].value == pytest.approx(cohen_kappa_score(H1, M))
    assert lab.human_model["M"]["gold"].n == len(H1)
    out = json.loads(json.dumps(res.to_json()))["labels"]["x"]
    assert out["human_human"]["value"] is None
    assert out["human_human"]["reason"] == "one human rater: human-human agreement needs two"
    assert out["difference"]["M"]["value"] is None and out["verdict"]["M"] is None
    with pytest.raises(AgreementError, match="at least one human"):
        compare(long({"gold": H1, "M": M}), [], ["M"])
