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
    assert "domain confusion: numeric, ordered by value [0, 1] from observed values" in r.out
    assert "margin of 0.1" in r.out  # the verdict's rule is printed with the table


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
    assert (
        "--categories 0,1" in text and "Categories declared (--categories), in order: 0, 1" in text
    )
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


def _one_error_line(r, start: str) -> None:
    assert r.code == 2, (r.code, r.err)
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(start), r.err
    assert "Traceback" not in r.err


def test_bad_input_files_give_one_line_with_file_and_row(cli, tmp_path):
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("item_id,rater,label\nc1,H1,x\n")
    _one_error_line(
        cli("agree", nocol, "--humans", "H1,H2", "--models", "gpt"), f"Error: {nocol}:1:"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,rater,label,value\nc1,H1,x,1\nc1,H2,x,1,7\n")
    r = cli("agree", bad, "--humans", "H1,H2", "--models", "gpt")
    _one_error_line(r, f"Error: {bad}:3: row has 5 fields but the header has 4")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    r = cli("agree", txt, "--humans", "H1,H2", "--models", "gpt")
    _one_error_line(r, f"Error: {txt}: unknown table format")
    missing = tmp_path / "missing.csv"
    r = cli("agree", missing, "--humans", "H1,H2", "--models", "gpt")
    _one_error_line(r, f"Error: {missing}: file not found")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--metric", "kapa", "Error: unknown metric 'kapa'"),
        ("--level", "ordnal", "Error: unknown level 'ordnal'"),
        ("--weights", "quadratik", "Error: unknown weights 'quadratik'"),
        ("--n-boot", "-5", "Error: Invalid value for '--n-boot'"),
    ],
)
def test_option_typos_fail_before_reading_the_data(cli, tmp_path, option, value, message):
    # the file does not exist: an option typo is reported first, and not blamed on the file
    r = cli("agree", tmp_path / "none.csv", "--humans", "H1,H2", "--models", "gpt", option, value)
    _one_error_line(r, message)


def test_unwritable_outputs(cli, files, tmp_path):
    h, m = files
    base = ("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--n-boot", "20")
    nowhere = tmp_path / "no" / "such" / "x.json"
    _one_error_line(cli(*base, "--json", nowhere), f"Error: {nowhere}: cannot write here")
    folder = tmp_path / "afolder"
    folder.mkdir()
    _one_error_line(cli(*base, "--report", folder), f"Error: {folder}: is a folder")


def test_an_output_that_fails_late_does_not_lose_the_others(cli, files, tmp_path, monkeypatch):
    import edukit.report

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    h, m = files
    out, md = tmp_path / "a.json", tmp_path / "a.md"
    monkeypatch.setattr(edukit.report, "html", lambda *a, **k: "<html></html>")
    real_write = type(out).write_text

    def write_text(self, *args, **kwargs):
        if self.suffix == ".html":
            broken()
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(type(out), "write_text", write_text)
    r = cli("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--n-boot", "20",
            "--json", out, "--report", tmp_path / "r.html", "--markdown", md)  # fmt: skip
    _one_error_line(r, f"Error: {tmp_path / 'r.html'}: cannot write: Permission denied")
    assert json.loads(out.read_text())["labels"]["confusion"]["human_human"]["n"] == 12
    assert "| confusion | 12 |" in md.read_text()


def test_gold_moves_from_a_mathdial_file_against_a_model(cli, repo_root, tmp_path):
    # The teacher-move case: MathDial's gold moves (read straight from the corpus file) against
    # a model's moves, a multi-class label with one reference rater.
    from edukit.corpora.mathdial import gold_annotations, read_mathdial

    corpus = repo_root / "datasets" / "mathdial" / "test.csv"
    gold = gold_annotations(read_mathdial(corpus).utterances)
    model = gold.assign(rater="M", version="1.0")
    model.loc[model.index[:5], "value"] = "telling"  # five disagreements (or agreements)
    model.to_csv(tmp_path / "model.csv", index=False)
    r = cli(
        "agree",
        corpus,
        tmp_path / "model.csv",
        "--humans",
        "gold",
        "--models",
        "M",
        "--json",
        tmp_path / "a.json",
        "--report",
        tmp_path / "a.html",
        "--n-boot",
        "200",
    )
    assert r.code == 0, r.err
    move = json.loads((tmp_path / "a.json").read_text())["labels"]["move"]
    assert move["kind"] == "multiclass"
    assert move["human_model"]["M"]["gold"]["value"] == pytest.approx(
        cohen_kappa_score(gold["value"], model["value"])
    )
    assert move["human_model"]["M"]["gold"]["n"] == len(gold)
    assert move["human_human"]["value"] is None and move["human_human"]["reason"]
    cm = move["confusion"]["M"]["gold"]
    assert sum(map(sum, cm["matrix"])) == len(gold)


@pytest.mark.browser
def test_gold_moves_report_renders_in_a_browser(cli, repo_root, tmp_path, render_in_chromium):
    test_gold_moves_from_a_mathdial_file_against_a_model(cli, repo_root, tmp_path)
    rendered = render_in_chromium(tmp_path / "a.html")
    assert rendered["imgs"] and all(rendered["imgs"])


def test_own_model_beside_the_sight_file_with_prompts(cli, repo_root, tmp_path):
    # --prompts picks openaichat's versions; a model annotated with edukit (version "1.0") is
    # another rater and keeps its rows. Without --prompts, openaichat's several versions do not
    # matter as long as openaichat is not compared.
    sight = repo_root / "datasets" / "sight" / "sample_dataset.csv"
    prompts = repo_root / "datasets" / "sight" / "prompts" / "bin_zeroshot"
    from edukit.annotations import read_annotations

    h1 = read_annotations(sight).query("rater == 'H1' and label == 'confusion'")
    mine = h1.assign(rater="tutor-x", version="1.0")
    mine.to_csv(tmp_path / "mine.csv", index=False)
    for extra in (["--prompts", prompts], []):
        r = cli(
            "agree",
            sight,
            tmp_path / "mine.csv",
            "--humans",
            "H1,H2",
            "--models",
            "tutor-x",
            "--labels",
            "confusion",
            "--n-boot",
            "0",
            "--json",
            tmp_path / "a.json",
            *extra,
        )
        assert r.code == 0, r.err
        out = json.loads((tmp_path / "a.json").read_text())["labels"]["confusion"]
        assert out["human_model"]["tutor-x"]["H1"]["value"] == pytest.approx(1.0)
        assert out["human_model"]["tutor-x"]["H1"]["n"] == len(h1)


def test_yes_no_and_one_zero_codes_are_the_same_decision(cli, tmp_path):
    rows = [
        (f"c{i}", r, "x", v)
        for i, (a, b) in enumerate(zip(H1, H2, strict=True))
        for r, v in (("H1", "yes" if a else "no"), ("H2", b))
    ]
    rows += [(f"c{i}", "M", "x", "true" if v else "false") for i, v in enumerate(M)]
    pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]).to_csv(
        tmp_path / "mixed.csv", index=False
    )
    r = cli(
        "agree",
        tmp_path / "mixed.csv",
        "--humans",
        "H1,H2",
        "--models",
        "M",
        "--n-boot",
        "0",
        "--json",
        tmp_path / "a.json",
    )
    assert r.code == 0, r.err
    out = json.loads((tmp_path / "a.json").read_text())["labels"]["x"]
    assert out["categories"] == [0, 1]
    assert out["human_human"]["value"] == pytest.approx(cohen_kappa_score(H1, H2))


def test_gold_moves_resample_whole_dialogues(cli, repo_root, tmp_path):
    corpus = repo_root / "datasets" / "mathdial" / "test.csv"
    from edukit.corpora.mathdial import gold_annotations, read_mathdial

    gold = gold_annotations(read_mathdial(corpus).utterances)
    model = gold.drop(columns="dialogue_id").assign(rater="M")
    model.loc[model.index[::3], "value"] = "focus"
    model.to_csv(tmp_path / "m.csv", index=False)
    args = (
        "agree",
        corpus,
        tmp_path / "m.csv",
        "--humans",
        "gold",
        "--models",
        "M",
        "--n-boot",
        "300",
    )
    assert cli(*args, "--group-col", "none", "--json", tmp_path / "items.json").code == 0
    r = cli(*args, "--json", tmp_path / "dialogues.json")  # clustered by default: dialogue_id
    assert r.code == 0, r.err
    by_item = json.loads((tmp_path / "items.json").read_text())
    by_dialogue = json.loads((tmp_path / "dialogues.json").read_text())
    assert by_dialogue["groups"] == "dialogue_id" and by_item["groups"] is None
    assert "whole dialogue_id groups" in by_dialogue["resampling"]
    a = by_item["labels"]["move"]["human_model"]["M"]["gold"]
    b = by_dialogue["labels"]["move"]["human_model"]["M"]["gold"]
    assert a["value"] == b["value"] and a["ci"] != b["ci"]


def test_sight_comments_resample_whole_videos_by_default(cli, repo_root, tmp_path):
    sight = repo_root / "datasets" / "sight" / "sample_dataset.csv"
    prompts = repo_root / "datasets" / "sight" / "prompts" / "bin_zeroshot"
    args = ("agree", sight, "--prompts", prompts, "--humans", "H1,H2", "--models", "openaichat",
            "--labels", "confusion", "--n-boot", "100")  # fmt: skip
    assert cli(*args, "--json", tmp_path / "v.json").code == 0
    assert cli(*args, "--group-col", "none", "--json", tmp_path / "i.json").code == 0
    by_video = json.loads((tmp_path / "v.json").read_text())
    by_item = json.loads((tmp_path / "i.json").read_text())
    assert by_video["groups"] == "video_id" and "whole video_id groups" in by_video["resampling"]
    assert by_item["groups"] is None and "independently" in by_item["resampling"]
    a, b = (d["labels"]["confusion"]["human_human"] for d in (by_video, by_item))
    assert a["value"] == b["value"] and a["ci"] != b["ci"]


def test_a_wide_table_keeps_each_row_on_one_line(cli, repo_root):
    # Three labels against SIGHT's model: the table is wider than 200 columns; a wrapped cell would
    # split an interval (and the README shows these rows).
    sight = repo_root / "datasets" / "sight" / "sample_dataset.csv"
    prompts = repo_root / "datasets" / "sight" / "prompts" / "bin_zeroshot"
    r = cli("agree", sight, "--prompts", prompts, "--humans", "H1,H2", "--models", "openaichat",
            "--labels", "general,confusion", "--n-boot", "50")  # fmt: skip
    assert r.code == 0, r.err
    rows = [line for line in r.out.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["general", "confusion"]
    assert all(row.rstrip().endswith("│") and row.count("[") == 6 for row in rows)


@pytest.mark.parametrize("margin", ["-0.1", "nan", "2.5"])
def test_a_bad_margin_is_one_line_exit_2(cli, files, margin):
    h, m = files
    r = cli("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--margin", margin)
    assert r.code == 2 and "Invalid value for '--margin'" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1


def test_margin_changes_the_verdict_and_is_stated(cli, files, tmp_path):
    h, m = files
    out = tmp_path / "m.json"
    r = cli("agree", h, m, "--humans", "H1,H2", "--models", "gpt", "--n-boot", "200",
            "--margin", "2", "--json", out)  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(out.read_text())
    assert data["margin"] == 2 and "margin of 2" in data["verdict_rule"]
    assert data["labels"]["confusion"]["verdict"]["gpt"] == "yes"  # kappa differences are > -2
