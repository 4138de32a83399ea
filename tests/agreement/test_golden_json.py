"""`edukit agree --json`: the whole documented JSON, pinned by golden files for a fixed input.

The input mixes a binary label (one missing model rating), a label nobody marked positive (kappa
undefined: null with a reason) and a multi-class label (confusion matrices). Values are checked
elsewhere against scikit-learn and published examples (test_compare.py, test_coefficients.py);
these files pin the shape, the keys and every number, so a change to the JSON is a visible diff.
Regenerate after an intended change with `python tests/regen_golden.py` and review the diff; the
tests only read the golden files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "golden"
H1 = [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]
H2 = [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0]
M = [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1]
MOVES = {
    "H1": ["probe", "focus", "telling", "probe", "generic", "revealing"],
    "H2": ["probe", "focus", "telling", "focus", "generic", "focus"],
    "M": ["probe", "telling", "telling", "probe", "generic", "focus"],
}


# golden file -> the `edukit agree` options that write it (the input file comes first)
RUNS = {
    "compare.json": ["--humans", "H1,H2", "--models", "M", "--n-boot", "20"],
    "raters.json": ["--raters", "H1,H2,M", "--metric", "alpha", "--n-boot", "20"],
}


@pytest.fixture
def annotations(tmp_path: Path) -> Path:
    return write_annotations(tmp_path)


def write_annotations(tmp_path: Path) -> Path:
    rows = []
    for rater, values in {"H1": H1, "H2": H2, "M": M}.items():
        rows += [
            (f"c{i}", rater, "confusion", v) for i, v in enumerate(values) if (rater, i) != ("M", 3)
        ]
        rows += [(f"c{i}", rater, "rare", 0) for i in range(12)]
    for rater, values in MOVES.items():
        rows += [(f"u{i}", rater, "move", v) for i, v in enumerate(values)]
    path = tmp_path / "ann.csv"
    pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]).to_csv(path, index=False)
    return path


def _same(got, want, where="$"):
    """Equal trees; floats to 1e-9."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), where
        for k in want:
            _same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, int | float) and math.isclose(got, want, abs_tol=1e-9), where
    else:
        assert got == want, where


def golden_text(path: Path) -> str:
    """The golden form of an `agree --json` output file."""
    return json.dumps(json.loads(path.read_text()), indent=2) + "\n"


def golden_texts(tmp_path: Path) -> dict[Path, str]:
    """Every golden file of this module and its current text (for tests/regen_golden.py)."""
    from edukit.cli import main

    annotations = write_annotations(tmp_path)
    texts = {}
    for name, args in RUNS.items():
        out = tmp_path / name
        assert main(["agree", str(annotations), *args, "--json", str(out)]) == 0
        texts[GOLDEN / name] = golden_text(out)
    return texts


def _check(path: Path, name: str) -> dict:
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON: NaN is null
    got = json.loads(text)
    _same(got, json.loads((GOLDEN / name).read_text()))
    return got


def test_compare_json_matches_golden(cli, annotations, tmp_path):
    out = tmp_path / "agree.json"
    r = cli("agree", annotations, *RUNS["compare.json"], "--json", out)
    assert r.code == 0, r.err
    data = _check(out, "compare.json")
    # the documented shape, spelled out
    lab = data["labels"]["confusion"]
    assert {"value", "ci", "n"} <= set(lab["human_human"])
    assert {"value", "ci", "n"} <= set(lab["human_model"]["M"]["H1"])
    assert "value" in lab["human_model_mean"]
    assert lab["human_model"]["M"]["H1"]["n"] == 11 and lab["human_human"]["n"] == 12
    lo, hi = lab["difference"]["M"]["ci"]
    want = "yes" if lo >= -0.1 else "no" if hi < -0.1 else "inconclusive"
    assert lab["verdict"]["M"] == want and data["margin"] == 0.1
    assert "margin of 0.1" in data["verdict_rule"]
    assert lab["domain"]["kind"] == "numeric" and data["labels"]["move"]["domain"]["kind"] == "text"
    rare = data["labels"]["rare"]["human_human"]
    assert rare["value"] is None and rare["ci"] is None and "single category" in rare["reason"]
    assert data["labels"]["rare"]["prevalence"] == {"H1": 0.0, "H2": 0.0, "M": 0.0}
    assert data["labels"]["move"]["kind"] == "multiclass" and "confusion" in data["labels"]["move"]
    revealing = data["labels"]["move"]["confusion"]["M"]["H1"]["per_class"]["revealing"]
    assert revealing["precision"] is None and "never chose" in revealing["reason"]
    assert revealing["support"] == 1 and revealing["recall"] == 0.0
    assert set(data["correlation"]["M"]) >= {"pearson", "spearman", "slope", "intercept"}


def test_raters_json_matches_golden(cli, annotations, tmp_path):
    out = tmp_path / "raters.json"
    r = cli("agree", annotations, *RUNS["raters.json"], "--json", out)
    assert r.code == 0, r.err
    data = _check(out, "raters.json")
    assert {"value", "ci", "n"} <= set(data["labels"]["confusion"])
    assert data["labels"]["rare"]["value"] is None and data["labels"]["rare"]["reason"]
