"""`--adjudicated` labels act as gold, and `agree` says when a rater saw only selected items."""

from __future__ import annotations

import json

import pandas as pd


def _export_and_fill(cli, tmp_path, models, select: str, *, rater: str = "H3") -> pd.DataFrame:
    out = tmp_path / "review.csv"
    r = cli(
        "review", "export", models, "--items", "sample:mathdial", "--rubric", "mathdial-moves",
        "--format", "csv", "--out", out, "--select", select, "--seed", "4",
    )  # fmt: skip
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    moves = ["focus", "probing", "telling", "generic"]
    df["move"] = [moves[sum(map(ord, i)) % 4] for i in df["item_id"]]
    df["rater"] = rater
    df.to_csv(tmp_path / "filled.csv", index=False)
    return df


def test_adjudicated_labels_are_gold_for_agree(cli, tmp_path, mathdial_models):
    models, _ = mathdial_models
    filled = _export_and_fill(cli, tmp_path, models, "disagreement:8")
    labels = tmp_path / "gold.csv"
    r = cli("review", "import", tmp_path / "filled.csv", "--format", "csv", "--rubric",
            "mathdial-moves", "--out", labels, "--adjudicated")  # fmt: skip
    assert r.code == 0, r.err
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    assert set(table["rater"]) == {"adjudicated"}
    assert len(table) == len(filled) == 8
    assert set(table["selection_rule"]) == {"disagreement"}
    assert set(table["selection_probability"]) == {""}

    out = tmp_path / "agree.json"
    r = cli("agree", labels, models, "--humans", "adjudicated", "--models", "model-a,model-b",
            "--n-boot", "0", "--json", out)  # fmt: skip
    assert r.code == 0, r.err
    move = json.loads(out.read_text())["labels"]["move"]
    # accuracy of model-a against the adjudicated labels, computed here from the files
    m = pd.read_csv(models, dtype=str)
    a = m[m["rater"] == "model-a"].set_index("item_id")["value"]
    gold = table.set_index("item_id")["value"]
    acc = float((a[gold.index] == gold).mean())
    got = move["classification"]["model-a"]["adjudicated"]["accuracy"]["value"]
    assert abs(got - acc) < 1e-12
    notes = [w for w in move["warnings"] if "selected" in w]
    assert len(notes) == 1
    assert "adjudicated saw only selected items (8, selected by disagreement)" in notes[0]
    assert "not the corpus's agreement" in notes[0]


def test_agree_says_nothing_when_no_rater_was_selected(cli, tmp_path, mathdial_models):
    models, _ = mathdial_models
    _export_and_fill(cli, tmp_path, models, "all")
    labels = tmp_path / "h.csv"
    r = cli("review", "import", tmp_path / "filled.csv", "--format", "csv", "--rubric",
            "mathdial-moves", "--out", labels)  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "agree.json"
    r = cli("agree", labels, models, "--humans", "H3", "--models", "model-a", "--n-boot", "0",
            "--json", out)  # fmt: skip
    assert r.code == 0, r.err
    warnings = json.loads(out.read_text())["labels"]["move"]["warnings"]
    assert not [w for w in warnings if "selected" in w or "sample of the items" in w]


def test_a_random_sample_gets_the_weights_note(cli, tmp_path, mathdial_models):
    models, _ = mathdial_models
    _export_and_fill(cli, tmp_path, models, "random:10")
    labels = tmp_path / "h.csv"
    r = cli("review", "import", tmp_path / "filled.csv", "--format", "csv", "--rubric",
            "mathdial-moves", "--out", labels)  # fmt: skip
    assert r.code == 0, r.err
    r = cli("agree", labels, models, "--humans", "H3", "--models", "model-a", "--n-boot", "0")
    assert r.code == 0, r.err
    assert "H3 saw only a sample of the items (10, selected by random)" in r.out
