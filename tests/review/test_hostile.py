"""Hostile review files: each one `Error:` line naming the task or line, exit 2, nothing written.

The Label Studio tasks are shaped like a real 1.23 JSON export (the keys
tests/review/test_labelstudio_real.py sees the server write)."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest


def _annotation(user: int, choices: list[str], name: str = "move", when: str = "T1") -> dict:
    return {
        "id": user * 100,
        "completed_by": user,
        "result": [
            {
                "id": "abc",
                "from_name": name,
                "to_name": "text",
                "type": "choices",
                "origin": "manual",
                "value": {"choices": choices},
            }
        ],
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": f"2026-12-07{when}",
        "updated_at": f"2026-12-07{when}",
        "draft_created_at": None,
        "lead_time": 2.0,
        "prediction": {},
        "result_count": 1,
        "unique_id": "u",
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": 1,
        "project": 1,
        "updated_by": user,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def _task(tid: int, item: str, annotations: list[dict]) -> dict:
    return {
        "id": tid,
        "annotations": annotations,
        "drafts": [],
        "predictions": [1],
        "data": {"item_id": item, "text": "t", "selection_rule": "random"},
        "meta": {},
        "created_at": "2026-12-07T22:36:31Z",
        "updated_at": "2026-12-07T22:36:31Z",
        "allow_skip": True,
        "inner_id": tid,
        "total_annotations": len(annotations),
        "cancelled_annotations": 0,
        "total_predictions": 1,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 1,
        "updated_by": 1,
        "comment_authors": [],
    }


GOOD = [
    _task(11, "test-1:0", [_annotation(6, ["focus"]), _annotation(7, ["probing"])]),
    _task(12, "test-2:0", [_annotation(6, ["telling"])]),
]


def _bad(kind: str) -> list:
    tasks = copy.deepcopy(GOOD)
    if kind == "no data":
        del tasks[1]["data"]
    elif kind == "unknown label":
        tasks[1]["annotations"][0]["result"][0]["from_name"] = "mood"
    elif kind == "twice":
        tasks[0]["annotations"].append(_annotation(6, ["generic"], when="T2"))
    elif kind == "outside":
        tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["lecturing"]
    elif kind == "several":
        tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["focus", "telling"]
    elif kind == "foreign key":
        tasks[1]["annotations"][0]["reviewer_mood"] = "fine"
    return tasks


def _run(cli, tmp_path, name: str, text: str, fmt: str, *extra):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "labels.csv"
    r = cli("review", "import", f, "--format", fmt, "--rubric", "mathdial-moves", "--out", out,
            *extra)  # fmt: skip
    return r, out


@pytest.mark.parametrize(
    "kind,words",
    [
        ("no data", ["task 12", "no 'data'"]),
        ("unknown label", ["task 12", "annotator label-studio-user-6", "'mood'"]),
        ("twice", ["task 11", "annotator label-studio-user-6", "twice", "--on-conflict"]),
        ("outside", ["task 12", "annotator label-studio-user-6", "'lecturing'"]),
        ("several", ["task 12", "annotator label-studio-user-6", "2 values"]),
        ("foreign key", ["task 12", "reviewer_mood"]),
    ],
)
def test_label_studio_hostile_exports(cli, tmp_path, kind, words):
    r, out = _run(cli, tmp_path, "export.json", json.dumps(_bad(kind)), "label-studio")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    for w in words:
        assert w in lines[0]
    assert not out.exists()


def test_label_studio_good_export_and_latest_on_conflict(cli, tmp_path):
    r, out = _run(cli, tmp_path, "export.json", json.dumps(GOOD), "label-studio")
    assert r.code == 0, r.err
    r, out = _run(
        cli, tmp_path, "twice.json", json.dumps(_bad("twice")), "label-studio",
        "--on-conflict", "latest",
    )  # fmt: skip
    assert r.code == 0, r.err
    table = pd.read_csv(out)
    row = table[(table["item_id"] == "test-1:0") & (table["rater"] == "label-studio-user-6")]
    assert row["value"].tolist() == ["generic"]  # the later answer (T2) is kept
    assert "1 repeated answers replaced" in r.out


def test_unknown_item_against_the_selection_file(cli, tmp_path):
    sel = tmp_path / "sel.csv"
    sel.write_text("item_id,rule,probability,stratum\ntest-1:0,random,0.5,\n")
    r, out = _run(
        cli, tmp_path, "export.json", json.dumps(GOOD), "label-studio", "--selection", sel
    )
    assert r.code == 2
    assert "task 12" in r.err and "unknown item 'test-2:0'" in r.err
    assert len(r.err.strip().splitlines()) == 1 and not out.exists()


def test_prodigy_line_that_is_not_json(cli, tmp_path):
    good = {
        "text": "t",
        "options": [{"id": "focus", "text": "focus"}],
        "accept": ["focus"],
        "meta": {"item_id": "test-1:0", "question": "move"},
        "answer": "accept",
        "_annotator_id": "s-alice",
    }
    text = json.dumps(good) + "\n{not json\n"
    r, out = _run(cli, tmp_path, "done.jsonl", text, "prodigy")
    assert r.code == 2
    assert r.err.startswith("Error: ") and ":line 2: invalid JSON" in r.err
    assert len(r.err.strip().splitlines()) == 1 and not out.exists()


def test_sandpiper_unknown_annotator_column(cli, tmp_path):
    text = (
        "session_id,sequence_id,role,content,annotator[joe][0]move,annotator[joe]move\n"
        "test-1,0,Teacher,hi,focus,\n"
    )
    r, out = _run(cli, tmp_path, "filled.csv", text, "sandpiper")
    assert r.code == 2
    assert "'annotator[joe]move'" in r.err and ":1:" in r.err
    assert len(r.err.strip().splitlines()) == 1 and not out.exists()


def test_sandpiper_field_the_rubric_lacks(cli, tmp_path):
    text = "session_id,sequence_id,role,content,annotator[joe][0]TUTOR_MOVE\nsess,0,Tutor,hi,X\n"
    r, out = _run(cli, tmp_path, "filled.csv", text, "sandpiper")
    assert r.code == 2 and "no field 'TUTOR_MOVE'" in r.err and not out.exists()


def test_export_options_fail_before_any_file_is_written(cli, tmp_path, mathdial_models):
    models, _ = mathdial_models
    out = tmp_path / "tasks.json"
    for extra, words in [
        (["--select", "random", "--budget", "0"], "--budget"),
        (["--select", "mystery:3"], "unknown rule"),
        (["--select", "low-confidence:3", "--models", "nobody"], "no rater 'nobody'"),
        (["--select", "random:3", "--seed", "-1"], "Invalid value for '--seed'"),
        (["--select", "random:3", "--format", "prodigy"], "--out: a prodigy file ends in .jsonl"),
    ]:
        fmt = [] if "--format" in extra else ["--format", "label-studio"]
        r = cli("review", "export", models, "--items", "sample:mathdial", "--rubric",
                "mathdial-moves", *fmt, "--out", out, *extra)  # fmt: skip
        assert r.code == 2 and words in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1
        assert not out.exists() and not (tmp_path / "tasks.xml").exists()
        assert not (tmp_path / "tasks.selection.csv").exists()


def test_export_with_the_wrong_items_file(cli, tmp_path, mathdial_models):
    _, df = mathdial_models
    models = tmp_path / "models.csv"
    extra = df.iloc[:1].assign(item_id="elsewhere:9")
    pd.concat([df, extra]).to_csv(models, index=False)
    out = tmp_path / "tasks.json"
    r = cli(
        "review", "export", models, "--items", "sample:mathdial", "--rubric", "mathdial-moves",
        "--format", "label-studio", "--out", out, "--select", "all",
    )  # fmt: skip
    assert r.code == 2 and "item 'elsewhere:9' has model labels but is not in the items" in r.err
    assert len(r.err.strip().splitlines()) == 1 and not out.exists()


def test_adjudicated_answers_from_two_annotators_conflict(cli, tmp_path):
    r, out = _run(cli, tmp_path, "export.json", json.dumps(GOOD), "label-studio", "--adjudicated")
    assert r.code == 2
    assert "task 11" in r.err and "label-studio-user-6 and label-studio-user-7" in r.err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--select", "random", "--annotators", "joe,ana"], "--annotators"),
        (["--select", "random", "--stratify-by", "move"], "--stratify-by"),
    ],
)
def test_export_options_of_another_format_or_rule_are_refused(
    cli, mathdial_models, tmp_path, extra, message
):
    """An option that the chosen format or rule would ignore is one Error line, nothing written."""
    path, _ = mathdial_models
    out = tmp_path / "tasks.csv"
    r = cli("review", "export", path, "--items", "sample:mathdial", "--rubric", "mathdial-moves",
            "--format", "csv", "--budget", "5", "--out", out, *extra)  # fmt: skip
    assert r.code == 2 and r.err.count("Error:") == 1 and message in r.err, r.err
    assert not out.exists() and not list(tmp_path.iterdir())
