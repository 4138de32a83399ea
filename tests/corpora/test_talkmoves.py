"""TalkMoves loader: the synthetic sample's quirks, the CLI, and the real corpus's counts.

The real corpus (567 workbooks) is read once per session (`real` fixture, ~5-15 s); its counts
are the ones the issue states, taken from the files, not from this loader.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pandas as pd
import pytest

from edukit.annotations import read_annotations
from edukit.corpora.detect import detect, load_items
from edukit.corpora.talkmoves import load_talkmoves, read_lesson, read_talkmoves
from edukit.corpora.talkmoves_codes import (
    STUDENT_MOVES,
    TEACHER_MOVES,
    name_tokens,
    parse_tag,
    parse_talkback,
    role_from_speaker,
)
from edukit.errors import InputError
from edukit.resources import bundled

SAMPLE = bundled("datasets", "talkmoves")
LESSON = SAMPLE / "Subset 2" / "TalkBack.Year1.Rivera.Fall.101519.xlsx"


@pytest.fixture(scope="module")
def sample():
    return load_talkmoves(SAMPLE)


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "move", "form"),
    [
        ("1 - none", "none", "coded"),
        ("1 - None", "none", "coded"),
        ("8 - press for  accuracy", "pressing_for_accuracy", "coded"),
        ("8 - PreStudents for Accuracy", "pressing_for_accuracy", "coded"),
        ("3 - gettingSSto relate", "getting_students_to_relate", "coded"),
        ("4 - resSuzannang", "restating", "coded"),
        (1, "none", "bare"),
        (8.0, "pressing_for_accuracy", "bare"),
        ("2", "keeping_everyone_together", "bare"),
        (128, "", "not_code"),
        ("128", "", "not_code"),
        ("\\", "", "not_code"),
        ("7\\", "", "not_code"),
        (" ", "", "not_code"),
        ("0 - none", "", "not_code"),
        (None, "", "empty"),
        (float("nan"), "", "empty"),
    ],
)
def test_teacher_tags(cell, move, form):
    tag = parse_tag(cell, TEACHER_MOVES)
    assert (tag.move, tag.form) == (move, form)


def test_student_codes_stop_at_five():
    assert parse_tag("6 - Marking", STUDENT_MOVES).form == "not_code"
    assert parse_tag("5 - providing evidence / reasoning", STUDENT_MOVES).move == (
        "providing_evidence_or_reasoning"
    )


@pytest.mark.parametrize(
    ("speaker", "role"),
    [
        ("T", "teacher"),
        ("T2", "teacher"),
        ("T 2", "teacher"),
        ("T1:", "teacher"),
        ("Teacher", "teacher"),
        ("T/R1", "teacher"),
        ("Ms. Smith", "teacher"),
        ("Ms.Carroll", "teacher"),
        ("Mr. Parker", "teacher"),
        ("Mrs. Lee", "teacher"),
        ("S", "student"),
        ("SS", "student"),
        ("Ss", "student"),
        ("SN", "student"),
        ("s1", "student"),
        ("Student 2", "student"),
        ("Students", "student"),
        ("Class", "student"),
        ("Jeff", ""),
        ("Missy", ""),
        ("Drew", ""),
        ("Video", ""),
        ("", ""),
    ],
)
def test_roles_from_the_written_speaker(speaker, role):
    assert role_from_speaker(speaker) == role


@pytest.mark.parametrize(
    ("speaker", "names"),
    [
        ("Ms. Smith", ["Smith"]),
        (" Ms.Carroll ", ["Carroll"]),
        ("Shelly Gibson", ["Shelly Gibson"]),
        ("Andrew:", ["Andrew"]),
        ("T1", []),
        ("Students", []),
        ("Student 1", []),
        ("Speaker 2", []),
        ("SS", []),
        (None, []),
    ],
)
def test_name_tokens(speaker, names):
    assert name_tokens(speaker) == names


def test_talkback_file_names():
    name = parse_talkback("TalkBack.Year1.Travers.Spring.010920-2")
    assert (name.teacher, name.study_year, name.term, name.date, name.part) == (
        "Travers",
        1,
        "Spring",
        "2020-01-09",
        "-2",
    )
    no_term = parse_talkback("TalkBack.Year2.Gibson.041521")
    assert (no_term.term, no_term.date) == ("", "2021-04-15")
    assert parse_talkback("Math CZ1 transcript") is None


# --- the synthetic sample ----------------------------------------------------------------------


def test_sample_tables(sample):
    u, lessons, gold = sample.utterances, sample.lessons, sample.annotations
    assert len(lessons) == 8 and u["item_id"].is_unique
    assert set(u["role"]) == {"teacher", "student"}
    assert list(u.columns[:4]) == ["item_id", "lesson_id", "subset", "sentence"]
    first = u[u["lesson_id"] == "Pizza Fractions 1_Grade 4"].iloc[0]
    assert first["speaker"] == "Ms. Rivera" and first["role"] == "teacher"
    assert first["item_id"] == "Pizza Fractions 1_Grade 4:0"
    jonah = u[u["speaker"] == "Jonah"]
    assert set(jonah["role"]) == {"student"} and set(jonah["role_source"]) == {"tags"}
    # the S column of `Number Talk pt1` is its speaker; its `4)` turn is 4
    talk = u[u["lesson_id"] == "Number Talk pt1"]
    assert talk["speaker"].tolist()[:3] == ["T", "T", "S"] and talk["turn"].tolist()[4] == 4
    assert sample.anomalies["turns_not_numbers"] == {"4)": 1}
    # history: the preceding sentences with roles, none before the first
    assert first["history"] == ""
    third = u[u["lesson_id"] == "Pizza Fractions 1_Grade 4"].iloc[2]
    assert third["history"] == (
        "Teacher: Good morning, everyone, my name's Ms. Rivera for our visitors.\n"
        "Teacher: Today we are cutting pizzas into equal slices."
    )
    assert set(gold["label"]) == {"teacher_move", "student_move"}
    assert set(gold["rater"]) == {"gold"}
    assert len(gold) == int((u["teacher_move"] != "").sum() + (u["student_move"] != "").sum())


def test_sample_anomalies_are_reported_not_dropped(sample):
    a = sample.anomalies
    assert a["not_codes"] == {"teacher": {"7\\": 1, "128": 1}, "student": {"\\": 1}}
    assert a["tags"]["teacher"]["bare"] == 3 and a["tags"]["student"]["bare"] == 1
    pressing = a["tag_variants"]["teacher"]["pressing_for_accuracy"]
    assert {"8 - PreStudents for Accuracy", "8 - press for  accuracy"} <= set(pressing)
    assert "4 - making a cClaim" in a["tag_variants"]["student"]["making_a_claim"]
    assert a["empty_sentences"] == 1
    assert len(a["column_layouts"]) == 8  # every file has its own header
    u = sample.utterances
    assert len(u) == 87  # the not-code rows and the empty sentence are kept
    row = u[u["teacher_tag"] == "128"].iloc[0]
    assert row["teacher_move"] == "" and row["text"] == "What would row ten have?"
    joined = "\n".join(sample.warnings)
    assert "2 teacher tags are not codes" in joined and "'128'" in joined


def test_sample_lessons_and_datasheet(sample):
    lessons = sample.lessons.set_index("lesson_id")
    assert lessons["datasheet_match"].value_counts().to_dict() == {
        "exact": 4,
        "none": 3,
        "normalised": 1,
    }
    pizza = lessons.loc["Pizza Fractions 1_Grade 4"]
    assert (pizza["datasheet_match"], pizza["grade"]) == ("normalised", "4th")
    fall = lessons.loc["TalkBack.Year1.Rivera.Fall.101519"]
    assert (fall["teacher"], fall["study_year"], fall["term"], fall["date"]) == (
        "Rivera",
        1,
        "Fall",
        "2019-10-15",
    )
    assert fall["date_recorded"] == "2019-10-15" and fall["datasheet_teacher"] == "Dana Rivera"
    ds = sample.anomalies["datasheet"]
    assert ds["repeated_rows"] == [
        "Subset 2: TalkBack.Year1.Rivera.Spring.021220-1 (2 identical rows)"
    ]
    assert "Subset 2: TalkBack.Year2.Okafor.Fall.110420" in ds["unmatched_files"]
    assert "Subset 2: TalkBack.Year2.Okafor.Fall.110520" in ds["unmatched_rows"]


def test_one_lesson_file_and_subset_folder():
    one = load_talkmoves(LESSON)
    assert len(one.lessons) == 1 and one.lessons["subset"].tolist() == ["Subset 2"]
    assert one.lessons["datasheet_match"].tolist() == ["exact"]  # datasheet next to Subset 2/
    sub = load_talkmoves(SAMPLE / "Subset 1")
    assert sub.lessons["subset"].tolist() == ["Subset 1", "Subset 1"]


def test_detect_items_and_annotations():
    assert detect(SAMPLE) == detect(LESSON) == detect("sample:talkmoves") == "talkmoves"
    items = load_items(LESSON)
    assert list(items.columns)[:2] == ["item_id", "text"]
    assert not {"teacher_tag", "teacher_move", "student_move"} & set(items.columns)
    gold = read_annotations(LESSON)
    assert set(gold["label"]) == {"teacher_move", "student_move"}
    df = read_talkmoves(SAMPLE, "lessons")
    assert len(df) == 8 and df.attrs["anomalies"]["not_codes"]["teacher"]


def _workbook(path, rows, sheet="Sheet1"):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = sheet
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_missing_sentence_column_is_an_input_error(tmp_path):
    f = _workbook(tmp_path / "x.xlsx", [["Turn", "Speaker", "Text"], [1, "T", "Hi"]])
    with pytest.raises(InputError, match="no Sentence column"):
        read_lesson(f, "x", "")


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_load_levels(cli, tmp_path):
    out = tmp_path / "u.csv"
    r = cli("load", "talkmoves", "sample:talkmoves", "--out", out)
    assert r.code == 0, r.err
    assert r.out.strip() == f"Wrote 87 utterances to {out}"
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["item_id"].is_unique and "history" in back.columns
    r = cli("load", "talkmoves", "sample:talkmoves", "--level", "annotations", "--role", "teacher")
    assert r.code == 0 and "annotations:" in r.out
    t = tmp_path / "t.jsonl"
    anomalies = tmp_path / "a.json"
    r = cli("load", "talkmoves", SAMPLE, "--role", "teacher", "--out", t, "--anomalies", anomalies)
    assert r.code == 0, r.err
    teacher = pd.read_json(t, lines=True, dtype=False)
    assert set(teacher["role"]) == {"teacher"} and len(teacher) == 56
    assert json.loads(anomalies.read_text())["not_codes"]["teacher"] == {"7\\": 1, "128": 1}
    bad = cli("load", "talkmoves", SAMPLE, "--level", "lessons", "--role", "teacher")
    assert bad.code == 2 and bad.err.startswith("Error: --role applies")


def test_cli_info(cli):
    r = cli("info", "sample:talkmoves")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "sample:talkmoves: TalkMoves classroom transcripts"
    assert lines[1].startswith("8 lessons (Subset 1: 2, Subset 2: 6), 87 sentences")
    assert "Warning: 2 teacher tags are not codes" in r.err
    one = cli("info", "sample:talkmoves-lesson", "--json")
    assert one.code == 0 and json.loads(one.out)["lessons"] == 1


def _one_error_line(r) -> str:
    assert r.code == 2, r.out
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in r.err
    return lines[0]


def test_cli_lesson_without_sentence_column(cli, tmp_path):
    f = _workbook(tmp_path / "lesson.xlsx", [["Turn", "Speaker", "Text"], [1, "T", "Hello"]])
    line = _one_error_line(cli("load", "talkmoves", f))
    assert line == f"Error: {f}: no Sentence column (columns: Turn, Speaker, Text)"
    assert _one_error_line(cli("info", f)) == line


def test_cli_unreadable_workbook(cli, tmp_path):
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04 this is not a workbook")
    line = _one_error_line(cli("load", "talkmoves", f))
    assert line.startswith(f"Error: {f}: unreadable workbook")
    folder = tmp_path / "Subset 9"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(b"")
    assert "unreadable workbook" in _one_error_line(cli("info", folder))


# --- the real corpus ---------------------------------------------------------------------------

TEACHER_WRITTEN = {1: 117_572, 2: 22_829, 3: 2_876, 4: 2_634, 5: 4_013, 6: 7, 7: 6_602, 8: 23_051}
TEACHER_WRITTEN[9] = 2_039
STUDENT_WRITTEN = {1: 26_042, 2: 6_660, 3: 1_922, 4: 18_441, 5: 8_011}
TIME_SPELLINGS = {"TimeStamp", "TImeStamp", "Video Length", "S", "SS"}


@pytest.fixture(scope="session")
def real(shared_data):
    root = shared_data / "talkmoves"
    if not (root / "Subset 2").is_dir():
        pytest.skip(f"TalkMoves not available: put the corpus at {root}")
    return load_talkmoves(root)


@pytest.mark.shared
def test_real_lessons_and_rows(real):
    assert len(real.lessons) == 567 and len(real.utterances) == 237_537
    assert real.lessons["subset"].value_counts().to_dict() == {"Subset 2": 376, "Subset 1": 191}
    assert real.utterances["item_id"].is_unique
    assert int(real.lessons["sentences"].sum()) == 237_537


def _written(tags: pd.Series) -> Counter:
    codes = tags.str.extract(r"^\s*(\d+)\s*-", expand=False).dropna().astype(int)
    return Counter(codes.tolist())


@pytest.mark.shared
def test_real_tag_counts_per_code(real):
    u = real.utterances
    assert _written(u["teacher_tag"]) == Counter(TEACHER_WRITTEN)
    assert _written(u["student_tag"]) == Counter(STUDENT_WRITTEN)
    # every written code maps to its move; bare numbers are mapped too, and counted
    for side, codes, moves in (
        ("teacher", TEACHER_WRITTEN, TEACHER_MOVES),
        ("student", STUDENT_WRITTEN, STUDENT_MOVES),
    ):
        variants = real.anomalies["tag_variants"][side]
        for code, n in codes.items():
            written = {k: v for k, v in variants[moves[code]].items() if "-" in k}
            assert sum(written.values()) == n
    bare = real.anomalies["tag_variants"]["teacher"]
    assert (bare["none"]["1"], bare["keeping_everyone_together"]["2"]) == (124, 11)
    assert bare["pressing_for_accuracy"]["8"] == 1


@pytest.mark.shared
def test_real_every_tag_variant_mapped_or_reported(real):
    a = real.anomalies
    for side in ("teacher", "student"):
        seen = set(real.utterances[f"{side}_tag"]) - {""}
        mapped = {w for spellings in a["tag_variants"][side].values() for w in spellings}
        reported = set(a["not_codes"][side])
        assert seen == mapped | reported and not mapped & reported
    assert a["not_codes"]["teacher"] == {"128": 1, "\\": 1, "7\\": 1}
    assert a["not_codes"]["student"] == {"\\": 1, " ": 1}
    assert {"8 - PreStudents for Accuracy", "8 - press for  accuracy"} <= set(
        a["tag_variants"]["teacher"]["pressing_for_accuracy"]
    )
    assert "3 - gettingSSto relate" in a["tag_variants"]["teacher"]["getting_students_to_relate"]
    assert len(a["tag_variants"]["teacher"]["marking"]) == 2  # `6 - Marking`, `6 - marketing`


@pytest.mark.shared
def test_real_column_variants(real):
    layouts = real.anomalies["column_layouts"]
    assert sum(layouts.values()) == 567
    headers = [set(h.split(" | ")) for h in layouts]
    spelled = set().union(*headers) & TIME_SPELLINGS
    assert spelled == TIME_SPELLINGS
    assert sum(n for h, n in layouts.items() if "turn" in h.split(" | ")) == 1
    s_speaker = [h for h in layouts if "Speaker" not in h.split(" | ")]
    assert len(s_speaker) == 1 and layouts[s_speaker[0]] == 1
    assert sum(n for h, n in layouts.items() if not h.startswith("Unnamed: 0")) == 5
    # the one file with S for Speaker still has speakers and roles
    u = real.utterances
    assert (u["speaker"] != "").mean() > 0.99


@pytest.mark.shared
def test_real_speakers_and_roles(real):
    u = real.utterances
    assert set(u["role"]) == {"teacher", "student", "other"}
    by_speaker = u[u["role_source"] == "speaker"].groupby("speaker")["role"].first()
    for s in ("T", "T2", "Teacher", "Ms. Smith", "Mr. Parker"):
        assert by_speaker[s] == "teacher"
    for s in ("S", "SS", "Student", "Students"):
        assert by_speaker[s] == "student"
    assert (u["role"] == "other").sum() == sum(real.anomalies["unknown_speakers"].values())
    assert (u["role"] == "other").mean() < 0.01


@pytest.mark.shared
def test_real_datasheet_matches(real):
    lessons = real.lessons
    two = lessons[lessons["subset"] == "Subset 2"]
    ds = real.anomalies["datasheet"]
    # 350 of the 376 Subset 2 file names are a Lesson Title exactly; one of those titles has two
    # differing rows (ambiguous: left empty), the other 26 names match no row and stay empty
    exact_titles = two["datasheet_match"].isin(["exact", "ambiguous"])
    assert int(exact_titles.sum()) == 350
    assert ds["ambiguous"] == ["Subset 2: TalkBack.Year2.Strathom.Spring.021821 (2 differing rows)"]
    rest = two[~exact_titles]
    assert len(rest) == 26
    # a trailing underscore is the only normalised match in Subset 2
    assert rest["datasheet_match"].value_counts().to_dict() == {"none": 25, "normalised": 1}
    assert (rest.loc[rest["datasheet_match"] == "none", "grade"] == "").all()
    # the file name still gives teacher, year and date for all of them
    assert (two["teacher"] != "").all() and two["study_year"].notna().all()
    assert set(two["study_year"]) == {1, 2}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", two["date"].iloc[0])


def test_agree_reads_the_corpus_folder_as_gold(cli, tmp_path):
    gold = read_talkmoves(SAMPLE, "annotations")
    teacher = gold[gold["label"] == "teacher_move"].copy()
    teacher["rater"] = "copy"  # a "model" that repeats the gold codes: kappa must be 1
    model = tmp_path / "model.csv"
    teacher[["item_id", "rater", "label", "value", "version"]].to_csv(model, index=False)
    out = tmp_path / "agree.json"
    r = cli(
        "agree", "sample:talkmoves", model, "--humans", "gold", "--models", "copy",
        "--labels", "teacher_move", "--rubric", "talkmoves-teacher", "--n-boot", "20",
        "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    result = json.loads(out.read_text())
    assert result["groups"] == "lesson_id"  # whole lessons resampled by default
    label = result["labels"]["teacher_move"]
    assert label["human_model"]["copy"]["gold"]["value"] == pytest.approx(1.0)
    assert label["human_model"]["copy"]["gold"]["n"] == len(teacher)


def test_annotate_dry_run_reads_a_lesson_workbook(cli):
    r = cli(
        "annotate", "sample:talkmoves-lesson", "--rubric", "talkmoves-student",
        "--model", "gpt-4o-mini", "--dry-run",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "Dry run (nothing sent): 13 requests to gpt-4o-mini" in r.out  # every sentence


def test_a_folder_of_chosen_lessons(cli, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    for f in sorted((SAMPLE / "Subset 2").glob("*Okafor*.xlsx")):
        (mine / f.name).write_bytes(f.read_bytes())
    assert detect(mine) == "talkmoves"
    r = cli("info", mine, "--json")
    assert r.code == 0, r.err
    summary = json.loads(r.out)
    assert summary["lessons"] == 3 and summary["subsets"] == {"": 3}
    assert summary["datasheet"] == {"none": 3}  # no datasheet next to them
