"""Review exports of the real corpora (skipped without ../shared/data)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edukit.annotations import read_annotations
from edukit.corpora.mathdial import gold_annotations, read_mathdial

pytestmark = pytest.mark.shared


def test_real_mathdial_disagreements_as_sandpiper_sessions(shared_data, tmp_path, cli):
    path = shared_data / "mathdial" / "test.csv"
    md = read_mathdial(path)
    gold = gold_annotations(md.utterances)[["item_id", "rater", "label", "value"]]
    moves = sorted(set(gold["value"]))
    # a made-up model: the gold move, except on every fifth turn (the next move in order)
    model = gold.assign(rater="model", version="1")
    shift = model.index % 5 == 0
    model.loc[shift, "value"] = [
        moves[(moves.index(v) + 1) % len(moves)] for v in model.loc[shift, "value"]
    ]
    ann = tmp_path / "ann.csv"
    pd.concat([gold.assign(version=""), model]).to_csv(ann, index=False)
    out = tmp_path / "sp.csv"
    r = cli(
        "review", "export", ann, "--items", path, "--rubric", "mathdial-moves", "--format",
        "sandpiper", "--out", out, "--select", "disagreement", "--budget", "40",
        "--models", "model", "--annotators", "expert",
    )  # fmt: skip
    assert r.code == 0, r.err
    sel = pd.read_csv(tmp_path / "sp.selection.csv", dtype=str)
    assert len(sel) == 40
    wide = pd.concat([gold, model]).pivot_table(
        index="item_id", columns="rater", values="value", aggfunc="first"
    )
    assert (wide.loc[sel["item_id"], "gold"] != wide.loc[sel["item_id"], "model"]).all()
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    sessions = {i.rsplit(":", 1)[0] for i in sel["item_id"]}
    whole = md.utterances[md.utterances["dialogue_id"].isin(sessions)]
    assert len(df) == len(whole) and set(df["session_id"]) == sessions
    # the expert writes the gold move on each selected turn; the import gives exactly those
    key = df["session_id"] + ":" + df["sequence_id"]
    chosen = key.isin(set(sel["item_id"]))
    df.loc[chosen, "annotator[expert][0]move"] = wide.loc[key[chosen], "gold"].to_numpy()
    filled = tmp_path / "filled.csv"
    df.to_csv(filled, index=False)
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", filled, "--format", "sandpiper", "--rubric", "mathdial-moves",
            "--out", labels, "--selection", tmp_path / "sp.selection.csv")  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels).set_index("item_id")["value"]
    assert got.sort_index().to_dict() == wide.loc[sel["item_id"], "gold"].sort_index().to_dict()


def test_real_sight_human_model_disagreements_to_label_studio(shared_data, tmp_path, cli):
    s = shared_data / "sight"
    ann = read_annotations(
        s / "annotations" / "sample_dataset.csv", prompts=s / "prompts" / "bin_zeroshot"
    )
    f = tmp_path / "ann.csv"
    ann[ann["rater"].isin(["H1", "openaichat"])].to_csv(f, index=False)
    out = tmp_path / "tasks.json"
    r = cli(
        "review", "export", f, "--items", s / "annotations" / "sample_dataset.csv", "--rubric",
        "sight", "--format", "label-studio", "--out", out, "--select", "disagreement:25,random:25",
        "--models", "openaichat",
    )  # fmt: skip
    assert r.code == 0, r.err
    tasks = json.loads(out.read_text())
    assert len(tasks) == 50
    rules = [t["data"]["selection_rule"] for t in tasks]
    assert rules.count("disagreement") == 25 and rules.count("random") == 25
    for t in tasks:
        assert t["data"]["text"]
        assert [p["model_version"] for p in t["predictions"]] == ["openaichat"]
        assert len(t["predictions"][0]["result"]) == 9  # one yes/no answer per label
