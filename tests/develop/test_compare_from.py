"""`edukit compare --from`: the SIGHT strategy comparison from the shipped annotations.

Every per-arm figure must be what `edukit agree --prompts FOLDER` gives for that folder (the same
estimator, the same clustered resamples), and the mean human-model kappas the SIGHT paper's
Table 3 (published in github.com/rosewang2008/sight results/*_IRR.txt; two 3-shot values are
id-aligned corrections, see tests/agreement/test_sight_table3.py).
"""

from __future__ import annotations

import json

import pytest

FOLDERS = ["bin_zeroshot", "bin_kshot", "bin_kshot_reasoning"]
# Table 3 (H-M mean) from the SIGHT authors' results files, to 4 decimals
PUBLISHED = {
    "bin_zeroshot": {"general": 0.4759, "pedagogy": 0.3458, "non_english": 0.8699, "na": 0.6500},
    "bin_kshot": {
        "general": 0.5009,
        "pedagogy": 0.5236,  # id-aligned (published 0.5237)
        "non_english": 0.6423,
        "na": 0.4989,
    },
    "bin_kshot_reasoning": {
        "general": 0.5185,
        "pedagogy": 0.5747,
        "non_english": 0.4975,
        "na": 0.4728,
    },
}
N_BOOT = "200"


@pytest.fixture(scope="module")
def sight(shared_data):
    return shared_data / "sight"


@pytest.fixture(scope="module")
def compared(sight, tmp_path_factory):
    from edukit.cli import main

    out = tmp_path_factory.mktemp("cmp") / "c.json"
    args = ["compare", "--from", sight / "annotations" / "sample_dataset.csv"]
    for f in FOLDERS:
        args += ["--prompts", sight / "prompts" / f]
    args += ["--humans", "H1,H2", "--n-boot", N_BOOT, "--baseline", "bin_zeroshot"]
    assert main([str(a) for a in [*args, "--json", out]]) == 0
    return json.loads(out.read_text())


@pytest.mark.shared
@pytest.mark.parametrize("folder", FOLDERS)
def test_each_arm_equals_agree_for_its_folder(sight, compared, folder, cli, tmp_path):
    out = tmp_path / "a.json"
    r = cli(
        "agree",
        sight / "annotations" / "sample_dataset.csv",
        "--humans",
        "H1,H2",
        "--models",
        "openaichat",
        "--prompts",
        sight / "prompts" / folder,
        "--n-boot",
        N_BOOT,
        "--json",
        out,
    )
    assert r.code == 0, r.err
    agree = json.loads(out.read_text())
    arm = compared["arms"][folder]["labels"]
    assert set(arm) == set(agree["labels"])
    for label, a in agree["labels"].items():
        mine = arm[label]
        assert mine["human_model_mean"] == a["human_model_mean"]["by_model"]["openaichat"], label
        assert mine["human_human"] == a["same_items"]["openaichat"]["human_human"]
        assert mine["human_human_all"] == a["human_human"]
        assert mine["difference"] == a["difference"]["openaichat"]
        assert mine["verdict"] == a["verdict"]["openaichat"]
        assert mine["model_vs_majority"] == a["model_vs_majority"]["openaichat"]
        assert mine["human_model"] == a["human_model"]["openaichat"]
    for label, value in PUBLISHED[folder].items():
        assert round(arm[label]["human_model_mean"]["value"], 4) == pytest.approx(value, abs=1e-4)


@pytest.mark.shared
def test_paired_differences_reasoning_vs_zero_shot(compared):
    diffs = [
        d
        for d in compared["differences"]
        if d["a"] == "bin_zeroshot" and d["b"] == "bin_kshot_reasoning"
    ]
    assert {d["label"] for d in diffs} == set(compared["arms"]["bin_zeroshot"]["labels"])
    arms = compared["arms"]
    for d in diffs:
        assert set(d) >= {"label", "a", "b", "value", "ci", "better"}
        # every comment is rated by both arms here, so the difference is of the arms' own means
        za = arms["bin_zeroshot"]["labels"][d["label"]]["human_model_mean"]
        kr = arms["bin_kshot_reasoning"]["labels"][d["label"]]["human_model_mean"]
        if za["n"] == kr["n"] == d["n"]:
            assert d["value"] == pytest.approx(kr["value"] - za["value"], abs=1e-12)
        lo, hi = d["ci"]
        assert d["better"] == ("b" if lo > 0 else "a" if hi < 0 else "neither")
    # non_english: the reasoning prompt is clearly worse (0.50 vs 0.87 in Table 3)
    ne = next(d for d in diffs if d["label"] == "non_english")
    assert ne["better"] == "a"
    assert "Holm" in compared["multiplicity"]
    # 2 pairs against the baseline x 9 labels, each at its Holm level
    assert len(compared["differences"]) == 18
    levels = sorted(d["level"] for d in compared["differences"])
    assert levels[-1] == pytest.approx(1 - 0.05 / 18)  # the smallest p: alpha / 18
    assert levels[0] == pytest.approx(0.95)  # the largest p: alpha / 1


@pytest.mark.shared
def test_outputs_and_ranking(sight, cli, tmp_path):
    args = [
        "compare",
        "--from",
        sight / "annotations" / "sample_dataset.csv",
        "--humans",
        "H1,H2",
        "--n-boot",
        "50",
    ]
    for f in FOLDERS[:2]:
        args += ["--prompts", sight / "prompts" / f]
    md, page, ann = tmp_path / "c.md", tmp_path / "c.html", tmp_path / "arms.csv"
    r = cli(*args, "--markdown", md, "--report", page, "--annotations-out", ann)
    assert r.code == 0, r.err
    assert "bin_zeroshot" in r.out and "paired differences" in r.out
    assert "| rank | arm |" in md.read_text()
    html = page.read_text()
    for anchor in ('id="ranking"', 'id="heatmap"', 'id="matrix"', 'id="differences"'):
        assert anchor in html
    from edukit.annotations import read_annotations

    table = read_annotations(ann)
    assert set(table["rater"]) == {"bin_zeroshot", "bin_kshot"}


@pytest.mark.shared
def test_duplicate_prompt_folder_is_one_error(sight, cli):
    p = sight / "prompts" / "bin_zeroshot"
    r = cli(
        "compare",
        "--from",
        sight / "annotations" / "sample_dataset.csv",
        "--humans",
        "H1,H2",
        "--prompts",
        p,
        "--prompts",
        p,
    )
    assert r.code == 2
    assert r.err.count("Error:") == 1 and "duplicate arm name" in r.err


@pytest.mark.shared
def test_errors_of_an_arm(sight, cli, tmp_path):
    import pandas as pd

    errs, out = tmp_path / "errors.csv", tmp_path / "e.json"
    r = cli(
        "compare",
        "--from",
        sight / "annotations" / "sample_dataset.csv",
        "--humans",
        "H1,H2",
        "--prompts",
        sight / "prompts" / "bin_kshot_reasoning",
        "--n-boot",
        "0",
        "--errors",
        "bin_kshot_reasoning",
        "--out",
        errs,
        "--json",
        out,
    )
    assert r.code == 0, r.err
    t = pd.read_csv(errs)
    assert t["text"].notna().all()
    labels = json.loads(out.read_text())["arms"]["bin_kshot_reasoning"]["labels"]
    for label, v in labels.items():
        acc = v["accuracy"]
        assert (t["label"] == label).sum() == round(acc["n"] * (1 - acc["value"])), label
    # from the wide file directly: general, where both humans agree and the model (v75) differs
    raw = pd.read_csv(sight / "annotations" / "sample_dataset.csv")
    h1, h2, m = (
        raw[c]
        for c in (
            "annotator_H1_general",
            "annotator_H2_general",
            "annotator_openaichat_v75_general",
        )
    )
    want = set(raw.loc[(h1 == h2) & m.notna() & h1.notna() & (m != h1), "comment_id"].astype(int))
    assert set(t.loc[t["label"] == "general", "item_id"]) == want


def test_arms_selects_among_prompt_folders(cli, tmp_path):
    """--arms with --prompts picks arms by folder name; an unknown one is refused, not ignored."""
    base = ["compare", "--from", "sample:sight", "--humans", "H1,H2", "--n-boot", "20"]
    base += ["--prompts", "sample:sight-prompts", "--labels", "general"]
    r = cli(*base, "--arms", "bin_kshot")
    assert r.code == 2 and r.err.count("Error:") == 1
    assert "bin_kshot" in r.err and "sample:sight-prompts" in r.err
    out = tmp_path / "c.json"
    assert cli(*base, "--arms", "sample:sight-prompts", "--json", out).code == 0
    assert list(json.loads(out.read_text())["arms"]) == ["sample:sight-prompts"]
