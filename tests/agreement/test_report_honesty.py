"""Reports that cannot mislead: partial coverage, constant raters, n per comparison, no -0.00,
the verdict rule in words, correlation only with 3+ labels, accuracy / macro-F1 for multi-class."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from edukit.agreement.compare import compare
from edukit.report import fmt, markdown


@pytest.fixture
def lazy_model(tmp_path):
    """289 comments, two humans; a model that rated 10 of them and said yes to all."""
    rng = np.random.default_rng(3)
    h1 = rng.integers(0, 2, 289)
    h2 = np.where(rng.random(289) < 0.9, h1, 1 - h1)
    rows = [(f"c{i}", r, "confusion", int(v)) for r, vs in (("H1", h1), ("H2", h2))
            for i, v in enumerate(vs)]  # fmt: skip
    rows += [(f"c{i}", "M", "confusion", 1) for i in range(10)]
    path = tmp_path / "lazy.csv"
    pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]).to_csv(path, index=False)
    return path


def test_a_model_that_rated_few_items_is_flagged_everywhere(cli, lazy_model, tmp_path):
    js, md = tmp_path / "a.json", tmp_path / "a.md"
    args = ("agree", lazy_model, "--humans", "H1,H2", "--models", "M", "--n-boot", "300")
    r = cli(*args, "--json", js, "--markdown", md)
    assert r.code == 0, r.err
    lab = json.loads(js.read_text())["labels"]["confusion"]
    assert lab["verdict"]["M"] != "yes"
    assert lab["n_rated"]["M"] == 10 and lab["human_model"]["M"]["H1"]["n"] == 10
    assert any("rated 10 of the 289 items the humans rated (3%)" in w for w in lab["warnings"])
    assert lab["constant_raters"] == {"M": 1}
    text = md.read_text()
    assert "**Warning**: confusion: M rated 10 of the 289 items" in text
    assert "M gave the same value (1) to all 10 items it rated" in text
    header = next(ln for ln in text.splitlines() if ln.startswith("| label |"))
    row = next(ln for ln in text.splitlines() if ln.startswith("| confusion |"))
    cells = dict(zip(header.strip("|").split("|"), row.strip("|").split("|"), strict=True))
    cells = {k.strip(): v.strip() for k, v in cells.items()}
    assert cells["n"] == "289" and cells["n (M)"] == "10" and cells["n (same items, M)"] == "10"
    assert cells["as good? (margin 0.1)"] == lab["verdict"]["M"]
    assert "human-human (same items)" in cells and "human-M (same items)" in cells
    assert "-0.00" not in text
    assert "across labels" not in text  # one label: no correlation section
    printed = cli(*args)
    assert "warning: confusion: M rated 10 of the 289 items" in printed.out
    assert "margin of 0.1" in printed.out


def test_no_negative_zero():
    assert fmt(-0.0001) == "0.00" and fmt(-0.004, (-0.003, 0.2)) == "0.00 [0.00, 0.20]"
    assert fmt(-0.006) == "-0.01"


def test_multiclass_accuracy_and_macro_f1_with_intervals(cli, tmp_path):
    rng = np.random.default_rng(8)
    moves = ["focus", "probing", "telling", "generic"]
    h1 = [moves[i] for i in rng.integers(0, 4, 80)]
    h2 = [m if rng.random() < 0.8 else moves[rng.integers(0, 4)] for m in h1]
    mm = [m if rng.random() < 0.6 else moves[rng.integers(0, 4)] for m in h1]
    rows = [(f"u{i}", r, "move", v) for r, vs in (("H1", h1), ("H2", h2), ("M", mm))
            for i, v in enumerate(vs)]  # fmt: skip
    df = pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"])
    c = compare(df, ["H1", "H2"], ["M"], n_boot=200)
    acc = c.labels["move"].classification["M"]["H1"]["accuracy"]
    f1 = c.labels["move"].classification["M"]["H1"]["macro_f1"]
    assert acc.value == pytest.approx(accuracy_score(h1, mm))
    assert f1.value == pytest.approx(f1_score(h1, mm, average="macro"))
    assert acc.ci[0] <= acc.value <= acc.ci[1] and f1.ci[0] <= f1.value <= f1.ci[1]
    text = markdown(c)
    assert "### Accuracy and macro-F1 (multi-class labels)" in text
    assert f"| move | M | H1 | 80 | {fmt(acc.value, acc.ci)} | {fmt(f1.value, f1.ci)} |" in text
    assert "| H1 \\ M | focus | generic | probing | telling |" in text  # confusion in Markdown
    path = tmp_path / "moves.csv"
    df.to_csv(path, index=False)
    r = cli("agree", path, "--humans", "H1,H2", "--models", "M", "--n-boot", "100")
    assert r.code == 0 and "accuracy and macro-F1" in r.out


def test_correlation_section_needs_three_labels():
    rng = np.random.default_rng(1)
    rows = []
    for label in ("a", "b", "c"):
        h1 = rng.integers(0, 2, 40)
        h2 = np.where(rng.random(40) < 0.8, h1, 1 - h1)
        m = np.where(rng.random(40) < 0.7, h1, 1 - h1)
        rows += [(f"i{i}", r, label, int(v)) for r, vs in (("H1", h1), ("H2", h2), ("M", m))
                 for i, v in enumerate(vs)]  # fmt: skip
    df = pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"])
    three = markdown(compare(df, ["H1", "H2"], ["M"], n_boot=0))
    two = markdown(compare(df[df["label"] != "c"], ["H1", "H2"], ["M"], n_boot=0))
    assert "across labels" in three and "across labels" not in two
