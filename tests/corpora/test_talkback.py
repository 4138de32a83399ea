"""The TalkBack question through edukit's commands: load, aggregate, relate (issue 27).

Per lesson, the rate of each teacher move per 100 teacher sentences, Year 1 against Year 2
clustered by teacher; `--sample-lessons` draws the gold codes of a random sample of lessons.
The real-file test runs the commands on a folder of real TalkBack lessons and checks a rate
against a count made here with pandas from the workbook itself.
"""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from edukit.resources import bundled

SAMPLE = bundled("datasets", "talkmoves")


def _talkback(cli, corpus, tmp_path, *sample: str):
    """load (utterances, annotations, lessons) -> aggregate -> relate, as the README does."""
    t, g, les = tmp_path / "teacher.csv", tmp_path / "gold.csv", tmp_path / "lessons.csv"
    for level, out in (("utterances", t), ("annotations", g)):
        r = cli("load", "talkmoves", corpus, "--level", level, "--role", "teacher", "--out", out)
        assert r.code == 0, r.err
    r = cli("load", "talkmoves", corpus, "--level", "lessons", "--out", les)
    assert r.code == 0, r.err
    rates = tmp_path / "rates.csv"
    r = cli(
        "aggregate", g, "--items", t, "--by", "lesson_id", "--rater", "gold",
        "--label", "teacher_move", "--out", rates,
    )  # fmt: skip
    assert r.code == 0, r.err
    return t, g, les, rates


def test_sample_lessons_is_a_seeded_random_draw_recorded_in_the_rows(cli, tmp_path):
    outs = []
    for name in ("a.csv", "b.csv"):
        out = tmp_path / name
        r = cli(
            "load", "talkmoves", "sample:talkmoves", "--level", "annotations",
            "--sample-lessons", "3", "--seed", "7", "--out", out,
        )  # fmt: skip
        assert r.code == 0, r.err
        outs.append(pd.read_csv(out, dtype=str))
    a, b = outs
    assert a.equals(b)  # the same seed draws the same lessons
    assert a["lesson_id"].nunique() == 3
    assert set(a["selection_rule"]) == {"random"}
    assert {float(p) for p in a["selection_probability"]} == {3 / 8}  # 3 of the 8 lessons
    every = pd.read_csv(_one_level(cli, tmp_path), dtype=str)
    drawn = every[every["lesson_id"].isin(set(a["lesson_id"]))]
    assert len(drawn) == len(a)  # every code of a drawn lesson, nothing of the others
    for bad in ("0", "9"):
        r = cli("load", "talkmoves", "sample:talkmoves", "--sample-lessons", bad)
        assert r.code == 2 and r.err.count("Error:") == 1 and "--sample-lessons" in r.err, r.err
    r = cli("load", "talkmoves", "sample:talkmoves", "--sample-lessons", "2", "--seed", "-1")
    assert r.code == 2 and r.err.count("Error:") == 1 and "--seed" in r.err, r.err
    # a seed without a draw would be silently ignored: refused
    r = cli("load", "talkmoves", "sample:talkmoves", "--seed", "3", "--out", tmp_path / "s.csv")
    assert r.code == 2 and r.err.count("Error:") == 1 and "--sample-lessons" in r.err, r.err
    assert not (tmp_path / "s.csv").exists()


def _one_level(cli, tmp_path):
    out = tmp_path / "all.csv"
    r = cli("load", "talkmoves", "sample:talkmoves", "--level", "annotations", "--out", out)
    assert r.code == 0, r.err
    return out


def test_year_against_year_on_the_sample(cli, tmp_path):
    _t, _g, les, rates = _talkback(cli, SAMPLE / "Subset 2", tmp_path)
    out = tmp_path / "rel.json"
    r = cli(
        "relate", rates, "--outcomes", les, "--on", "lesson_id",
        "--y", "teacher_move.pressing_for_accuracy.per100", "--x", "study_year",
        "--cluster", "teacher", "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    table = pd.read_csv(rates).merge(pd.read_csv(les), on="lesson_id")
    y = table.groupby("study_year")["teacher_move.pressing_for_accuracy.per100"].mean()
    # one binary regressor: the slope is the difference of the two years' mean rates
    assert doc["coefficients"]["study_year"]["naive"]["coef"] == pytest.approx(y[2] - y[1])


# --- the real corpus ---------------------------------------------------------------------------


@pytest.fixture
def chosen(shared_data, tmp_path):
    """A folder of real TalkBack lessons: two per study year of three teachers (copied to tmp)."""
    src = shared_data / "talkmoves" / "Subset 2"
    if not src.is_dir():
        pytest.skip(f"TalkMoves not available: put the corpus at {src.parent}")
    folder = tmp_path / "chosen"
    folder.mkdir()
    for teacher in ("Cornish", "Gibson", "Koski"):
        for year in ("Year1", "Year2"):
            files = sorted(src.glob(f"TalkBack.{year}.{teacher}.*.xlsx"))[:2]
            if teacher == "Cornish" and year == "Year2":
                files = [src / "TalkBack.Year2.Cornish.Spring.020521.xlsx", *files[:1]]
            for f in files:
                shutil.copy(f, folder / f.name)
    return folder


def test_real_rate_per_100_teacher_sentences_counted_from_the_workbook(cli, chosen, tmp_path):
    _t, _g, les, rates = _talkback(cli, chosen, tmp_path)
    lesson = "TalkBack.Year2.Cornish.Spring.020521"
    # the count, independently: the workbook's rows spoken by T, their Teacher Tag's leading code
    sheet = pd.read_excel(chosen / f"{lesson}.xlsx", engine="calamine")
    assert set(sheet["Speaker"].astype(str).str.strip()) == {"T", "S"}
    teacher = sheet[sheet["Speaker"].astype(str).str.strip() == "T"]
    code = teacher["Teacher Tag"].astype(str).str.extract(r"^\s*(\d+)\b")[0]
    revoicing, press = int((code == "5").sum()), int((code == "8").sum())
    assert revoicing > 0 and press > 0
    row = pd.read_csv(rates).set_index("lesson_id").loc[lesson]
    assert row["n_items"] == len(teacher)
    assert row["teacher_move.revoicing.per100"] == pytest.approx(100 * revoicing / len(teacher))
    assert row["teacher_move.pressing_for_accuracy.per100"] == pytest.approx(
        100 * press / len(teacher)
    )
    lessons = pd.read_csv(les).set_index("lesson_id")
    assert len(lessons) == 12 and lessons.loc[lesson, "study_year"] == 2
    assert lessons.loc[lesson, "teacher"] == "Cornish"
    out = tmp_path / "rel.json"
    r = cli(
        "relate", rates, "--outcomes", les, "--on", "lesson_id",
        "--y", "teacher_move.revoicing.per100", "--x", "study_year",
        "--cluster", "teacher", "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["n"] == 12 and doc["n_clusters"] == 3
    assert re.search(r"cluster-robust by teacher \(3 clusters\)", doc["standard_errors"])
