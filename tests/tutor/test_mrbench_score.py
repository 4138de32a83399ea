"""`tutor score`: DAMR against counts taken straight from the JSON, BEA metrics against
scikit-learn and the shared task's worked example, the majority floor, the bootstrap, the CLI."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from edukit.corpora.mrbench import CATEGORIES, read_mrbench
from edukit.resources import bundled
from edukit.tutor.mrbench_score import (
    accuracy_tables,
    bea_metrics,
    macro_f1_tables,
    majority_predictions,
    merge_matrix,
    score_mrbench,
)

SAMPLES = bundled("datasets", "mrbench")
# What each dimension's desired label is, written out here rather than imported.
WANTED = {
    "Mistake_Identification": {"Yes"},
    "Mistake_Location": {"Yes"},
    "Revealing_of_the_Answer": {"No"},
    "Providing_Guidance": {"Yes"},
    "Actionability": {"Yes"},
    "humanlikeness": {"Yes"},
    "Coherence": {"Yes"},
    "Tutor_Tone": {"Encouraging"},
}


def _raw_damr(path, key="anno_llm_responses", tone=None):
    """(matches, n) per tutor and file key, counted straight from the JSON."""
    wanted = dict(WANTED)
    if tone:
        wanted["Tutor_Tone"] = tone
    cells: dict = defaultdict(lambda: [0, 0])
    for rec in json.loads(path.read_text(encoding="utf-8")):
        for tutor, body in rec[key].items():
            for dim, value in body["annotation"].items():
                cells[(tutor, dim)][0] += value in wanted[dim]
                cells[(tutor, dim)][1] += 1
    return cells


def _canon(dim):
    return "Humanlikeness" if dim == "humanlikeness" else dim


def test_damr_v1_equals_counts_from_the_json(shared_data):
    path = shared_data / "mrbench" / "MRBench_V1.json"
    result = score_mrbench(path).to_json()
    cells = _raw_damr(path)
    assert len(cells) == 9 * 8
    for (tutor, dim), (matches, n) in cells.items():
        got = result["tutors"][tutor][_canon(dim)]
        assert (got["matches"], got["n"]) == (matches, n)
        assert got["damr"] == pytest.approx(100 * matches / n, abs=1e-4)
    gpt4 = result["tutors"]["GPT4"]["Mistake_Identification"]
    assert (gpt4["matches"], gpt4["n"]) == (181, 192)
    assert round(gpt4["damr"], 2) == 94.27
    # the best tutor per dimension is the arg-max of the independent counts
    for dim in WANTED:
        rates = {t: m / n for (t, d), (m, n) in cells.items() if d == dim}
        top = max(rates.values())
        assert set(result["best"][_canon(dim)]) == {t for t, r in rates.items() if r == top}


def test_damr_non_offensive_tone_variant(shared_data):
    path = shared_data / "mrbench" / "MRBench_V1.json"
    result = score_mrbench(path, tone="non-offensive").to_json()
    cells = _raw_damr(path, tone={"Encouraging", "Neutral"})
    for tutor in ("GPT4", "Novice", "Expert"):
        m, _n = cells[(tutor, "Tutor_Tone")]
        assert result["tutors"][tutor]["Tutor_Tone"]["matches"] == m
    assert result["desired"]["Tutor_Tone"] == ["Encouraging", "Neutral"]


def test_damr_v3_dev_tutors_as_spelled(shared_data):
    path = shared_data / "mrbench" / "mrbench_v3_devset.json"
    result = score_mrbench(path).to_json()
    cells = _raw_damr(path, key="tutor_responses")
    assert set(result["tutors"]) == {t for t, _ in cells}
    for (tutor, dim), (matches, _n) in cells.items():
        assert result["tutors"][tutor][dim]["matches"] == matches


# ------------------------------------------------------------------------- the metrics


def test_shared_task_toy_example():
    gold = ["Yes", "Yes", "No", "To some extent", "No"]
    pred = ["Yes", "No", "No", "Yes", "To some extent"]
    m = bea_metrics(gold, pred)
    assert round(m["exact_macro_f1"], 4) == 0.3333
    assert m["exact_accuracy"] == pytest.approx(0.4)
    assert round(m["lenient_macro_f1"], 4) == 0.5833
    assert m["lenient_accuracy"] == pytest.approx(0.6)


labels3 = st.sampled_from(["Yes", "To some extent", "No"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(labels3, labels3), min_size=1, max_size=40))
def test_metrics_and_table_forms_equal_scikit_learn(pairs):
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    m = bea_metrics(gold, pred)
    assert m["exact_macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro"))
    assert m["exact_accuracy"] == pytest.approx(accuracy_score(gold, pred))
    lg = ["Yes" if v == "To some extent" else v for v in gold]
    lp = ["Yes" if v == "To some extent" else v for v in pred]
    assert m["lenient_macro_f1"] == pytest.approx(f1_score(lg, lp, average="macro"))
    assert m["lenient_accuracy"] == pytest.approx(accuracy_score(lg, lp))
    # the vectorised forms the bootstrap uses
    cats = ["Yes", "To some extent", "No"]
    t = np.zeros((3, 3))
    for g, p in pairs:
        t[cats.index(g), cats.index(p)] += 1
    assert macro_f1_tables(t[None])[0] == pytest.approx(m["exact_macro_f1"])
    assert accuracy_tables(t[None])[0] == pytest.approx(m["exact_accuracy"])
    mm = merge_matrix(cats)
    merged = mm.T @ t @ mm
    assert macro_f1_tables(merged[None])[0] == pytest.approx(m["lenient_macro_f1"])


def _long(values, item_ids, label, rater="judge"):
    return pd.DataFrame(
        {"item_id": item_ids, "rater": rater, "label": label, "value": values, "version": ""}
    )


def test_judge_scores_equal_scikit_learn_on_the_same_predictions(shared_data):
    path = shared_data / "mrbench" / "mrbench_v3_devset.json"
    mr = read_mrbench(path)
    gold = mr.annotations
    rng = np.random.default_rng(3)
    preds = gold.copy()
    preds["rater"] = "judge"
    flip = rng.random(len(preds)) < 0.35
    preds.loc[flip, "value"] = rng.choice(["Yes", "To some extent", "No"], int(flip.sum()))
    result = score_mrbench(mr, preds, n_boot=200).to_json()
    for dim in mr.dimensions:
        g = gold[gold["label"] == dim]["value"].tolist()
        p = preds[preds["label"] == dim]["value"].tolist()
        got = result["dimensions"][dim]
        assert got["exact_macro_f1"] == pytest.approx(f1_score(g, p, average="macro"), abs=1e-6)
        assert got["exact_accuracy"] == pytest.approx(accuracy_score(g, p), abs=1e-6)
        kappa = cohen_kappa_score(g, p, labels=["Yes", "To some extent", "No"], weights="linear")
        assert got["kappa"] == pytest.approx(kappa, abs=1e-6)
        cm = pd.crosstab(pd.Series(g), pd.Series(p)).reindex(
            index=CATEGORIES[dim], columns=CATEGORIES[dim], fill_value=0
        )
        assert got["confusion"]["matrix"] == cm.to_numpy().tolist()
        lo, hi = got["ci"]["exact_macro_f1"]
        assert lo <= got["exact_macro_f1"] <= hi
        assert got["n"] == len(g) and got["n_missing_predictions"] == 0
    assert result["bootstrap"]["clusters"] == "conversation_id"


def test_majority_class_floor_on_v3_dev(shared_data):
    path = shared_data / "mrbench" / "mrbench_v3_devset.json"
    by_dim = defaultdict(list)
    for rec in json.loads(path.read_text(encoding="utf-8")):
        for body in rec["tutor_responses"].values():
            for dim, value in body["annotation"].items():
                by_dim[dim].append(value)
    mr = read_mrbench(path)
    result = score_mrbench(mr, majority_predictions(mr.annotations), n_boot=0).to_json()
    for dim, gold in by_dim.items():
        top = Counter(gold).most_common(1)[0][0]
        pred = [top] * len(gold)
        expected = f1_score(gold, pred, average="macro", zero_division=0)
        got = result["dimensions"][dim]
        assert got["majority_floor"]["class"] == top == "Yes"
        assert got["exact_macro_f1"] == pytest.approx(expected, abs=1e-6)
        assert got["majority_floor"]["exact_macro_f1"] == pytest.approx(expected, abs=1e-6)
        assert got["exact_accuracy"] == pytest.approx(gold.count(top) / len(gold), abs=1e-6)
    # published figure from the data: Mistake_Identification is Yes for 1,932 of 2,476
    assert result["dimensions"]["Mistake_Identification"]["exact_accuracy"] == pytest.approx(
        1932 / 2476, abs=1e-6
    )


def test_bootstrap_resamples_whole_conversations():
    # two conversations: one all right, one all wrong -> accuracy resamples are 0, 0.5 or 1
    mr = read_mrbench(SAMPLES / "mrbench_v3_dev_sample.json")
    gold = mr.annotations[mr.annotations["label"] == "Mistake_Identification"]
    conv = gold["conversation_id"]
    keep = conv.isin(["5002", "7001"])
    g = gold[keep]
    wrong = {"Yes": "No", "No": "Yes", "To some extent": "No"}
    pairs = zip(g["value"], g["conversation_id"], strict=True)
    values = [v if c == "5002" else wrong[v] for v, c in pairs]
    preds = _long(values, g["item_id"].tolist(), "Mistake_Identification")
    a = score_mrbench(mr, preds, n_boot=300, seed=1).to_json()["dimensions"]
    b = score_mrbench(mr, preds, n_boot=300, seed=1).to_json()["dimensions"]
    assert a == b  # seeded
    lo, hi = a["Mistake_Identification"]["ci"]["exact_accuracy"]
    assert lo == pytest.approx(0.0) and hi == pytest.approx(1.0)
    assert a["Mistake_Identification"]["n_missing_predictions"] == len(gold) - len(g)


# ------------------------------------------------------------------------- the command


def test_cli_score_json_markdown_html(cli, tmp_path):
    sample = SAMPLES / "mrbench_sample.json"
    mr = read_mrbench(sample)
    preds = mr.annotations.copy()
    preds["rater"] = "judge"
    preds.loc[preds["label"] == "Humanlikeness", "label"] = "humanlikeness"  # file spelling
    p = tmp_path / "preds.csv"
    preds.to_csv(p, index=False)
    out = {k: tmp_path / f"r.{k}" for k in ("json", "md", "html")}
    r = cli(
        "tutor", "score", sample, "--predictions", p, "--n-boot", "50",
        "--json", out["json"], "--markdown", out["md"], "--report", out["html"],
    )  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(out["json"].read_text())
    assert data["tutors"]["GPT4"]["Mistake_Identification"]["damr"] == 100.0
    assert data["judge"]["rater"] == "judge"
    for dim in data["dimensions"].values():
        assert dim["exact_macro_f1"] == pytest.approx(1.0)
        assert dim["exact_accuracy"] == pytest.approx(1.0)
    assert set(data["dimensions"]) == set(CATEGORIES)
    md = out["md"].read_text()
    assert "| GPT4 |" in md and "sha256" in md and "edukit tutor score" in md
    html = out["html"].read_text()
    assert 'id="damr"' in html and 'id="metrics"' in html and html.count("<img") == 16
    assert "GPT4" in r.out


def test_cli_score_errors(cli, tmp_path):
    sample = SAMPLES / "mrbench_sample.json"
    mr = read_mrbench(sample)
    two = pd.concat([mr.annotations.assign(rater="a"), mr.annotations.assign(rater="b")])
    p = tmp_path / "two.csv"
    two.to_csv(p, index=False)
    r = cli("tutor", "score", sample, "--predictions", p)
    assert r.code == 2 and "choose one with --rater" in r.err
    r = cli("tutor", "score", sample, "--predictions", p, "--rater", "b", "--n-boot", "0")
    assert r.code == 0, r.err
    bad = mr.annotations.assign(rater="a", value="Maybe")
    bad.to_csv(p, index=False)
    r = cli("tutor", "score", sample, "--predictions", p)
    assert r.code == 2 and "'Maybe'" in r.err and "Traceback" not in r.err
    test = SAMPLES / "mrbench_v3_test_sample.json"
    r = cli("tutor", "score", test, "--predictions", p)
    assert r.code == 2 and "no gold labels" in r.err
    r = cli("tutor", "score", test)
    assert r.code == 2 and r.err.startswith(f"Error: {test}: no gold labels")


def test_cli_submission_layout(cli, tmp_path):
    test = SAMPLES / "mrbench_v3_test_sample.json"
    items = read_mrbench(test).responses
    dims = ("Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability")
    rows = [(i, "judge", d, "To some extent", "") for i in items["item_id"] for d in dims]
    preds = pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "version"])
    p = tmp_path / "preds.csv"
    preds.to_csv(p, index=False)
    out = tmp_path / "submission.json"
    r = cli("tutor", "submission", test, "--predictions", p, "--out", out)
    assert r.code == 0, r.err
    sub = json.loads(out.read_text())
    original = json.loads(test.read_text())
    assert [s["conversation_id"] for s in sub] == [o["conversation_id"] for o in original]
    for s, o in zip(sub, original, strict=True):
        assert list(s["tutor_responses"]) == list(o["tutor_responses"])
        for tutor, body in s["tutor_responses"].items():
            assert body["response"] == o["tutor_responses"][tutor]["response"]
            assert body["annotation"] == dict.fromkeys(dims, "To some extent")
    preds.iloc[1:].to_csv(p, index=False)
    r = cli("tutor", "submission", test, "--predictions", p, "--out", tmp_path / "x.json")
    assert r.code == 2 and "missing" in r.err


def test_offline_baseline_trained_on_dev_fills_a_test_submission(cli, tmp_path):
    dev = SAMPLES / "mrbench_v3_dev_sample.json"
    test = SAMPLES / "mrbench_v3_test_sample.json"
    rubric = bundled("rubrics", "mrbench-bea2025.yaml")
    preds = tmp_path / "test-preds.csv"
    r = cli(
        "annotate", test, "--model", "local:tfidf-logreg", "--rubric", rubric,
        "--train", dev, "--train-rater", "gold", "--out", preds,
    )  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "submission.json"
    r = cli("tutor", "submission", test, "--predictions", preds, "--out", out)
    assert r.code == 0, r.err
    sub = json.loads(out.read_text())
    n = sum(len(rec["tutor_responses"]) for rec in sub)
    assert n == 13
    assert all(len(b["annotation"]) == 4 for rec in sub for b in rec["tutor_responses"].values())


def test_a_judge_covering_few_responses_is_warned_and_floored_on_the_same_responses(cli, tmp_path):
    # issue 21: 5 of 1,589 covered printed no warning, the floor used all gold labels, and one
    # conversation's interval was printed as [v, v]
    sample = SAMPLES / "mrbench_sample.json"
    mr = read_mrbench(sample)
    gold = mr.annotations[mr.annotations["label"] == "Mistake_Identification"]
    first = gold["conversation_id"].iloc[0]
    one = gold[gold["conversation_id"] == first]
    preds = _long(["No"] * len(one), one["item_id"].tolist(), "Mistake_Identification")
    p = tmp_path / "preds.csv"
    preds.to_csv(p, index=False)
    out = tmp_path / "s.json"
    r = cli("tutor", "score", sample, "--predictions", p, "--n-boot", "50", "--json", out)
    assert r.code == 0, r.err
    assert (
        f"covered only {len(one)} of {len(gold)} gold-labelled responses "
        f"({100 * len(one) / len(gold):.1f}%, Mistake_Identification" in r.err
    )
    dim = json.loads(out.read_text())["dimensions"]["Mistake_Identification"]
    # the floor: the majority class of the scored responses' gold labels, on those responses
    values = one["value"].tolist()
    top = max(CATEGORIES["Mistake_Identification"], key=values.count)
    assert dim["majority_floor"]["class"] == top
    assert dim["majority_floor"]["exact_accuracy"] == pytest.approx(values.count(top) / len(one))
    # one conversation: no interval, said so
    assert dim["n_conversations"] == 1
    assert all(v is None for v in dim["ci"].values())
    assert "n/a (1 cluster)" in r.out
    assert "[0." not in r.out.split("against gold")[1].replace("n/a (1 cluster)", "")


def test_a_judge_covering_every_response_gets_no_coverage_warning(cli, tmp_path):
    sample = SAMPLES / "mrbench_sample.json"
    preds = read_mrbench(sample).annotations.copy()
    preds["rater"] = "judge"
    p = tmp_path / "preds.csv"
    preds.to_csv(p, index=False)
    r = cli("tutor", "score", sample, "--predictions", p, "--n-boot", "0")
    assert r.code == 0 and "covered only" not in r.err
