"""`edukit agree`: JSON, reports, --raters, the printed table and one-line user errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

H1 = [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]
H2 = [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0]
M = [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1]


@pytest.fixture
def files(tmp_path):
    human = pd.DataFrame(
        [
            (f"c{i}", r, "confusion", v)
            for r, vals in {"H1": H1, "H2": H2}.items()
            for i, v in enumerate(vals)
        ],
        columns=["item_id", "rater", "label", "value"],
    )
    # the model file lists items in reverse order: alignment must be by id
    model = pd.DataFrame(
        [(f"c{i}", "gpt", "confusion", M[i], "v2") for i in reversed(range(12))],
        columns=["item_id", "rater", "label", "value", "version"],
    )
    h, m = tmp_path / "humans.csv", tmp_path / "model.csv"
    human.to_csv(h, index=False)
    model.to_csv(m, index=False)
    return h, m


def test_json_output(cli, files, tmp_path):
    h, m = files
    out = tmp_path / "agree.json"
    r = cli("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--n-boot", "100", "--json", out)
    assert r.code == 0, r.err
    data = json.loads(out.read_text())
    lab = data["labels"]["confusion"]
    assert lab["human_human"]["value"] == pytest.approx(cohen_kappa_score(H1, H2))
    assert lab["human_model"]["gpt"]["H1"]["value"] == pytest.approx(cohen_kappa_score(H1, M))
    assert (
        lab["human_model"]["gpt"]["H1"]["n"] == 12
        and len(lab["human_model"]["gpt"]["H1"]["ci"]) == 2
    )
    assert data["n_boot"] == 100 and data["categories_source"] == "observed"


def test_printed_table_without_output_files(cli, files):
    h, m = files
    r = cli("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--n-boot", "50")
    assert r.code == 0, r.err
    assert "confusion" in r.out and f"{cohen_kappa_score(H1, H2):.2f}" in r.out
    assert "observed values were used" in r.out


def test_report_and_markdown(cli, files, tmp_path):
    h, m = files
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    r = cli(
        "agree",
        h,
        m,
        "--humans",
        "H1,H2",
        "--models",
        "gpt",
        "--n-boot",
        "50",
        "--categories",
        "0,1",
        "--report",
        html,
        "--markdown",
        md,
    )
    assert r.code == 0, r.err
    text = html.read_text()
    assert "--categories 0,1" in text and "Categories (declared, in order): 0, 1" in text
    assert "| confusion | 12 |" in md.read_text()


def test_raters_mode(cli, files, tmp_path):
    h, m = files
    out = tmp_path / "r.json"
    r = cli(
        "agree",
        h,
        m,
        "--raters",
        "H1,H2,gpt",
        "--metric",
        "fleiss",
        "--n-boot",
        "50",
        "--json",
        out,
    )
    assert r.code == 0, r.err
    data = json.loads(out.read_text())
    assert set(data["labels"]["confusion"]) >= {"value", "ci", "n"}
    r = cli("agree", h, m, "--raters", "H1,H2,gpt", "--metric", "cohen")
    assert r.code == 2 and r.err.startswith("Error: ") and "exactly two raters" in r.err


def test_user_errors_are_one_line(cli, files, tmp_path):
    h, m = files
    r = cli("agree", h, m, "--humans", "H1,H9", "--models", "gpt")
    assert r.code == 2 and r.err.count("\n") == 1 and "no ratings from H9" in r.err
    r = cli("agree", h, "--humans", "H1,H2", "--models", "gpt")
    assert r.code == 2 and r.err.startswith(f"Error: {h}: no ratings from gpt")
    r = cli("agree", h, m, "--humans", "H1,H2")
    assert r.code == 2 and "--models" in r.err
    r = cli("agree", tmp_path / "missing.csv", "--humans", "H1,H2", "--models", "gpt")
    assert r.code == 2 and "Traceback" not in r.err


@pytest.mark.shared
def test_sight_sample_with_prompts(cli, shared_data, tmp_path):
    sight = shared_data / "sight"
    out = tmp_path / "t3.json"
    r = cli(
        "agree",
        sight / "annotations" / "sample_dataset.csv",
        "--prompts",
        sight / "prompts" / "bin_kshot_reasoning",
        "--humans",
        "H1,H2",
        "--models",
        "openaichat",
        "--n-boot",
        "0",
        "--json",
        out,
    )
    assert r.code == 0, r.err
    lab = json.loads(out.read_text())["labels"]["gratitude"]
    assert lab["human_human"]["value"] == pytest.approx(0.9215062026567131, abs=1e-12)
    assert lab["human_model_mean"]["value"] == pytest.approx(0.9325567767312133, abs=1e-12)
