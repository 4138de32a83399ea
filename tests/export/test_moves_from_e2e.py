"""`--moves-from` end to end: `edukit annotate` (bundled MathDial moves rubric) against the local
OpenAI-compatible test server, then `edukit export finetune` on its annotation file."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from edukit.resources import bundled

FAKE = Path(__file__).resolve().parents[1] / "annotate" / "fake_openai.py"
KEY = "sk-test-export-e2e"


def _fake_module():
    # Loaded by path: tests run with --import-mode=importlib (as tests/annotate/conftest.py does).
    if "fake_openai" in sys.modules:
        return sys.modules["fake_openai"]
    spec = importlib.util.spec_from_file_location("fake_openai", FAKE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(monkeypatch):
    if not FAKE.exists():
        pytest.skip("tests/annotate/fake_openai.py not present")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    from edukit.annotate import client

    client._LADDER.clear()
    srv = _fake_module().FakeOpenAI(api_key=KEY).start()
    yield srv
    srv.stop()


def test_moves_from_an_annotate_run(cli, server, sample, sample_path, tmp_path):
    ann = tmp_path / "moves.jsonl"
    r = cli(
        "annotate", sample_path, "--rubric", bundled("rubrics", "mathdial-moves.yaml"),
        "--model", "m", "--base-url", server.base_url, "--run-db", tmp_path / "runs.sqlite",
        "--out", ann, "--rater", "M1", "--quiet",
    )  # fmt: skip
    assert r.code == 0, r.err
    labels = pd.read_json(ann, lines=True, dtype={"item_id": str})
    assert len(server.chat_requests) > 0 and set(labels["rater"]) == {"M1"}

    out = tmp_path / "ft"
    r = cli(
        "export", "finetune", sample_path, "--format", "openai-chat", "--out", out,
        "--moves-from", ann, "--rater", "M1", "--moves", "focus,probing", "--val-fraction", "0",
    )  # fmt: skip
    assert r.code == 0, r.err

    # Expected from the annotation file itself: the model's focus/probing teacher turns that
    # survive clean-up (the sample has no merges or repeats, only 3 tag-only teacher turns).
    u = sample.utterances.merge(labels[["item_id", "value"]], on="item_id")
    u = u[(u["speaker"] == "teacher") & (u["text"].str.strip() != "")]
    expected = u["value"].value_counts().to_dict()
    manifest = json.loads((out / "manifest.json").read_text())
    got = manifest["moves"]["train"]
    assert got == {m: n for m, n in expected.items() if m in ("focus", "probing")}
    assert manifest["options"]["rater"] == "M1" and manifest["options"]["moves_from"] is True
    assert [i["path"] for i in manifest["inputs"]] == [str(sample_path), str(ann)]

    targets = [
        json.loads(line)["messages"][-1]["content"]
        for line in (out / "train.jsonl").read_text().splitlines()
    ]
    assert sorted(targets) == sorted(u[u["value"].isin(["focus", "probing"])]["text"])
    r = cli("export", "validate", out / "train.jsonl", "--format", "openai-chat")
    assert r.code == 0, r.out


def test_min_confidence_with_self_consistency_votes(cli, server, sample_path, tmp_path):
    # --samples 3: the engine's confidence is the majority's vote share (this server answers
    # every sample alike, so 1.0); one sample without logprobs has no confidence at all.
    votes, single = tmp_path / "votes.csv", tmp_path / "single.csv"
    for out, samples, rater in ((votes, "3", "M3"), (single, "1", "M1")):
        r = cli(
            "annotate", sample_path, "--rubric", bundled("rubrics", "mathdial-moves.yaml"),
            "--model", "m", "--base-url", server.base_url, "--run-db", tmp_path / f"{rater}.db",
            "--out", out, "--rater", rater, "--samples", samples, "--quiet",
        )  # fmt: skip
        assert r.code == 0, r.err
    labels = pd.read_csv(votes, dtype={"item_id": str})
    assert set(labels["confidence"]) == {1.0}
    assert pd.read_csv(single)["confidence"].isna().all()

    def export(ann, rater, threshold):
        out = tmp_path / f"ft-{rater}-{threshold}"
        r = cli("export", "finetune", sample_path, "-f", "trl-messages", "-o", out,
                "--moves-from", ann, "--rater", rater, "--min-confidence", threshold,
                "--val-fraction", "0")  # fmt: skip
        if r.code == 2:  # nothing left: an error naming why, and no files written
            assert not out.exists()
            return r.err.splitlines()[-1]
        assert r.code == 0, r.err
        return json.loads((out / "manifest.json").read_text())

    kept = export(votes, "M3", "0.9")
    assert kept["counts"]["train"]["targets"] == 30  # every non-empty teacher turn
    assert kept["skipped"] == {}
    # a confidence lies in [0, 1]: a threshold above 1 is refused before any work
    above = export(votes, "M3", "1.5")
    assert above.startswith("Error: Invalid value for '--min-confidence'"), above
    # Rows without a confidence cannot reach a threshold.
    assert "unannotated: 30" in export(single, "M1", "0.1")
