"""`edukit estimate`: the three methods, the JSON keys, several humans, selection weights."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import ppi_py
import pytest


def _corpus(n_items=400, n_coded=120, seed=0, rule="random", prob=None):
    rng = np.random.default_rng(seed)
    truth = rng.binomial(1, 0.25, n_items)
    model = np.where(rng.random(n_items) < 0.85, truth, 1 - truth)
    group = np.where(np.arange(n_items) % 2 == 0, "calculus", "algebra")
    rows = [(f"c{i}", "gpt", "confusion", int(model[i]), "v1", group[i]) for i in range(n_items)]
    coded = rng.choice(n_items, n_coded, replace=False)
    h2 = np.where(rng.random(n_items) < 0.9, truth, 1 - truth)
    for i in coded:
        for rater, v in (("H1", truth[i]), ("H2", h2[i])):
            rows.append((f"c{i}", rater, "confusion", int(v), "", group[i]))
    df = pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "version", "course"])
    if rule is not None:
        human = df["rater"] != "gpt"
        df["selection_rule"] = np.where(human, rule, "")
        df["selection_probability"] = np.where(human, "" if prob is None else prob, "")
    return df, model, truth, h2, coded


@pytest.fixture
def corpus(tmp_path):
    df, model, truth, h2, coded = _corpus()
    path = tmp_path / "ann.csv"
    df.to_csv(path, index=False)
    return path, model, truth, h2, coded


def test_json_keys_and_values_against_ppi_python(cli, corpus, tmp_path):
    path, model, truth, h2, coded = corpus
    out = tmp_path / "est.json"
    r = cli(
        "estimate", path, "--model", "gpt", "--humans", "H1,H2", "--by", "course", "--json", out
    )
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    cat = doc["labels"]["confusion"]["categories"]["1"]
    assert set(cat) == {"model", "human", "ppi"}
    for m in ("model", "human", "ppi"):
        assert {"value", "ci", "n"} <= set(cat[m])
    assert {"lambda", "effective_n"} <= set(cat["ppi"])
    assert cat["model"]["value"] == pytest.approx(model.mean())
    assert cat["model"]["n"] == 400
    # several humans: an item's label is the share of H1, H2 choosing the category
    y = (truth[coded] + h2[coded]) / 2
    assert cat["human"]["value"] == pytest.approx(y.mean())
    order = np.argsort([f"c{i}" for i in coded])  # items in id order, as edukit keeps them
    yo, yhat = y[order], model[coded][order].astype(float)
    lo, hi = ppi_py.ppi_mean_ci(yo, yhat, model.astype(float), alpha=0.05)
    assert cat["ppi"]["ci"] == pytest.approx([lo[0], hi[0]], abs=1e-8)
    assert cat["ppi"]["n"] == 120
    assert cat["ppi"]["ci"][1] - cat["ppi"]["ci"][0] < cat["human"]["ci"][1] - cat["human"]["ci"][0]
    # per group, under groups.GROUP.labels
    g = doc["groups"]["calculus"]["labels"]["confusion"]["categories"]["1"]
    even = np.arange(400) % 2 == 0
    assert g["model"]["value"] == pytest.approx(model[even].mean())
    assert g["model"]["n"] == 200
    assert doc["selection"].startswith("selection rules (random: 120)")


def test_inverse_probability_weights(cli, tmp_path):
    df, model, truth, _h2, coded = _corpus(rule="stratified")
    # calculus comments were sampled with probability 0.5, algebra ones with 0.2
    human = df["rater"] != "gpt"
    df.loc[human, "selection_probability"] = np.where(
        df.loc[human, "course"] == "calculus", "0.5", "0.2"
    )
    path, out = tmp_path / "ann.csv", tmp_path / "est.json"
    df.to_csv(path, index=False)
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1", "--json", out)
    assert r.code == 0, r.err
    cat = json.loads(out.read_text())["labels"]["confusion"]["categories"]["1"]
    ids = sorted(f"c{i}" for i in coded)
    idx = [int(i[1:]) for i in ids]
    w = np.where(np.array(idx) % 2 == 0, 1 / 0.5, 1 / 0.2)
    y, yhat = truth[idx].astype(float), model[idx].astype(float)
    lo, hi = ppi_py.ppi_mean_ci(y, yhat, model.astype(float), alpha=0.05, w=w)
    assert cat["ppi"]["ci"] == pytest.approx([lo[0], hi[0]], abs=1e-8)
    assert cat["human"]["value"] == pytest.approx(np.average(y, weights=w))


@pytest.mark.parametrize("rule", ["disagreement", "low-confidence", "stratified"])
def test_selection_without_probabilities_is_refused(cli, tmp_path, rule):
    df, *_ = _corpus(rule=rule)
    path = tmp_path / "ann.csv"
    df.to_csv(path, index=False)
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1,H2")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:")
    assert rule in lines[0] and "selection_probability" in lines[0]


def test_disagreement_with_probabilities_is_used(cli, tmp_path):
    df, *_ = _corpus(rule="disagreement", prob="0.3")
    path = tmp_path / "ann.csv"
    df.to_csv(path, index=False)
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1,H2", "--json", tmp_path / "e.json")
    assert r.code == 0, r.err


def test_no_selection_information_needs_assume(cli, tmp_path):
    df, *_ = _corpus(rule=None)
    path = tmp_path / "ann.csv"
    df.to_csv(path, index=False)
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1,H2")
    assert r.code == 2 and r.err.count("Error:") == 1 and "--assume" in r.err
    out = tmp_path / "e.json"
    r = cli(
        "estimate", path, "--model", "gpt", "--humans", "H1", "--assume", "random", "--json", out
    )
    assert r.code == 0, r.err
    assert "assumed with --assume random" in json.loads(out.read_text())["selection"]


def test_selection_file(cli, tmp_path):
    df, *_ = _corpus(rule=None)
    path, sel = tmp_path / "ann.csv", tmp_path / "sel.csv"
    df.to_csv(path, index=False)
    coded = sorted(set(df.loc[df["rater"] == "H1", "item_id"]))
    pd.DataFrame({"item_id": coded, "rule": "low-confidence", "probability": ""}).to_csv(
        sel, index=False
    )
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1", "--selection", sel)
    assert r.code == 2 and "low-confidence" in r.err


def test_method_and_bounds(cli, corpus, tmp_path):
    path, *_ = corpus
    out = tmp_path / "e.json"
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1", "--method", "ppi", "--json", out)
    assert r.code == 0, r.err
    cat = json.loads(out.read_text())["labels"]["confusion"]["categories"]["0"]
    assert set(cat) == {"ppi"}
    for bad in ("1.5", "0.2", "nan"):
        r = cli("estimate", path, "--model", "gpt", "--humans", "H1", "--confidence", bad)
        assert r.code == 2 and r.err.count("Error:") == 1 and "--confidence" in r.err, r.err
    r = cli("estimate", path, "--model", "gpt", "--humans", "H1", "--method", "magic")
    assert r.code == 2 and "--method" in r.err
    r = cli("estimate", path, "--model", "nobody", "--humans", "H1")
    assert r.code == 2 and "nobody" in r.err


def test_a_version_the_model_lacks_is_one_error(cli, tmp_path):
    """--version that matches none of the model's versions is refused, not silently ignored
    (estimate and aggregate share the rule)."""
    out = tmp_path / "rates.csv"
    for args in (
        ["estimate", "sample:sessions", "--model", "model", "--humans", "human"],
        ["aggregate", "sample:sessions", "--items", "sample:sessions-items", "--by",
         "session_id", "--rater", "model", "--out", out],
    ):  # fmt: skip
        r = cli(*args, "--version", "v7")
        assert r.code == 2 and r.err.count("Error:") == 1, r.err
        assert "--version v7" in r.err and "v1" in r.err
        assert cli(*args, "--version", "v1").code == 0


def test_reports(cli, corpus, tmp_path):
    path, *_ = corpus
    md, html = tmp_path / "e.md", tmp_path / "e.html"
    r = cli(
        "estimate", path, "--model", "gpt", "--humans", "H1,H2", "--by", "course",
        "--markdown", md, "--report", html,
    )  # fmt: skip
    assert r.code == 0, r.err
    text = md.read_text()
    assert "prediction-powered (PPI++)" in text and "model only (biased)" in text
    assert "human sample: selection rules (random: 120)" in text
    assert "### Per course" in text
    assert f"edukit estimate {path} --model gpt --humans H1,H2 --by course" in text
    page = html.read_text()
    assert "Provenance" in page and "gpt" in page and "sha256" in page
