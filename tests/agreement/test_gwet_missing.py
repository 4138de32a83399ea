"""Gwet's AC1/AC2 and Fleiss' kappa with missing ratings follow Gwet's own estimator for any
number of raters, two included (issue 21, point 16): agreement over the items rated at least
twice, the chance term over every rated item, as in his handbook and irrCAC."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.agreement.compare import raters_agreement

CAC = pytest.importorskip("irrCAC.raw", reason="pip install --no-deps irrCAC").CAC

# Gwet's Ben & Gerry example (irrCAC's `raw_ben_gerry`, 12 units, letter categories) with Gerry's
# rating of unit 10 removed: the handbook's AC1 for it is 0.66144 (dropping unit 10 from the
# chance term, as edukit's pair rule did, gives 0.66154).
BEN = list("aabbdcccedda")
GERRY = ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"]


def _long(columns: dict[str, list]) -> pd.DataFrame:
    rows = [
        (f"u{i}", rater, "x", v)
        for rater, values in columns.items()
        for i, v in enumerate(values)
        if v is not None
    ]
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"])


@pytest.mark.parametrize(("metric", "expected"), [("ac1", 0.66144), ("fleiss", 0.64935)])
def test_ben_and_gerry_with_one_rating_removed_through_the_cli(cli, tmp_path, metric, expected):
    path, out = tmp_path / "bg.csv", tmp_path / "bg.json"
    _long({"Ben": BEN, "Gerry": GERRY}).to_csv(path, index=False)
    r = cli("agree", path, "--raters", "Ben,Gerry", "--metric", metric, "--n-boot", "50",
            "--json", out)  # fmt: skip
    assert r.code == 0, r.err
    got = json.loads(out.read_text())["labels"]["x"]
    assert round(got["value"], 5) == expected
    assert got["n"] == 11  # agreement itself uses the 11 units both rated
    lo, hi = got["ci"]
    assert lo <= got["value"] <= hi


def _irrcac(columns: list[list], metric: str, categories: list) -> float:
    df = pd.DataFrame({f"r{j}": pd.Series(c, dtype=float) for j, c in enumerate(columns)})
    cac = CAC(df, categories=categories)  # named: irrCAC 0.4.4 would count NaN as a category
    return (cac.gwet if metric == "ac1" else cac.fleiss)()["est"]["coefficient_value"]


@st.composite
def tables(draw):
    n_raters = draw(st.integers(2, 5))
    n_items = draw(st.integers(4, 30))
    q = draw(st.integers(2, 5))
    cols = [
        [
            draw(st.one_of(st.none(), st.integers(1, q)))
            if draw(st.booleans())
            else draw(st.integers(1, q))
            for _ in range(n_items)
        ]
        for _ in range(n_raters)
    ]
    return cols


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(["ac1", "fleiss"]))
def test_random_tables_with_missing_ratings_match_irrcac(cols, metric):
    used = sorted({v for c in cols for v in c if v is not None})
    paired = any(sum(c[i] is not None for c in cols) >= 2 for i in range(len(cols[0])))
    if len(used) < 2 or not paired or any(all(v is None for v in c) for c in cols):
        return  # no coefficient to compare (tested elsewhere)
    raters = [f"R{j}" for j in range(len(cols))]
    got = raters_agreement(
        _long(dict(zip(raters, cols, strict=True))), raters, metric=metric, n_boot=0
    ).labels["x"]
    expected = _irrcac(cols, metric, used)
    if not np.isfinite(expected):
        return
    assert got.value == pytest.approx(expected, abs=1e-5)  # irrCAC rounds to 5 decimals
