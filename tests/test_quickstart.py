"""`edukit quickstart`: the whole pipeline on the bundled samples, every listed output valid."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from edukit.resources import bundled

ROOT = Path(__file__).resolve().parent
SIGHT = bundled("datasets", "sight", "sample_dataset.csv")
BASELINE = "local:tfidf-logreg"
KEY = "sk-quickstart-test-secret-0123456789"


def _outputs(out: str) -> dict[str, Path]:
    """The `Outputs:` block of the summary: `  <name>: <path>` lines."""
    lines = out.split("Outputs:\n", 1)[1].splitlines()
    listed = {}
    for line in lines:
        if not line.startswith("  "):
            break
        name, _, path = line.strip().rpartition(": ")
        listed[name] = Path(path)
    return listed


def _check_valid(listed: dict[str, Path]) -> None:
    from edukit.annotations import read_annotations
    from edukit.export import validate_file

    for name, path in listed.items():
        assert path.is_file(), f"{name}: {path} does not exist"
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".csv":
            assert len(read_annotations(path)) > 0
        elif path.suffix == ".jsonl":
            assert validate_file(path, "openai-chat") == [], name
        elif path.suffix == ".html":
            html = path.read_text()
            assert "<html" in html.lower() and BASELINE in html
        elif path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                assert db.execute("select count(*) from sqlite_master").fetchone()[0] > 0
        else:
            pytest.fail(f"unexpected output {path}")


def _sample():
    from edukit.corpora.sight import read_sight

    sight = read_sight(SIGHT)
    split = sight.items.set_index("item_id")["datasplit"]
    return sight, set(split[split == "train"].index), set(split[split == "test"].index)


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """One offline quickstart for this module's checks: (exit code, stdout, stderr, folder)."""
    import contextlib
    import io

    from edukit.cli import main

    folder = tmp_path_factory.mktemp("quickstart")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["quickstart", "--dir", str(folder / "qs"), "--quiet"])
    return code, out.getvalue(), err.getvalue(), folder


def test_quickstart_offline_writes_every_listed_output(offline_run):
    code, out, err, tmp_path = offline_run
    assert code == 0, err
    assert "not available" not in out and "skipped" not in out, out
    # The bundled sample (datasets/sight/README.md): 89 train and 40 test comments, 10 labels.
    assert "89 training and 40 test comments" in out and "10 labels learned" in out
    listed = _outputs(out)
    assert set(listed) == {
        "baseline annotations",
        "annotations (humans + models, test split)",
        "agreement (JSON)",
        "report (HTML)",
        "fine-tuning train set (openai-chat)",
        "fine-tuning val set (openai-chat)",
        "fine-tuning manifest",
    }
    assert all(p.parent in (tmp_path / "qs", tmp_path / "qs" / "finetune") for p in listed.values())
    _check_valid(listed)

    # The baseline annotated exactly the test split, never a training comment.
    sight, train_ids, test_ids = _sample()
    base = pd.read_csv(listed["baseline annotations"], dtype={"item_id": str})
    assert set(base["item_id"]) == test_ids and not set(base["item_id"]) & train_ids
    assert set(base["rater"]) == {BASELINE}
    assert len(test_ids) == 40 and len(base) == 40 * 10 == len(test_ids) * base["label"].nunique()

    # The report's human-human figure is Cohen's kappa of H1 vs H2 on the test split.
    from sklearn.metrics import cohen_kappa_score

    report = json.loads(listed["agreement (JSON)"].read_text())
    assert report["humans"] == ["H1", "H2"] and report["models"] == [BASELINE]
    ann = sight.annotations
    ann = ann[ann["item_id"].isin(test_ids) & ann["rater"].isin(["H1", "H2"])]
    for label, got in report["labels"].items():
        wide = ann[ann["label"] == label].pivot(index="item_id", columns="rater", values="value")
        wide = wide.dropna()
        a, b = wide["H1"].astype(int), wide["H2"].astype(int)
        if a.nunique() + b.nunique() > 2 or (a != b).any():
            assert got["human_human"]["value"] == pytest.approx(cohen_kappa_score(a, b)), label

    # The summary names the folder of every output and the fine-tuning counts match the manifest.
    manifest = json.loads(listed["fine-tuning manifest"].read_text())
    for split, file in manifest["files"].items():
        lines = (listed["fine-tuning manifest"].parent / file).read_text().splitlines()
        assert len(lines) == manifest["counts"][split]["examples"] > 0


@pytest.mark.browser
def test_quickstart_report_renders_in_a_browser(offline_run, render_in_chromium):
    # The report renders in a real browser: every plot decodes and every table has rows.
    code, out, err, _ = offline_run
    assert code == 0, err
    rendered = render_in_chromium(_outputs(out)["report (HTML)"])
    assert rendered["imgs"] and all(rendered["imgs"]), rendered
    assert rendered["rows"] and all(n > 1 for n in rendered["rows"].values()), rendered


def _fake_openai():
    path = ROOT / "annotate" / "fake_openai.py"
    spec = importlib.util.spec_from_file_location("edukit_test_fake_openai", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_with_a_model_through_the_engine(cli, tmp_path, monkeypatch):
    server = _fake_openai().FakeOpenAI(api_key=KEY).start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    try:
        r = cli(
            "quickstart",
            "--dir",
            tmp_path / "qs",
            "--quiet",
            "--model",
            "fake-model",
            "--base-url",
            server.base_url,
        )
    finally:
        server.stop()
    assert r.code == 0, r.err
    assert "not available" not in r.out and "skipped" not in r.out, r.out
    listed = _outputs(r.out)
    assert {"model annotations", "run store"} <= set(listed)
    _check_valid(listed)

    _, _, test_ids = _sample()
    model = pd.read_csv(listed["model annotations"], dtype={"item_id": str})
    assert set(model["item_id"]) == test_ids and set(model["rater"]) == {"fake-model"}
    # One request per (comment, rubric label), each sent once: the fake server never faults.
    from edukit.rubric import load_rubric

    rubric = load_rubric(bundled("rubrics", "sight.yaml"))
    sight, _, _ = _sample()
    test_items = sight.items[sight.items["item_id"].isin(test_ids)]
    expected = sum(len(rubric.requests(row)) for row in test_items.to_dict("records"))
    assert len(server.chat_requests) == expected == len(model) > 0
    report = json.loads(listed["agreement (JSON)"].read_text())
    assert report["models"] == [BASELINE, "fake-model"]
    assert "fake-model" in listed["report (HTML)"].read_text()
    for path in (tmp_path / "qs").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_base_url_without_model_is_a_one_line_error(cli, tmp_path):
    r = cli("quickstart", "--dir", tmp_path / "qs", "--base-url", "http://127.0.0.1:9/v1")
    assert r.code == 2 and r.out == ""
    assert r.err == "Error: --base-url needs --model: name the model the server runs\n"
    assert not (tmp_path / "qs").exists()
