"""`edukit relate`: against statsmodels called directly; PPI beside the naive coefficient;
bad input as one `Error:` line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(4)
    g = 120
    true = rng.beta(2, 5, g)
    model = np.clip(0.7 * true + 0.08 + rng.normal(0, 0.03, g), 0, 1)
    teacher = np.repeat([f"t{i}" for i in range(30)], 4)
    score = 50 + 20 * true + rng.normal(0, 3, g) + np.repeat(rng.normal(0, 2, 30), 4)
    hours = rng.uniform(1, 10, g)
    sessions = [f"s{i:03d}" for i in range(g)]
    rates = pd.DataFrame({"session_id": sessions, "move.focus.rate": model, "n_items": 40})
    human = pd.DataFrame({"session_id": sessions[::3], "move.focus.rate": true[::3]})
    outcomes = pd.DataFrame(
        {"session_id": sessions, "teacher_id": teacher, "score": score, "hours": hours}
    )
    paths = {k: tmp_path / f"{k}.csv" for k in ("rates", "human", "outcomes")}
    rates.to_csv(paths["rates"], index=False)
    human.to_csv(paths["human"], index=False)
    outcomes.to_csv(paths["outcomes"], index=False)
    return paths, rates, outcomes


def test_cluster_robust_ols_equals_statsmodels(cli, files, tmp_path):
    paths, rates, outcomes = files
    out = tmp_path / "rel.json"
    r = cli(
        "relate", paths["rates"], "--outcomes", paths["outcomes"], "--on", "session_id",
        "--y", "score", "--x", "move.focus.rate", "--covariates", "hours",
        "--cluster", "teacher_id", "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    x = sm.add_constant(np.column_stack([rates["move.focus.rate"], outcomes["hours"]]))
    groups = pd.factorize(outcomes["teacher_id"])[0]
    ref = sm.OLS(outcomes["score"], x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    for j, name in enumerate(["const", "move.focus.rate", "hours"]):
        naive = doc["coefficients"][name]["naive"]
        assert naive["coef"] == pytest.approx(ref.params.iloc[j], abs=1e-10)
        assert naive["se"] == pytest.approx(ref.bse.iloc[j], abs=1e-10)
        assert naive["ci"] == pytest.approx(list(ref.conf_int().iloc[j]), abs=1e-10)
        assert naive["p"] == pytest.approx(ref.pvalues.iloc[j], rel=1e-8)
        assert doc["coefficients"][name]["ppi"] is None
    assert doc["n_clusters"] == 30 and doc["n"] == 120
    plain = doc["coefficients"]["move.focus.rate"]["plain"]
    assert "10 percentage points" in plain and "holding hours fixed" in plain


def test_ppi_coefficient_beside_the_naive_one(cli, files, tmp_path):
    paths, *_ = files
    out, html, md = tmp_path / "rel.json", tmp_path / "rel.html", tmp_path / "rel.md"
    r = cli(
        "relate", paths["rates"], "--outcomes", paths["outcomes"], "--on", "session_id",
        "--y", "score", "--x", "move.focus.rate", "--human-rates", paths["human"],
        "--json", out, "--report", html, "--markdown", md,
    )  # fmt: skip
    assert r.code == 0, r.err
    c = json.loads(out.read_text())["coefficients"]["move.focus.rate"]
    assert c["ppi"]["n"] == 40 and 0 <= c["ppi"]["lambda"] <= 1
    assert c["ppi"]["ci"][0] < 20 < c["ppi"]["ci"][1]  # the true slope
    assert c["naive"]["coef"] > 24  # the model's compressed rates inflate the naive slope
    assert "PPI" in c["plain"]
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 1  # the scatter with its fitted lines
    assert "Provenance" in page and "human.csv" in page
    assert "PPI coef" in md.read_text()


def _one_error(r, *needles):
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), r.err
    for n in needles:
        assert n in lines[0]


def test_bad_input(cli, files, tmp_path):
    paths, _rates, outcomes = files
    base = ["relate", paths["rates"], "--y", "score", "--x", "move.focus.rate"]
    # outcomes file without the key
    no_key = tmp_path / "nokey.csv"
    outcomes.drop(columns="session_id").to_csv(no_key, index=False)
    _one_error(cli(*base, "--outcomes", no_key, "--on", "session_id"), "nokey.csv", "session_id")
    # a key matching nothing
    other = tmp_path / "other.csv"
    outcomes.assign(session_id="x" + outcomes["session_id"]).to_csv(other, index=False)
    _one_error(cli(*base, "--outcomes", other, "--on", "session_id"), "no key")
    # a non-numeric outcome
    text = tmp_path / "text.csv"
    outcomes.assign(
        score=outcomes["score"].astype(object).where(outcomes.index != 5, "high")
    ).to_csv(text, index=False)
    _one_error(cli(*base, "--outcomes", text, "--on", "session_id"), "text.csv", "'high'", "row 7")
    # unknown columns, bounded options
    _one_error(cli(*base, "--outcomes", paths["outcomes"], "--on", "session_id", "--cluster", "z"))
    _one_error(
        cli(*base, "--outcomes", paths["outcomes"], "--on", "session_id", "--confidence", "1"),
        "--confidence",
    )


def test_infinite_values_and_collinear_regressors_are_one_error(cli, files, tmp_path):
    """No fit reported as 'inf (95% CI nan to nan)' or from a rank-deficient design, exit 0."""
    paths, _rates, outcomes = files
    base = ["relate", paths["rates"], "--on", "session_id", "--y", "score"]
    inf = tmp_path / "inf.csv"
    outcomes.assign(
        score=outcomes["score"].astype(object).where(outcomes.index != 5, "inf")
    ).to_csv(inf, index=False)
    _one_error(cli(*base, "--x", "move.focus.rate", "--outcomes", inf), "inf.csv", "'inf'")
    ok = paths["outcomes"]
    _one_error(cli(*base, "--x", "move.focus.rate,move.focus.rate", "--outcomes", ok), "collinear")
    _one_error(cli(*base, "--x", "n_items", "--outcomes", ok), "collinear")  # constant
    _one_error(cli(*base, "--x", "score", "--outcomes", ok), "--y score")


def test_keys_written_formula_safe_still_match(cli, files, tmp_path):
    """aggregate writes a key starting with - as '-...: relate reads it back as the key."""
    paths, rates, outcomes = files
    keys = "-" + rates["session_id"]
    rates.assign(session_id="'" + keys).to_csv(paths["rates"], index=False)
    outcomes.assign(session_id=keys).to_csv(paths["outcomes"], index=False)
    r = cli(
        "relate", paths["rates"], "--outcomes", paths["outcomes"], "--on", "session_id",
        "--y", "score", "--x", "move.focus.rate", "--json", tmp_path / "r.json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert json.loads((tmp_path / "r.json").read_text())["n"] == 120


@pytest.fixture
def lessons(tmp_path):
    """Per lesson a model's move rate (biased: too high) and, for every third lesson, the gold
    rate; the lessons table holds the study year (the regressor) and the teacher."""
    rng = np.random.default_rng(11)
    g = 150
    teacher = np.repeat([f"t{i}" for i in range(25)], 6)
    year = np.tile([1, 1, 1, 2, 2, 2], 25)
    true = 10 + 3 * (year - 1) + np.repeat(rng.normal(0, 2, 25), 6) + rng.normal(0, 1.5, g)
    model = 1.3 * true + 4 + rng.normal(0, 1, g)
    lesson = [f"L{i:03d}" for i in range(g)]
    rates = pd.DataFrame({"lesson_id": lesson, "move.press.per100": model, "n_items": 90})
    human = pd.DataFrame({"lesson_id": lesson, "move.press.per100": true, "n_items": 90})
    human.loc[human.index % 3 != 0, "move.press.per100"] = np.nan  # uncoded: empty, as aggregate
    table = pd.DataFrame({"lesson_id": lesson, "teacher": teacher, "study_year": year})
    paths = {k: tmp_path / f"{k}.csv" for k in ("rates", "human", "lessons")}
    rates.to_csv(paths["rates"], index=False)
    human.to_csv(paths["human"], index=False)
    table.to_csv(paths["lessons"], index=False)
    return paths, rates, human, table


def test_a_rate_as_the_outcome_of_a_lesson_column(cli, lessons, tmp_path):
    """TalkBack's question: a lesson's move rate (--y, from the rates) on its study year (--x,
    from the lessons table), clustered by teacher; PPI with the model's rate as the predicted
    outcome is ppi-python's own least squares (observed covariates, predicted response)."""
    import ppi_py

    paths, rates, human, table = lessons
    out = tmp_path / "rel.json"
    r = cli(
        "relate", paths["rates"], "--outcomes", paths["lessons"], "--on", "lesson_id",
        "--y", "move.press.per100", "--x", "study_year", "--cluster", "teacher",
        "--human-rates", paths["human"], "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    x = sm.add_constant(table["study_year"].to_numpy(float))
    groups = pd.factorize(table["teacher"])[0]
    ref = sm.OLS(rates["move.press.per100"], x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    naive = doc["coefficients"]["study_year"]["naive"]
    assert naive["coef"] == pytest.approx(ref.params.iloc[1], abs=1e-10)
    assert naive["se"] == pytest.approx(ref.bse.iloc[1], abs=1e-10)
    assert doc["n_clusters"] == 25 and doc["n"] == 150 and doc["n_human_coded"] == 50
    coded = human["move.press.per100"].notna().to_numpy()
    lo, hi = ppi_py.ppi_ols_ci(
        x[coded], human["move.press.per100"][coded].to_numpy(),
        rates["move.press.per100"][coded].to_numpy(), x,
        rates["move.press.per100"].to_numpy(), alpha=0.05,
    )  # fmt: skip
    ppi = doc["coefficients"]["study_year"]["ppi"]
    assert ppi["ci"] == pytest.approx([lo[1], hi[1]], abs=1e-6)
    assert naive["coef"] > 3.5  # the model's inflated rates inflate the difference
    assert ppi["ci"][0] < 3 < ppi["ci"][1]  # the true difference, on the gold codes' scale


def test_a_column_in_neither_table_is_one_error(cli, lessons):
    paths, *_ = lessons
    base = ["relate", paths["rates"], "--outcomes", paths["lessons"], "--on", "lesson_id"]
    _one_error(cli(*base, "--y", "move.nope.per100", "--x", "study_year"), "--y", "nope")
    _one_error(cli(*base, "--y", "move.press.per100", "--x", "grade"), "--x", "grade")


def test_fixed_effects_compare_lessons_of_the_same_teacher(cli, lessons, tmp_path):
    """--fixed-effects teacher: statsmodels' OLS with one indicator per teacher but the first,
    clustered by teacher; the PPI coefficient is ppi-python's with the same design."""
    import ppi_py

    paths, rates, human, table = lessons
    out = tmp_path / "fe.json"
    r = cli(
        "relate", paths["rates"], "--outcomes", paths["lessons"], "--on", "lesson_id",
        "--y", "move.press.per100", "--x", "study_year", "--cluster", "teacher",
        "--fixed-effects", "teacher", "--human-rates", paths["human"], "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    dummies = pd.get_dummies(table["teacher"], drop_first=True, dtype=float)
    x = sm.add_constant(pd.concat([table[["study_year"]].astype(float), dummies], axis=1))
    groups = pd.factorize(table["teacher"])[0]
    ref = sm.OLS(rates["move.press.per100"], x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    naive = doc["coefficients"]["study_year"]["naive"]
    assert naive["coef"] == pytest.approx(ref.params["study_year"], abs=1e-9)
    assert naive["se"] == pytest.approx(ref.bse["study_year"], abs=1e-9)
    assert set(doc["coefficients"]) == {"const", "study_year"}  # indicators not reported
    assert doc["fixed_effects"] == "teacher"
    coded = human["move.press.per100"].notna().to_numpy()
    xa = x.to_numpy()
    lo, hi = ppi_py.ppi_ols_ci(
        xa[coded], human["move.press.per100"][coded].to_numpy(),
        rates["move.press.per100"][coded].to_numpy(), xa,
        rates["move.press.per100"].to_numpy(), alpha=0.05,
    )  # fmt: skip
    assert doc["coefficients"]["study_year"]["ppi"]["ci"] == pytest.approx([lo[1], hi[1]], abs=1e-6)
    assert "within the same teacher" in doc["coefficients"]["study_year"]["plain"]
    assert any("study_year varies within 25 of the 25 values" in n for n in doc["notes"])


def test_fixed_effects_errors(cli, lessons, tmp_path):
    paths, _rates, human, table = lessons
    base = [
        "relate", paths["rates"], "--outcomes", paths["lessons"], "--on", "lesson_id",
        "--y", "move.press.per100", "--x", "study_year",
    ]  # fmt: skip
    _one_error(cli(*base, "--fixed-effects", "school"), "--fixed-effects", "school")
    # a regressor constant within every teacher cannot be estimated within teachers
    fixed = tmp_path / "fixed.csv"
    table.assign(study_year=table["teacher"].str[1:].astype(int) % 2 + 1).to_csv(fixed, index=False)
    r = cli(*base[:2], "--outcomes", fixed, *base[4:], "--fixed-effects", "teacher")
    _one_error(r, "does not vary within any teacher")
    # human-coded groups that leave a teacher out: no PPI within teachers
    few = tmp_path / "few.csv"
    human.assign(
        **{"move.press.per100": human["move.press.per100"].where(table["teacher"] != "t3")}
    ).to_csv(few, index=False)
    r = cli(*base, "--fixed-effects", "teacher", "--human-rates", few)
    _one_error(r, "few.csv", "--fixed-effects teacher")
