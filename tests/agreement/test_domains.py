"""Typed category domains: numbers by value, text unordered unless declared, refusals, estimators.

Every expected value comes from a reference library on the same input (scikit-learn, statsmodels,
irrCAC, krippendorff) or from a published worked example, and each case runs through the CLI
(`edukit agree ... --json`) as a user would, and through the library where noted.
"""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from edukit.agreement.compare import compare, raters_agreement
from edukit.errors import AgreementError

# irrCAC pins old scipy/pandas in its metadata: the README test command installs it --no-deps.
CAC = pytest.importorskip("irrCAC.raw", reason="pip install --no-deps irrCAC").CAC


def write_long(path, columns: dict[str, list], label: str = "score", as_text=None) -> None:
    """A long annotation CSV; None = not rated; `as_text` maps a value to how it is written."""
    rows = [
        (f"i{i:03d}", rater, label, v if as_text is None else as_text(rater, v))
        for rater, values in columns.items()
        for i, v in enumerate(values)
        if v is not None
    ]
    pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]).to_csv(path, index=False)


def agree_json(cli, tmp_path, path, *args) -> dict:
    out = tmp_path / "out.json"
    r = cli("agree", path, *args, "--n-boot", "0", "--json", out)
    assert r.code == 0, r.err
    return json.loads(out.read_text())


def both_rated(a, b):
    keep = [i for i in range(len(a)) if a[i] is not None and b[i] is not None]
    return [a[i] for i in keep], [b[i] for i in keep]


def irr(columns: list[list], method: str = "gwet", **kw) -> float:
    df = pd.DataFrame({f"r{i}": pd.Series(c, dtype=float) for i, c in enumerate(columns)})
    # irrCAC 0.4.4 with this pandas counts NaN as a category when it infers them: name them
    kw.setdefault("categories", sorted(set(df.stack().dropna())))
    return getattr(CAC(df, **kw), method)()["est"]["coefficient_value"]


def sm_weighted(a, b, weights: str) -> float:
    """statsmodels' weighted kappa with weights from the category values."""
    cats = sorted(set(a) | set(b))
    return sm_kappa(confusion_matrix(a, b, labels=cats), weights=np.array(cats), wt=weights).kappa


RNG = np.random.default_rng(11)
LIKERT_A = [int(v) for v in RNG.integers(1, 11, 60)]
LIKERT_B = [int(min(10, max(1, v + RNG.integers(-1, 2)))) for v in LIKERT_A]


# --- 1. numbers are numbers -------------------------------------------------------------------


def test_numeric_1_to_10_quadratic_kappa_equals_scikit_learn(cli, tmp_path):
    path = tmp_path / "likert.csv"
    write_long(path, {"A": LIKERT_A, "B": LIKERT_B})
    data = agree_json(
        cli, tmp_path, path, "--raters", "A,B", "--metric", "cohen", "--weights", "quadratic"
    )
    expected = cohen_kappa_score(LIKERT_A, LIKERT_B, labels=list(range(1, 11)), weights="quadratic")
    assert expected > 0.9
    assert data["labels"]["score"]["value"] == pytest.approx(expected)
    dom = data["labels"]["score"]["domain"]
    assert dom["kind"] == "numeric" and dom["categories"] == sorted(set(LIKERT_A + LIKERT_B))


@pytest.mark.parametrize(
    "codes", [[-2, -1, 0, 1, 2], [5, 10, 15], [1, 2, 4]], ids=["negative", "multi-digit", "1-2-4"]
)
def test_negative_multidigit_and_unequally_spaced_codes(cli, tmp_path, codes):
    rng = np.random.default_rng(len(codes))
    a = [codes[i] for i in rng.integers(0, len(codes), 50)]
    b = [
        x if rng.random() < 0.6 else codes[i]
        for x, i in zip(a, rng.integers(0, 3, 50), strict=True)
    ]
    c = [x if rng.random() < 0.5 else codes[-1] for x in a]
    path = tmp_path / "codes.csv"
    write_long(path, {"A": a, "B": b, "C": c})
    for w in ("linear", "quadratic"):
        got = agree_json(
            cli, tmp_path, path, "--raters", "A,B", "--metric", "cohen", "--weights", w
        )
        assert got["labels"]["score"]["value"] == pytest.approx(sm_weighted(a, b, w))
        got = agree_json(
            cli, tmp_path, path, "--raters", "A,B,C", "--metric", "ac1", "--weights", w
        )
        assert got["labels"]["score"]["value"] == pytest.approx(irr([a, b, c], weights=w), abs=1e-5)
    for level in ("ordinal", "interval"):
        got = agree_json(
            cli, tmp_path, path, "--raters", "A,B,C", "--metric", "alpha", "--level", level
        )
        ref = krippendorff.alpha(reliability_data=[a, b, c], level_of_measurement=level)
        assert got["labels"]["score"]["value"] == pytest.approx(ref)


def test_three_and_three_point_zero_are_one_category(cli, tmp_path):
    a = [1, 2, 3, 3, 2, 1, 3, 2, 2, 3]
    b = [1, 2, 3, 2, 2, 1, 3, 3, 2, 3]
    path = tmp_path / "mixed.csv"
    # A's file wrote integers, B's floats (an Excel export), one value with spaces
    write_long(path, {"A": a, "B": b}, as_text=lambda r, v: f"{v}.0" if r == "B" else f" {v} ")
    for metric, ref in (
        ("ac1", irr([a, b])),
        ("fleiss", irr([a, b], "fleiss")),
        ("cohen", cohen_kappa_score(a, b)),
    ):
        got = agree_json(cli, tmp_path, path, "--raters", "A,B", "--metric", metric)
        assert got["labels"]["score"]["value"] == pytest.approx(ref, abs=1e-5), metric
        assert got["labels"]["score"]["domain"]["categories"] == [1, 2, 3]
    got = agree_json(
        cli, tmp_path, path, "--raters", "A,B", "--metric", "alpha", "--level", "interval"
    )
    ref = krippendorff.alpha(reliability_data=[a, b], level_of_measurement="interval")
    assert got["labels"]["score"]["value"] == pytest.approx(ref)


# --- 2. text order is declared, never alphabetical ---------------------------------------------

LEVELS = ["low", "medium", "high"]
ORD_A = ["low", "medium", "high", "high", "low", "medium", "medium", "high", "low", "low"]
ORD_B = ["medium", "medium", "high", "medium", "low", "high", "medium", "high", "low", "medium"]


def test_declared_text_order_weights_by_rank(cli, tmp_path):
    path = tmp_path / "ord.csv"
    write_long(path, {"A": ORD_A, "B": ORD_B}, label="level")
    got = agree_json(
        cli, tmp_path, path, "--raters", "A,B", "--metric", "cohen", "--weights", "linear",
        "--categories", "low,medium,high",
    )  # fmt: skip
    expected = cohen_kappa_score(ORD_A, ORD_B, labels=LEVELS, weights="linear")
    assert got["labels"]["level"]["value"] == pytest.approx(expected)
    assert got["labels"]["level"]["domain"] == {
        "kind": "text",
        "ordered": True,
        "categories": LEVELS,
        "source": "declared",
    }
    rank = {v: i + 1 for i, v in enumerate(LEVELS)}
    got = agree_json(
        cli, tmp_path, path, "--raters", "A,B", "--metric", "alpha", "--level", "ordinal",
        "--categories", "low,medium,high",
    )  # fmt: skip
    ref = krippendorff.alpha(
        reliability_data=[[rank[v] for v in ORD_A], [rank[v] for v in ORD_B]],
        level_of_measurement="ordinal",
    )
    assert got["labels"]["level"]["value"] == pytest.approx(ref)


@pytest.mark.parametrize(
    "options",
    [
        ["--metric", "cohen", "--weights", "linear"],
        ["--metric", "ac1", "--weights", "quadratic"],
        ["--metric", "alpha", "--level", "ordinal"],
        ["--metric", "alpha", "--level", "interval"],
    ],
)
def test_order_dependent_metrics_on_unordered_text_are_refused(cli, tmp_path, options):
    path = tmp_path / "ord.csv"
    write_long(path, {"A": ORD_A, "B": ORD_B}, label="level")
    r = cli("agree", path, "--raters", "A,B", *options, "--n-boot", "0")
    assert r.code == 2 and "Traceback" not in r.err
    line = r.err.strip()
    assert "\n" not in line and "'level'" in line and "--categories" in line


def test_interval_alpha_on_declared_text_is_refused(cli, tmp_path):
    path = tmp_path / "ord.csv"
    write_long(path, {"A": ORD_A, "B": ORD_B}, label="level")
    r = cli(
        "agree", path, "--raters", "A,B", "--metric", "alpha", "--level", "interval",
        "--categories", "low,medium,high", "--n-boot", "0",
    )  # fmt: skip
    assert r.code == 2 and "needs numeric values" in r.err and "'level'" in r.err


# --- bad input: one line naming label, rater and value -------------------------------------------


@pytest.mark.parametrize(
    ("a_values", "extra", "needle"),
    [
        (["1", "2", "three", "1"], [], "mixes numbers and words"),
        (["1", "2", "3", "1"], ["--categories", "1,2"], "gave '3', which is not among"),
    ],
)
def test_bad_values_one_line_exit_2(cli, tmp_path, a_values, extra, needle):
    path = tmp_path / "bad.csv"
    write_long(path, {"A": a_values, "B": ["1", "2", "2", "1"]})
    r = cli("agree", path, "--raters", "A,B", "--metric", "cohen", *extra, "--n-boot", "0")
    assert r.code == 2 and needle in r.err and "'score'" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_blank_value_is_named_not_dropped():
    df = pd.DataFrame(
        {
            "item_id": ["1", "2", "1", "2"],
            "rater": ["A", "A", "B", "B"],
            "label": "score",
            "value": [1, float("nan"), 1, 2],
        }
    )
    with pytest.raises(AgreementError, match=r"label 'score': rater 'A' has a blank value"):
        raters_agreement(df, ["A", "B"], metric="cohen", n_boot=0)


def test_a_single_category_is_null_with_a_reason():
    df = pd.DataFrame(
        {"item_id": ["1", "2", "1", "2"], "rater": list("AABB"), "label": "s", "value": [3] * 4}
    )
    e = raters_agreement(df, ["A", "B"], metric="ac1", n_boot=0).labels["s"]
    assert e.value != e.value and "single category" in e.reason


# --- 4. human-human never depends on the models --------------------------------------------------


def test_a_model_with_an_extra_category_leaves_human_human_unchanged(tmp_path):
    h1 = [1, 2, 3, 3, 2, 1, 2, 3, 1, 2, 2, 3]
    h2 = [1, 2, 3, 2, 2, 1, 2, 3, 1, 3, 2, 3]
    m = [1, 2, 4, 3, 2, 5, 2, 3, 1, 2, 4, 3]  # categories 4 and 5 no human used

    def frame(cols):
        return pd.DataFrame(
            [(f"i{i}", r, "s", v) for r, vs in cols.items() for i, v in enumerate(vs)],
            columns=["item_id", "rater", "label", "value"],
        )

    for metric, weights in (("ac1", None), ("ac1", "quadratic"), ("cohen", "linear")):
        alone = compare(frame({"H1": h1, "H2": h2, "M0": h1}), ["H1", "H2"], ["M0"], metric=metric,
                        weights=weights, n_boot=200)  # fmt: skip
        beside = compare(frame({"H1": h1, "H2": h2, "M": m}), ["H1", "H2"], ["M"], metric=metric,
                         weights=weights, n_boot=200)  # fmt: skip
        a, b = alone.labels["s"].human_human, beside.labels["s"].human_human
        assert a.value == b.value and a.ci == b.ci, (metric, weights)
    hh = compare(frame({"H1": h1, "H2": h2, "M": m}), ["H1", "H2"], ["M"], metric="ac1", n_boot=0)
    assert hh.labels["s"].human_human.value == pytest.approx(irr([h1, h2]), abs=1e-5)
    assert hh.labels["s"].human_model["M"]["H1"].value == pytest.approx(irr([h1, m]), abs=1e-5)


# --- 5. one estimator: pairs use exactly the items both rated ------------------------------------


def test_pairs_with_gaps_follow_each_coefficients_author(cli, tmp_path):
    """Cohen and alpha use the items both rated; Gwet's AC1 and Fleiss' kappa (Gwet's estimator)
    keep the items only one of the pair rated in the chance term, as irrCAC does."""
    rng = np.random.default_rng(5)
    a = [int(v) for v in rng.integers(0, 3, 40)]
    b = [v if rng.random() < 0.7 else int(rng.integers(0, 3)) for v in a]
    for i in range(0, 40, 4):
        a[i] = None  # only B rated these
    for i in range(1, 40, 5):
        b[i] = None  # only A rated these
    path = tmp_path / "gaps.csv"
    write_long(path, {"A": a, "B": b})
    sa, sb = both_rated(a, b)
    for metric, ref in (
        ("ac1", irr([a, b])),
        ("fleiss", irr([a, b], "fleiss")),
        ("cohen", cohen_kappa_score(sa, sb)),
        ("alpha", krippendorff.alpha(reliability_data=[sa, sb], level_of_measurement="nominal")),
    ):
        got = agree_json(cli, tmp_path, path, "--raters", "A,B", "--metric", metric)
        assert got["labels"]["score"]["value"] == pytest.approx(ref, abs=1e-5), metric
        assert got["labels"]["score"]["n"] == len(sa)


def test_three_raters_with_gaps_follow_gwet_and_krippendorff(cli, tmp_path):
    rng = np.random.default_rng(6)
    cols = [[int(v) for v in rng.integers(1, 5, 30)] for _ in range(3)]
    for j, col in enumerate(cols):
        for i in range(j, 30, 4):
            col[i] = None
    path = tmp_path / "three.csv"
    write_long(path, dict(zip("ABC", cols, strict=True)))
    plain = [[np.nan if v is None else v for v in col] for col in cols]
    for metric, ref in (
        ("ac1", irr(plain)),
        ("fleiss", irr(plain, "fleiss")),
        ("alpha", krippendorff.alpha(reliability_data=plain, level_of_measurement="nominal")),
    ):
        got = agree_json(cli, tmp_path, path, "--raters", "A,B,C", "--metric", metric)
        assert got["labels"]["score"]["value"] == pytest.approx(ref, abs=1e-5), metric


def test_binary_ac1_block_follows_gwets_estimator():
    # AC1 is Gwet's: the chance term over every item either rater of the pair rated (irrCAC)
    h1 = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, None, 0]
    h2 = [1, 0, 0, 1, 0, None, 1, 0, 1, 1, 1, 0]
    m = [1, 1, 0, 1, 0, 0, None, 0, 1, 0, 1, 0]
    df = pd.DataFrame(
        [
            (f"i{i}", r, "x", v)
            for r, vs in {"H1": h1, "H2": h2, "M": m}.items()
            for i, v in enumerate(vs)
            if v is not None
        ],
        columns=["item_id", "rater", "label", "value"],
    )
    lab = compare(df, ["H1", "H2"], ["M"], n_boot=100).labels["x"]
    assert lab.ac1["human_human"].value == pytest.approx(irr([h1, h2]), abs=1e-5)
    assert lab.ac1["human_model"]["M"]["H1"].value == pytest.approx(irr([h1, m]), abs=1e-5)
    assert irr([h1, m]) != pytest.approx(irr(list(both_rated(h1, m))), abs=1e-5)  # it matters
    assert lab.ac1["human_model"]["M"]["H1"].n == len(both_rated(h1, m)[0])


# --- offline alignment: same number of ratings, different items ----------------------------------


def test_two_raters_with_the_same_count_but_different_items(cli, tmp_path):
    a = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1]
    b = [1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    a_gap, b_gap = list(a), list(b)
    a_gap[3] = None  # A skipped item 3, B skipped item 8: 11 ratings each
    b_gap[8] = None
    path = tmp_path / "aligned.csv"
    write_long(path, {"A": a_gap, "B": b_gap})
    shared = [i for i in range(12) if i not in (3, 8)]
    expected = cohen_kappa_score([a[i] for i in shared], [b[i] for i in shared])
    positional = cohen_kappa_score(
        [v for v in a_gap if v is not None], [v for v in b_gap if v is not None]
    )
    assert expected != pytest.approx(positional)  # the test can tell the two apart
    got = agree_json(cli, tmp_path, path, "--raters", "A,B", "--metric", "cohen")
    assert got["labels"]["score"]["value"] == pytest.approx(expected)
    assert got["labels"]["score"]["n"] == 10


# --- 6. AC2 weights from values: Gwet's handbook and irrCAC ------------------------------------

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., ch. 2-3: 4 raters, 12 units, 5
# categories with gaps (irrCAC's `raw_4raters`); published AC1 0.775, Fleiss 0.761.
GWET_4RATERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _gwet_file(tmp_path, recode=lambda v: v):
    path = tmp_path / "gwet.csv"
    cols = {f"R{j}": [None if v is None else recode(v) for v in col] for j, col in
            enumerate(GWET_4RATERS)}  # fmt: skip
    write_long(path, cols)
    return path, [[np.nan if v is None else recode(v) for v in col] for col in GWET_4RATERS]


def test_gwet_handbook_four_raters_published_values(cli, tmp_path):
    path, _ = _gwet_file(tmp_path)
    got = agree_json(cli, tmp_path, path, "--raters", "R0,R1,R2,R3", "--metric", "ac1")
    assert round(got["labels"]["score"]["value"], 3) == 0.775
    got = agree_json(cli, tmp_path, path, "--raters", "R0,R1,R2,R3", "--metric", "fleiss")
    assert round(got["labels"]["score"]["value"], 3) == 0.761


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_ac2_on_unequally_spaced_values_equals_irrcac(cli, tmp_path, weights):
    spacing = {1: 1, 2: 2, 3: 4, 4: 8, 5: 9}  # unequally spaced category values
    path, plain = _gwet_file(tmp_path, spacing.get)
    got = agree_json(
        cli, tmp_path, path, "--raters", "R0,R1,R2,R3", "--metric", "ac1", "--weights", weights
    )
    expected = irr(plain, weights=weights)
    by_rank = irr([[np.nan if v is None else v for v in c] for c in GWET_4RATERS], weights=weights)
    assert expected != pytest.approx(by_rank, abs=1e-3)  # ranks would give another number
    assert got["labels"]["score"]["value"] == pytest.approx(expected, abs=1e-5)


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorff_ordinal_worked_example_through_the_cli(cli, tmp_path):
    path = tmp_path / "k.csv"
    write_long(path, {f"O{j}": col for j, col in enumerate(KRIPPENDORFF_2011)})
    raters = "O0,O1,O2,O3"
    got = agree_json(
        cli, tmp_path, path, "--raters", raters, "--metric", "alpha", "--level", "ordinal"
    )
    assert round(got["labels"]["score"]["value"], 3) == 0.815
    # the same order declared as words gives the same value
    words = ["very low", "low", "mid", "high", "very high"]
    write_long(
        path,
        {f"O{j}": [None if v is None else words[v - 1] for v in col]
         for j, col in enumerate(KRIPPENDORFF_2011)},
    )  # fmt: skip
    got = agree_json(
        cli, tmp_path, path, "--raters", raters, "--metric", "alpha", "--level", "ordinal",
        "--categories", ",".join(words),
    )  # fmt: skip
    assert round(got["labels"]["score"]["value"], 3) == 0.815


# --- a rubric declares the domain -----------------------------------------------------------------


def test_rubric_declares_the_classes_in_file_order(cli, tmp_path, repo_root):
    moves = ["focus", "probing", "telling", "generic"]  # rubrics/mathdial-moves.yaml, in order
    a = ["focus", "probing", "focus", "telling", "focus", "probing", "focus", "telling"]
    b = ["focus", "probing", "telling", "telling", "focus", "focus", "focus", "telling"]
    path = tmp_path / "moves.csv"
    write_long(path, {"A": a, "B": b}, label="move")
    rubric = repo_root / "rubrics" / "mathdial-moves.yaml"
    got = agree_json(cli, tmp_path, path, "--raters", "A,B", "--metric", "ac1", "--rubric", rubric)
    lab = got["labels"]["move"]
    assert lab["domain"] == {
        "kind": "text",
        "ordered": True,
        "categories": moves,
        "source": "rubric",
    }
    assert got["categories_source"] == "rubric"
    # every declared class enters AC1's chance term, as irrCAC's `categories=` does
    rank = {m: i + 1 for i, m in enumerate(moves)}
    ref = irr([[rank[v] for v in a], [rank[v] for v in b]], categories=[1, 2, 3, 4])
    assert lab["value"] == pytest.approx(ref, abs=1e-5)
    r = cli("agree", path, "--raters", "A,B", "--rubric", rubric, "--categories", "x,y")
    assert r.code == 2 and "not both" in r.err
