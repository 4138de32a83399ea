"""The TalkMoves rubrics end to end against llama.cpp's real llama-server (tiny random model) on
a few real lessons, then `agree` of the model with the gold codes, clustered by lesson."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from edukit.corpora.tables import write_table
from edukit.corpora.talkmoves import read_talkmoves
from edukit.rubric import load_rubric

LESSONS = (
    "TalkBack.Year1.Travers.Spring.010920.xlsx",
    "TalkBack.Year1.Baker.Spring.012120.xlsx",
    "TalkBack.Year2.Gibson.Spring.021121.xlsx",
)
PER_LESSON = 4


@pytest.fixture(scope="module")
def lessons(shared_data):
    folder = shared_data / "talkmoves" / "Subset 2"
    files = [folder / name for name in LESSONS]
    if not all(f.is_file() for f in files):
        pytest.skip(f"TalkMoves not available: put the corpus at {folder.parent}")
    return files


@pytest.mark.shared
@pytest.mark.parametrize(
    ("rubric", "role"), [("talkmoves-teacher", "teacher"), ("talkmoves-student", "student")]
)
def test_rubric_on_real_lessons_then_agree_with_gold(
    cli, realserver, tmp_path, lessons, rubric, role
):
    rub = load_rubric(rubric)
    utterances = pd.concat([read_talkmoves(f) for f in lessons], ignore_index=True)
    mine = utterances[(utterances["role"] == role) & (utterances[rub.target] != "")]
    items = mine.groupby("lesson_id", sort=False).head(PER_LESSON)
    assert items["lesson_id"].nunique() == len(LESSONS)
    data = tmp_path / "items.csv"
    write_table(
        items.drop(columns=["teacher_tag", "student_tag", "teacher_move", "student_move"]), data
    )
    out, db = tmp_path / "model.csv", tmp_path / "runs.sqlite"
    r = cli(
        "annotate", data, "--rubric", rubric, "--model", realserver.model,
        "--base-url", realserver.base_url, "--run-db", db, "--out", out, "-q",
        "--concurrency", "2",
    )  # fmt: skip
    n = len(items)
    assert r.code == 0, r.err
    assert re.search(rf"{n} ok, 0 invalid, 0 API errors, 0 pending", r.out), r.out
    model = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(model["item_id"]) == set(items["item_id"]) and set(model["label"]) == {rub.target}
    assert set(model["value"]) <= set(rub.labels)
    gold = tmp_path / "gold.csv"
    write_table(pd.concat([read_talkmoves(f, "annotations") for f in lessons]), gold)
    report = tmp_path / "agree.json"
    a = cli(
        "agree", gold, out, "--humans", "gold", "--models", realserver.model,
        "--labels", rub.target, "--rubric", rubric, "--group-col", "lesson_id",
        "--n-boot", "50", "--json", report,
    )  # fmt: skip
    assert a.code == 0, a.err
    result = json.loads(report.read_text())
    assert result["groups"] == "lesson_id" and result["categories_source"] == "rubric"
    label = result["labels"][rub.target]
    assert label["domain"]["categories"] == list(rub.labels)
    assert label["n_rated"][realserver.model] == n
    assert label["human_model"][realserver.model]["gold"]["n"] == n
