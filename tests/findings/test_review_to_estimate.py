"""End to end through the CLI: `review export` picks items with recorded probabilities, people
answer (here the bundled sessions' own human coder, copied in by the test), `review import`
reads them back, and `estimate` weights the human-coded items by those probabilities.

The bundled `sample:sessions` has a model's move on every teacher turn and a human's on the turns
of 40 sessions; the tests use the 600 human-coded turns as the corpus, so every item a review
export picks has a human answer to copy (the bundled turns have no text: the test writes one).
The bundled SIGHT sample (H1's yes/no answers per label) goes through Label Studio the same way.
Expected values are computed here from the imported file with numpy (human only) and
ppi-python (PPI), not by edukit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import ppi_py
import pytest

RUBRIC = "mathdial-moves"  # one single-choice question `move`: focus, probing, telling, generic
MOVES = ("focus", "generic", "probing", "telling")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """model.csv (the model on the human-coded turns, with seeded confidences), coded.csv (the
    same plus the human rows), items.csv (the turns with a text), and item -> human move."""
    from edukit.annotations import read_annotations
    from edukit.corpora.tables import read_table

    root = tmp_path_factory.mktemp("sessions")
    ann = read_annotations("sample:sessions")
    human = ann[ann["rater"] == "human"]
    truth = dict(zip(human["item_id"], human["value"].map(str), strict=True))
    model = ann[(ann["rater"] == "model") & ann["item_id"].isin(truth)]
    model = model[["item_id", "rater", "label", "value", "version"]].copy()
    assert len(model) == len(truth) == 600
    model["confidence"] = np.round(np.random.default_rng(25).uniform(0.3, 1.0, len(model)), 4)
    model.to_csv(root / "model.csv", index=False)
    both = pd.concat([model, human[["item_id", "rater", "label", "value", "version"]]])
    both.to_csv(root / "coded.csv", index=False)
    items = read_table("sample:sessions-items", dtype=str)
    items["text"] = items["speaker"] + " turn " + items["turn"]
    items.to_csv(root / "items.csv", index=False)
    return root, truth, dict(zip(model["item_id"], model["value"].map(str), strict=True))


def _export(cli, root, out, select, fmt, *, source="model.csv", budget="60", seed="7"):
    r = cli(
        "review", "export", root / source, "--items", root / "items.csv", "--rubric", RUBRIC,
        "--select", select, "--budget", budget, "--seed", seed, "--format", fmt, "--out", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    selection = out.with_name(out.stem + ".selection.csv")
    assert selection.is_file()
    return selection


def _fill_csv(tasks, filled, truth, *, drop_selection=False):
    """A reviewer's spreadsheet: the `move` column filled with the bundled human's answers."""
    df = pd.read_csv(tasks, dtype=str, keep_default_na=False)
    assert (df["move"] == "").all()
    df["move"] = df["item_id"].map(truth)
    df["rater"] = "coder"
    if drop_selection:  # a spreadsheet that lost the provenance columns
        df = df.drop(columns=["selection_rule", "selection_probability"])
    df.to_csv(filled, index=False)


def _fill_prodigy(tasks, filled, truth):
    """What `prodigy db-out` writes after one annotator accepted the bundled human's answers."""
    lines = []
    for n, line in enumerate(tasks.read_text().splitlines()):
        task = json.loads(line)
        task.update(
            accept=[truth[task["meta"]["item_id"]]],
            answer="accept",
            _annotator_id="moves-coder",
            _timestamp=1_765_000_000 + n,
        )
        lines.append(json.dumps(task))
    filled.write_text("\n".join(lines) + "\n")


def _import(cli, filled, fmt, out, selection=None):
    args = ["review", "import", filled, "--format", fmt, "--rubric", RUBRIC, "--out", out]
    if selection is not None:
        args += ["--selection", selection]
    r = cli(*args)
    assert r.code == 0, r.err
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def _estimate(cli, root, gold, rater, out, *extra, model="model"):
    r = cli(
        "estimate", root / "model.csv", "--model", model, "--humans", rater,
        "--gold", gold, "--json", out, *extra,
    )  # fmt: skip
    assert r.code == 0, r.err
    return json.loads(out.read_text())


def _check_against_hand(doc, imported, model_value, *, weighted):
    """Human only: sum(y / p) / sum(1 / p) over the imported rows; PPI: ppi-python with the
    same weights and lambda on every model-labelled item."""
    p = imported["selection_probability"].astype(float).to_numpy()
    assert (p > 0).all() and (p <= 1).all()
    assert (len(set(p)) > 1) == weighted
    w = 1 / p
    ids = imported["item_id"].tolist()
    all_ids = sorted(model_value)
    assert doc["n_items"] == 600 and doc["n_human_coded"] == len(ids)
    for c in MOVES:
        cat = doc["labels"]["move"]["categories"][c]
        y = (imported["value"] == c).to_numpy(float)
        assert cat["human"]["value"] == pytest.approx((w * y).sum() / w.sum(), abs=1e-12)
        assert cat["human"]["n"] == len(ids)
        lo, hi = ppi_py.classical_mean_ci(y, w=w, alpha=0.05)
        assert cat["human"]["ci"] == pytest.approx([max(lo, 0.0), min(hi, 1.0)], abs=1e-9)
        yhat = np.array([model_value[i] == c for i in ids], dtype=float)
        yhat_all = np.array([model_value[i] == c for i in all_ids], dtype=float)
        assert cat["model"]["value"] == pytest.approx(yhat_all.mean(), abs=1e-12)
        lam = cat["ppi"]["lambda"]
        value = ppi_py.ppi_mean_pointestimate(y, yhat, yhat_all, lam=lam, w=w)
        lo, hi = ppi_py.ppi_mean_ci(y, yhat, yhat_all, alpha=0.05, lam=lam, w=w)
        assert cat["ppi"]["value"] == pytest.approx(float(np.ravel(value)[0]), abs=1e-9)
        assert cat["ppi"]["ci"] == pytest.approx(
            [max(float(lo[0]), 0.0), min(float(hi[0]), 1.0)], abs=1e-9
        )
    return w


def test_random_review_csv_to_estimate(cli, corpus, tmp_path):
    root, truth, model_value = corpus
    tasks = tmp_path / "review" / "tasks.csv"
    selection = _export(cli, root, tasks, "random", "csv")
    sel = pd.read_csv(selection, dtype=str, keep_default_na=False)
    assert len(sel) == 60 and set(sel["rule"]) == {"random"}
    assert sel["probability"].astype(float).tolist() == pytest.approx([60 / 600] * 60)

    _fill_csv(tasks, tmp_path / "filled.csv", truth)
    imported = _import(cli, tmp_path / "filled.csv", "csv", tmp_path / "reviewed.csv", selection)
    assert len(imported) == 60 and set(imported["rater"]) == {"coder"}
    assert set(imported["selection_rule"]) == {"random"}
    assert imported["value"].tolist() == [truth[i] for i in imported["item_id"]]

    doc = _estimate(cli, root, tmp_path / "reviewed.csv", "coder", tmp_path / "e.json")
    assert doc["selection"] == "selection rules (random: 60), equal weights"
    _check_against_hand(doc, imported, model_value, weighted=False)
    # equal weights: the human-only estimate is the plain share among the 60 coded turns
    focus = doc["labels"]["move"]["categories"]["focus"]["human"]["value"]
    assert focus == pytest.approx((imported["value"] == "focus").mean())


def test_stratified_review_prodigy_to_estimate(cli, corpus, tmp_path):
    root, truth, model_value = corpus
    tasks = tmp_path / "review" / "tasks.jsonl"
    selection = _export(cli, root, tasks, "stratified", "prodigy")
    sel = pd.read_csv(selection, dtype=str, keep_default_na=False)
    # equal allocation over the model's four moves: 15 each, probability 15 / N_h
    sizes = pd.Series(list(model_value.values())).value_counts()
    assert sel["stratum"].value_counts().to_dict() == {f"move={m}": 15 for m in MOVES}
    for stratum, prob in zip(sel["stratum"], sel["probability"].astype(float), strict=True):
        assert prob == pytest.approx(15 / sizes[stratum.split("=")[1]])
    assert sel["probability"].nunique() > 1

    _fill_prodigy(tasks, tmp_path / "db-out.jsonl", truth)
    imported = _import(
        cli, tmp_path / "db-out.jsonl", "prodigy", tmp_path / "reviewed.csv", selection
    )
    assert len(imported) == 60 and set(imported["rater"]) == {"moves-coder"}
    probs = dict(zip(sel["item_id"], sel["probability"].astype(float), strict=True))
    for item, prob in zip(imported["item_id"], imported["selection_probability"], strict=True):
        assert float(prob) == pytest.approx(probs[item])

    doc = _estimate(cli, root, tmp_path / "reviewed.csv", "moves-coder", tmp_path / "e.json")
    assert doc["selection"] == "selection rules (stratified: 60), inverse-probability weights"
    w = _check_against_hand(doc, imported, model_value, weighted=True)
    # the weights are N_h / n_h: they add up to the corpus, and the weighted share of each model
    # move on the coded turns is the model's share over all turns
    assert w.sum() == pytest.approx(600)
    for c in MOVES:
        cat = doc["labels"]["move"]["categories"][c]
        unweighted = (imported["value"] == c).mean()
        assert cat["human"]["value"] != pytest.approx(unweighted)  # the weights matter here
        # strata by the model's label: PPI's correction term is exact, so PPI = human only
        assert cat["ppi"]["value"] == pytest.approx(cat["human"]["value"], abs=1e-12)


@pytest.mark.parametrize(
    ("select", "source", "refused"),
    [
        ("low-confidence", "model.csv", "low-confidence"),
        ("disagreement", "coded.csv", "disagreement"),
        ("low-confidence:30,random:30", "model.csv", "low-confidence"),
    ],
)
def test_targeted_review_is_refused_by_estimate(cli, corpus, tmp_path, select, source, refused):
    root, truth, _ = corpus
    tasks = tmp_path / "tasks.csv"
    selection = _export(cli, root, tasks, select, "csv", source=source)
    sel = pd.read_csv(selection, dtype=str, keep_default_na=False)
    assert (sel.loc[sel["rule"] == refused, "probability"] == "").all()
    _fill_csv(tasks, tmp_path / "filled.csv", truth)
    _import(cli, tmp_path / "filled.csv", "csv", tmp_path / "reviewed.csv", selection)
    for extra in ([], ["--selection", selection]):
        r = cli(
            "estimate", root / "model.csv", "--model", "model", "--humans", "coder",
            "--gold", tmp_path / "reviewed.csv", "--json", tmp_path / "e.json", *extra,
        )  # fmt: skip
        assert r.code == 2, r.out
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error:"), r.err
        assert f"chosen by {refused}" in lines[0]
        # the way out names rules review export records probabilities for
        assert "--select random|stratified" in lines[0]
        assert not (tmp_path / "e.json").exists()


@pytest.mark.parametrize("select", ["random", "stratified"])
def test_selection_file_equals_imported_columns(cli, corpus, tmp_path, select):
    root, truth, model_value = corpus
    tasks = tmp_path / "tasks.csv"
    selection = _export(cli, root, tasks, select, "csv", seed="11")
    _fill_csv(tasks, tmp_path / "with.csv", truth)
    _fill_csv(tasks, tmp_path / "without.csv", truth, drop_selection=True)
    carried = _import(cli, tmp_path / "with.csv", "csv", tmp_path / "carried.csv", selection)
    bare = _import(cli, tmp_path / "without.csv", "csv", tmp_path / "bare.csv")
    assert (bare["selection_rule"] == "").all() and (bare["selection_probability"] == "").all()

    # no selection recorded anywhere: estimate asks how the sample was drawn
    r = cli(
        "estimate", root / "model.csv", "--model", "model", "--humans", "coder",
        "--gold", tmp_path / "bare.csv",
    )  # fmt: skip
    assert r.code == 2 and r.err.count("Error:") == 1 and "--assume" in r.err

    a = _estimate(cli, root, tmp_path / "carried.csv", "coder", tmp_path / "a.json")
    b = _estimate(
        cli, root, tmp_path / "bare.csv", "coder", tmp_path / "b.json", "--selection", selection
    )
    assert a["labels"] == b["labels"]
    assert a["selection"] == b["selection"]
    assert a["selection"].startswith(f"selection rules ({select}: 60)")
    _check_against_hand(b, carried, model_value, weighted=select == "stratified")


def test_sight_label_studio_binary_labels_to_estimate(cli, tmp_path):
    """The bundled SIGHT sample (a yes/no question per label): tasks to Label Studio, H1's
    answers as one Label Studio user's annotations (one task skipped), back as 0/1 labels of the
    same categories as the model's."""
    from edukit.annotations import read_annotations
    from edukit.review.questions import questions
    from edukit.rubric import load_rubric

    ann = read_annotations("sample:sight", prompts="sample:sight-prompts")
    model = ann[ann["rater"] == "openaichat"]
    model.to_csv(tmp_path / "model.csv", index=False)
    h1 = ann[ann["rater"] == "H1"]
    rows = zip(h1["item_id"], h1["label"], h1["value"], strict=True)
    truth = {(i, lab): int(v) for i, lab, v in rows}
    labels = [q.name for q in questions(load_rubric("sight"))]

    tasks = tmp_path / "review" / "tasks.json"
    r = cli(
        "review", "export", tmp_path / "model.csv", "--items", "sample:sight", "--rubric",
        "sight", "--select", "random", "--budget", "40", "--seed", "5", "--format",
        "label-studio", "--out", tasks,
    )  # fmt: skip
    assert r.code == 0, r.err
    export = []
    for n, task in enumerate(json.loads(tasks.read_text()), 1):
        item = task["data"]["item_id"]
        result = [
            {"from_name": lab, "to_name": "text", "type": "choices",
             "value": {"choices": ["yes" if truth[(item, lab)] else "no"]}}
            for lab in labels
            if (item, lab) in truth  # H1 left some labels of some comments blank
        ]  # fmt: skip
        done = {"id": n, "completed_by": 1, "result": result, "was_cancelled": n == 1}
        export.append({"id": n, "data": task["data"], "annotations": [done], **task})
    (tmp_path / "export.json").write_text(json.dumps(export))
    r = cli(
        "review", "import", tmp_path / "export.json", "--format", "label-studio", "--rubric",
        "sight", "--selection", tasks.with_name("tasks.selection.csv"), "--out",
        tmp_path / "reviewed.csv",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "1 cancelled (skipped) annotations" in r.out
    imported = pd.read_csv(tmp_path / "reviewed.csv", dtype=str, keep_default_na=False)
    assert imported["item_id"].nunique() == 39
    assert set(imported["selection_probability"].astype(float)) == {40 / 161}

    gold, out = tmp_path / "reviewed.csv", tmp_path / "e.json"
    doc = _estimate(cli, tmp_path, gold, "label-studio-user-1", out, model="openaichat")
    assert doc["n_items"] == 161 and doc["n_human_coded"] == 39
    assert sorted(doc["labels"]) == sorted(labels)
    for lab in labels:
        cats = doc["labels"][lab]["categories"]
        assert set(cats) <= {"0", "1"}, cats  # the imported 0/1 meet the model's 0/1
        rows = imported[imported["label"] == lab]
        expected = np.mean([truth[(i, lab)] for i in rows["item_id"]])
        assert float((rows["value"] == "1").mean()) == pytest.approx(expected)
        if "1" in cats:
            assert cats["1"]["human"]["value"] == pytest.approx(expected, abs=1e-12)
            assert cats["1"]["human"]["n"] == len(rows)
