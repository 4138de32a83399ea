"""The bundled MRBench rubrics: `scales` validation, requests, decoding and the V1 dry run."""

from __future__ import annotations

import pytest

from edukit.corpora.mrbench import CATEGORIES, DIMENSIONS, SHARED_TASK_DIMENSIONS
from edukit.errors import RubricError
from edukit.resources import bundled
from edukit.rubric import load_rubric
from edukit.rubric.outputs import InvalidOutput

RUBRIC = bundled("rubrics", "mrbench.yaml")
BEA = bundled("rubrics", "mrbench-bea2025.yaml")
SAMPLE = bundled("datasets", "mrbench", "mrbench_sample.json")


def test_bundled_rubrics_validate_with_declared_order(cli):
    rub = load_rubric(RUBRIC)
    assert rub.task == "scales" and rub.labels == list(DIMENSIONS)
    for name in DIMENSIONS:
        assert rub.categories(name) == list(CATEGORIES[name])
    bea = load_rubric(BEA)
    assert bea.labels == list(SHARED_TASK_DIMENSIONS)
    for path in (RUBRIC, BEA):
        r = cli("rubric", "validate", str(path), "--data", str(SAMPLE))
        assert r.code == 0, r.err
        assert "scales" in r.out


def test_one_joint_request_per_response_and_decoding():
    from edukit.corpora.detect import load_items

    rub = load_rubric(RUBRIC)
    items = load_items(SAMPLE)
    reqs = rub.requests(items.iloc[0].to_dict())
    assert len(reqs) == 1
    req = reqs[0]
    assert req.labels == tuple(DIMENSIONS)
    props = req.schema["properties"]
    assert props["Revealing_of_the_Answer"]["enum"] == list(CATEGORIES["Revealing_of_the_Answer"])
    assert items.iloc[0]["text"] in req.messages[-1]["content"]
    answer = {d: CATEGORIES[d][1] for d in DIMENSIONS}
    decisions = rub.decode(req, answer)
    assert [(d.label, d.value) for d in decisions] == [(d, CATEGORIES[d][1]) for d in DIMENSIONS]
    with pytest.raises(InvalidOutput, match="Tutor_Tone must be one of"):
        rub.decode(req, {**answer, "Tutor_Tone": "Yes"})


def test_old_rubrics_keep_their_hash():
    # `categories` was added to labels for `scales`; other rubrics' canonical JSON lacks it
    from edukit.rubric.model import canonical_json

    assert '"categories"' not in canonical_json(load_rubric(bundled("rubrics", "sight.yaml")))
    assert '"categories"' in canonical_json(load_rubric(RUBRIC))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("task: scales", "task: multi"), "only scales rubrics give labels"),
        (
            lambda t: t.replace('      Tutor_Tone: "Encouraging"', '      Tutor_Tone: "Kind"'),
            "unknown class 'Kind'",
        ),
        (lambda t: t.replace('      Humanlikeness: "Yes"\n', ""), "no class for 'Humanlikeness'"),
    ],
)
def test_scales_errors_name_the_problem(tmp_path, edit, message):
    p = tmp_path / "r.yaml"
    p.write_text(edit(RUBRIC.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RubricError, match=message):
        load_rubric(p)


def test_dry_run_on_v1_is_one_request_per_response(cli, shared_data, tmp_path):
    v1 = shared_data / "mrbench" / "MRBench_V1.json"
    r = cli(
        "annotate", v1, "--rubric", RUBRIC, "--model", "gpt-4o-mini", "--dry-run",
        "--run-db", tmp_path / "runs.sqlite",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "1589 requests" in r.out


def test_end_to_end_against_the_real_server(cli, realserver, tmp_path, monkeypatch):
    """Annotate MRBench responses with the bundled rubric through llama-server, then score."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    dev = bundled("datasets", "mrbench", "mrbench_v3_dev_sample.json")
    preds = tmp_path / "preds.csv"
    r = cli(
        "annotate", dev, "--rubric", BEA, "--model", realserver.model,
        "--base-url", realserver.base_url, "--out", preds, "--run-db", tmp_path / "runs.sqlite",
        "--limit", "5", "--quiet",
    )  # fmt: skip
    assert r.code == 0, r.err
    import pandas as pd

    table = pd.read_csv(preds)
    assert len(table) == 5 * 4  # one joint request per response, four labels each
    for label, group in table.groupby("label"):
        assert set(group["value"]) <= set(CATEGORIES[label])
    assert table["rubric_hash"].nunique() == 1
    out = tmp_path / "score.json"
    r = cli("tutor", "score", dev, "--predictions", preds, "--n-boot", "50", "--json", out)
    assert r.code == 0, r.err
    import json

    data = json.loads(out.read_text())
    assert data["judge"]["rater"] == realserver.model
    for dim in SHARED_TASK_DIMENSIONS:
        got = data["dimensions"][dim]
        assert got["n"] == 5 and got["n_missing_predictions"] == 13 - 5
        assert 0 <= got["exact_accuracy"] <= 1
