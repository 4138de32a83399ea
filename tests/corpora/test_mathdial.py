"""MathDial loader: counts and every quirk, on the real test split and on the synthetic samples."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from edukit.corpora.mathdial import (
    DIALOGUE_COLUMNS,
    MOVES,
    UTTERANCE_COLUMNS,
    _general_turn,
    _split_turns,
    gold_annotations,
    read_mathdial,
)
from edukit.errors import InputError
from edukit.resources import bundled

SAMPLES = bundled("datasets", "mathdial")


# ---------------------------------------------------------------- the real test split


@pytest.fixture(scope="module")
def real(request):
    shared = request.getfixturevalue("shared_data")
    return {
        "csv": read_mathdial(shared / "mathdial" / "test.csv"),
        "jsonl": read_mathdial(shared / "mathdial" / "test.jsonl"),
    }


def _jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.shared
def test_real_csv_and_jsonl_give_equal_tables(real):
    pd.testing.assert_frame_equal(real["csv"].dialogues, real["jsonl"].dialogues)
    pd.testing.assert_frame_equal(real["csv"].utterances, real["jsonl"].utterances)
    assert real["csv"].warnings == real["jsonl"].warnings


@pytest.mark.shared
def test_real_counts(real):
    d, u = real["csv"].dialogues, real["csv"].utterances
    assert list(d.columns) == list(DIALOGUE_COLUMNS)
    assert list(u.columns) == list(UTTERANCE_COLUMNS)
    assert len(d) == 599
    assert d["qid"].nunique() == 394  # qid is not unique ...
    assert d["dialogue_id"].is_unique  # ... our id is
    assert d["dialogue_id"].iloc[17] == "test-17"
    assert len(u) == 7028
    assert u["speaker"].value_counts().to_dict() == {"teacher": 3699, "student": 3329}
    moves = u.loc[u["speaker"] == "teacher", "move"].value_counts().to_dict()
    assert moves == {"focus": 1259, "probing": 952, "generic": 890, "telling": 598}
    assert (u.loc[u["speaker"] == "student", "move"] == "").all()
    assert d["n_turns"].sum() == 7028
    assert u["item_id"].is_unique


@pytest.mark.shared
def test_real_first_dialogue_turns(real):
    u = real["csv"].utterances
    first = u[u["dialogue_id"] == "test-0"]
    assert first["item_id"].tolist()[:2] == ["test-0:0", "test-0:1"]
    assert first["speaker"].tolist()[:4] == ["teacher", "student", "teacher", "student"]
    assert first["move"].tolist()[:3] == ["generic", "", "focus"]
    assert first["text"].iloc[0] == "Hi Mariana, please talk me through your solution"
    assert first["qid"].iloc[0] == "6000025"
    assert first["history"].iloc[0] == ""
    assert first["history"].iloc[2] == (
        "Teacher: Hi Mariana, please talk me through your solution\n"
        "Student: Sure. I started by letting x be the number of spoons Julia bought. Then I "
        "added 5 to x to get the total number of spoons. Next, I subtracted 3 from the total "
        "number of spoons to get the number of spoons left. Finally, I set up an equation and "
        "solved for x, which was 4. So Julia bought a package of 4 spoons."
    )


@pytest.mark.shared
def test_real_student_turns_prefixed_with_name(real, shared_data):
    # 234 student turns in 39 dialogues open with the student's name (`Cody: ...`).
    raw = pd.read_csv(shared_data / "mathdial" / "test.csv", dtype=str, keep_default_na=False)
    names = real["csv"].dialogues["student_name"]
    u = real["csv"].utterances.set_index("item_id")
    named = {}
    for i, conv in enumerate(raw["conversation"]):
        for j, turn in enumerate(conv.split("|EOM|")):
            if turn.startswith(names.iloc[i] + ": "):
                named[f"test-{i}:{j}"] = turn[len(names.iloc[i]) + 2 :].strip()
    assert len(named) == 234
    assert len({k.split(":")[0] for k in named}) == 39
    rows = u.loc[list(named)]
    assert (rows["speaker"] == "student").all()
    assert rows["text"].tolist() == list(named.values())
    assert u.loc["test-0:1", "text"].startswith("Sure. I started")  # `Student:` removed too
    assert (
        "234 student turns in 39 dialogues start with the student's name instead of 'Student:'"
        in real["csv"].warnings
    )


@pytest.mark.shared
def test_real_tag_only_teacher_turns(real):
    u = real["csv"].utterances
    tag_only = u[(u["speaker"] == "teacher") & (u["text"] == "")]
    assert len(tag_only) == 13
    assert (tag_only["move"] != "").all()
    # two of them follow each other: speakers do not simply alternate
    assert tag_only["item_id"].tolist()[:2] == ["test-342:11", "test-342:12"]
    assert "13 teacher turns with a move tag and no text" in real["csv"].warnings


@pytest.mark.shared
def test_real_second_parenthetical_is_text(real):
    u = real["csv"].utterances.set_index("item_id")
    assert u.loc["test-248:14", "move"] == "focus"
    assert u.loc["test-248:14", "text"] == "(1 x dozen) =? + (1 x dozen) =? + (half a dozen) =?"
    assert u.loc["test-257:14", "move"] == "probing"
    assert u.loc["test-257:14", "text"].startswith("(I would draw pictures here if I could.) Draw")


@pytest.mark.shared
def test_real_newlines_inside_turns(real):
    u = real["csv"].utterances
    with_newline = u[u["text"].str.contains("\n", regex=False)]
    # 85 raw turns in 74 dialogues hold a newline; in 24 of them it is only at an end (or right
    # after the tag, `Teacher: (generic)\nHi`) and goes with the stripping.
    assert len(with_newline) == 61
    assert with_newline["dialogue_id"].nunique() == 53
    assert u.set_index("item_id").loc["test-7:1", "text"].endswith("a fraction of a person.\n4")
    assert real["csv"].dialogues["ground_truth"].str.contains("\n", regex=False).all()


@pytest.mark.shared
def test_real_null_vs_empty_annotations(real, shared_data):
    rows = _jsonl(shared_data / "mathdial" / "test.jsonl")
    assert [i for i, r in enumerate(rows) if r["self-correctness"] is None] == [227, 359, 597, 598]
    for fmt in ("csv", "jsonl"):
        d = real[fmt].dialogues
        cols = [
            "teacher_described_confusion",
            "self_correctness",
            "self_typical_confusion",
            "self_typical_interactions",
        ]
        missing = d[d[cols].isna().all(axis=1)]
        assert missing["dialogue_id"].tolist() == ["test-227", "test-359", "test-597", "test-598"]
        assert d[cols].isna().sum().tolist() == [4, 4, 4, 4]
        assert "4 dialogues without teacher annotations" in real[fmt].warnings[-1]


@pytest.mark.shared
def test_real_qid_and_likert_types_agree(real, shared_data):
    rows = _jsonl(shared_data / "mathdial" / "test.jsonl")
    assert isinstance(rows[0]["qid"], int) and rows[0]["self-typical-confusion"] == 4.0
    d = real["csv"].dialogues
    assert d["qid"].iloc[0] == "6000025"
    assert str(d["self_typical_confusion"].dtype) == "Int64"
    assert d["self_typical_confusion"].iloc[0] == 4
    assert d["self_typical_confusion"].value_counts().to_dict() == {
        4: 181,
        3: 176,
        5: 134,
        2: 70,
        1: 34,
    }
    assert d["student_name"].iloc[0] == "Mariana"


@pytest.mark.shared
def test_real_hf_example(shared_data):
    ex = read_mathdial(shared_data / "mathdial" / "example.jsonl")
    d, u = ex.dialogues, ex.utterances
    assert d["dialogue_id"].tolist() == ["example-0", "example-1"]
    assert d["qid"].tolist() == ["5000794", "5000195"]
    assert d["self_typical_confusion"].tolist() == [1, 5]
    # "\\n" in the file is a newline in the table
    assert (
        d["ground_truth"]
        .iloc[0]
        .startswith(
            "Since a dozen is equal to 12, then two dozens are equal to 12 x 2= 24.\nOne-half"
        )
    )
    assert "\\n" not in "".join(d["ground_truth"])
    assert u.loc[u["dialogue_id"] == "example-0", "move"].tolist()[::2] == [
        "generic",
        "telling",
        "telling",
        "focus",
        "telling",
    ]
    assert ex.warnings == []


@pytest.mark.shared
def test_real_gold_annotations(real):
    gold = gold_annotations(real["csv"].utterances)
    assert list(gold.columns) == ["item_id", "rater", "label", "value", "version", "dialogue_id"]
    assert len(gold) == 3699
    assert (gold["item_id"].str.rsplit(":", n=1).str[0] == gold["dialogue_id"]).all()
    assert set(gold["rater"]) == {"gold"} and set(gold["label"]) == {"move"}
    assert set(gold["version"]) == {""}
    assert gold["value"].value_counts().to_dict() == {
        "focus": 1259,
        "probing": 952,
        "generic": 890,
        "telling": 598,
    }
    assert gold["item_id"].iloc[0] == "test-0:0"


# ---------------------------------------------------------------- the synthetic samples


@pytest.fixture(scope="module")
def sample():
    return {name: read_mathdial(SAMPLES / name) for name in ("test.csv", "test.jsonl")}


def test_samples_csv_and_jsonl_equal(sample):
    pd.testing.assert_frame_equal(sample["test.csv"].dialogues, sample["test.jsonl"].dialogues)
    pd.testing.assert_frame_equal(sample["test.csv"].utterances, sample["test.jsonl"].utterances)
    assert sample["test.csv"].warnings == sample["test.jsonl"].warnings


def test_sample_hf_equals_github_but_for_ids(sample):
    hf = read_mathdial(SAMPLES / "example.jsonl")
    d = hf.dialogues.assign(dialogue_id=hf.dialogues["dialogue_id"].str.replace("example", "test"))
    pd.testing.assert_frame_equal(d, sample["test.csv"].dialogues)
    u = hf.utterances.assign(
        item_id=hf.utterances["item_id"].str.replace("example", "test"),
        dialogue_id=hf.utterances["dialogue_id"].str.replace("example", "test"),
    )
    pd.testing.assert_frame_equal(u, sample["test.csv"].utterances)


def test_sample_counts(sample):
    d, u = sample["test.csv"].dialogues, sample["test.csv"].utterances
    assert len(d) == 12 and d["qid"].nunique() == 11
    assert len(u) == 63
    assert u["speaker"].value_counts().to_dict() == {"teacher": 33, "student": 30}
    assert u.loc[u["speaker"] == "teacher", "move"].value_counts().to_dict() == {
        "generic": 11,
        "probing": 8,
        "focus": 6,
        "telling": 5,
        "hint": 2,
        "": 1,
    }
    assert d["n_turns"].tolist() == [8, 8, 6, 6, 4, 4, 6, 4, 5, 4, 2, 6]


def test_sample_warnings_report_every_quirk(sample):
    assert sample["test.csv"].warnings == [
        "unknown move tag '(hint)' in 2 teacher turns: kept as move 'hint'",
        "1 teacher turn without a move tag: move left empty",
        "3 teacher turns with a move tag and no text",
        "7 student turns in 3 dialogues start with the student's name instead of 'Student:'",
        "2 dialogues without teacher annotations (confusion, correctness, Likert ratings)",
    ]


def test_sample_quirks(sample):
    u = sample["test.csv"].utterances.set_index("item_id")
    # name prefix: a student turn, name removed
    assert u.loc["test-1:1", ["speaker", "text"]].tolist() == [
        "student",
        "Sure! Two dozens is 24 and one and a half dozen is 18, so 42.",
    ]
    # trailing space before |EOM| is stripped
    assert u.loc["test-1:0", "text"] == "Hi Cody, could you walk me through your solution?"
    # tag-only teacher turns, two in a row
    assert u.loc[["test-2:2", "test-2:3"], "speaker"].tolist() == ["teacher", "teacher"]
    assert u.loc[["test-2:2", "test-2:3"], "text"].tolist() == ["", ""]
    assert u.loc["test-8:4", ["move", "text"]].tolist() == ["telling", ""]
    # a second parenthetical is text
    assert u.loc["test-3:2", ["move", "text"]].tolist() == ["focus", "(3 + 4) x 5 = ? Try that."]
    assert (
        u.loc["test-3:4", "text"] == "(I would draw a picture here.) How many marbles in one bag?"
    )
    # a student parenthetical is text too
    assert u.loc["test-7:1", ["move", "text"]].tolist() == ["", "(12 + 3) x 2 = 30."]
    # newlines inside a turn, and in history
    assert u.loc["test-4:1", "text"] == 'I read "3 laps" and added 400.\nSo 403 metres.'
    assert u.loc["test-4:2", "history"] == (
        "Teacher: Hi Ayisha, talk me through it, please.\n"
        'Student: I read "3 laps" and added 400.\nSo 403 metres.'
    )
    # unknown tag kept lowercased; a capitalised known tag is the known move
    assert u.loc[["test-6:0", "test-6:2", "test-6:4"], "move"].tolist() == [
        "probing",
        "hint",
        "hint",
    ]
    # an untagged teacher turn keeps its text and an empty move
    assert u.loc["test-7:2", ["speaker", "move", "text"]].tolist() == [
        "teacher",
        "",
        "How many pens are there?",
    ]
    # a colon inside text is not a speaker
    assert u.loc["test-9:1", "text"] == "I added £2 and 3: £5."
    # dialogue fields are broadcast to turns
    assert (
        u.loc["test-4:0", "question"]
        == "Sam runs 3 laps of a 400 m track.\nHow many metres does he run?"
    )


def test_sample_dialogue_fields(sample):
    d = sample["test.jsonl"].dialogues.set_index("dialogue_id")
    assert d.loc["test-1", "qid"] == d.loc["test-2", "qid"] == "7000002"
    assert d.loc["test-1", "student_name"] == "Cody"
    assert d.loc["test-1", "self_correctness"] == "Yes, but I had to reveal the answer"
    assert d.loc["test-1", ["self_typical_confusion", "self_typical_interactions"]].tolist() == [
        3,
        2,
    ]
    assert d.loc["test-5"].isna().sum() == 4
    assert d.loc["test-10", "self_correctness"] is pd.NA
    assert d.loc["test-0", "scenario"] == 1


def test_sample_gold_annotations(sample):
    gold = gold_annotations(sample["test.csv"].utterances)
    assert len(gold) == 32  # 33 teacher turns, one untagged
    assert gold.iloc[0].to_dict() == {
        "item_id": "test-0:0",
        "rater": "gold",
        "label": "move",
        "value": "generic",
        "version": "",
        "dialogue_id": "test-0",
    }
    assert (gold["value"] == "hint").sum() == 2


def test_committed_samples_match_generator(tmp_path, repo_root):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_samples", repo_root / "datasets" / "mathdial" / "make_samples.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (SAMPLES / "test.csv").read_text(encoding="utf-8") == mod.as_csv(mod.DIALOGUES)
    assert (SAMPLES / "test.jsonl").read_text(encoding="utf-8") == mod.as_github_jsonl(
        mod.DIALOGUES
    )
    assert (SAMPLES / "example.jsonl").read_text(encoding="utf-8") == mod.as_hf_jsonl(mod.DIALOGUES)


# ---------------------------------------------------------------- errors


HEADER = (
    "qid,scenario,question,ground_truth,student_incorrect_solution,student_profile,"
    "teacher_described_confusion,self-correctness,self-typical-confusion,"
    "self-typical-interactions,conversation\n"
)


def _row(conversation: str, likert: str = "4") -> str:
    return f'1,1,Q?,A,W,Ana is a student.,c,Yes,{likert},{likert},"{conversation}"\n'


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_mathdial(tmp_path / "nope.csv")


def test_unknown_format(tmp_path):
    p = tmp_path / "dialogues.txt"
    p.write_text("x")
    with pytest.raises(InputError, match=r"unknown MathDial format '\.txt'"):
        read_mathdial(p)


def test_missing_columns_names_them(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("qid,question\n1,Q\n")
    with pytest.raises(InputError) as exc:
        read_mathdial(p)
    assert exc.value.where == 1
    assert "missing columns 'scenario'" in exc.value.message
    assert "'conversation'" in exc.value.message


def test_malformed_conversation_names_row(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(
        HEADER + _row("Teacher: (generic)Hi|EOM|Student: Hello") + _row("Teacher: (focus)Hi|EOM|42")
    )
    with pytest.raises(InputError) as exc:
        read_mathdial(p)
    assert exc.value.where == 3  # header is line 1, second dialogue is line 3
    assert exc.value.format().startswith(f"{p}:3: malformed conversation in dialogue d-1: turn 1")


def test_empty_conversation_names_jsonl_line(tmp_path):
    p = tmp_path / "d.jsonl"
    good = {
        "qid": 1,
        "scenario": 1,
        "question": "Q",
        "ground_truth": "A",
        "student_incorrect_solution": "W",
        "student_profile": "Ana is a student.",
        "teacher_described_confusion": None,
        "self-correctness": None,
        "self-typical-confusion": None,
        "self-typical-interactions": None,
        "conversation": "Teacher: (generic)Hi|EOM|Student: Hello",
    }
    p.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "conversation": ""}) + "\n")
    with pytest.raises(InputError) as exc:
        read_mathdial(p)
    assert exc.value.where == 3 and "empty conversation" in exc.value.message


def test_bad_likert_names_row(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + _row("Teacher: (generic)Hi", likert="often"))
    with pytest.raises(InputError, match="expected a whole number") as exc:
        read_mathdial(p)
    assert exc.value.where == 2


def test_other_name_prefix_is_a_reported_student_turn(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + _row("Teacher: (generic)Hi|EOM|Bob: Hello|EOM|Ana: Hi"))
    md = read_mathdial(p)
    assert md.utterances["speaker"].tolist() == ["teacher", "student", "student"]
    assert md.utterances["text"].tolist() == ["Hi", "Hello", "Hi"]
    assert md.warnings == [
        "1 student turn in 1 dialogue starts with the student's name instead of 'Student:'",
        "1 turn starts with 'Bob:', neither Teacher, Student nor the profile's student name: "
        "read as student turns",
    ]


def test_speaker_and_tag_spelling_variants(tmp_path):
    p = tmp_path / "d.csv"
    conv = "Teacher:  (Focus) x|EOM|student:y|EOM|Teacher:(probing)z|EOM|\nStudent: w|EOM|"
    p.write_text(HEADER + _row(conv + "Teacher: (5) v"))
    u = read_mathdial(p).utterances
    assert u["speaker"].tolist() == ["teacher", "student", "teacher", "student", "teacher"]
    assert u["move"].tolist() == ["focus", "", "probing", "", ""]
    assert u["text"].tolist() == ["x", "y", "z", "w", "(5) v"]


# ---------------------------------------------------------------- fast path == general grammar

_SPEAKERS = [
    "Teacher: ",
    "Student: ",
    "teacher:",
    "Teacher:  ",
    " Teacher: ",
    "Teacher:\n",
    "STUDENT : ",
    "Cody: ",
    "Bob: ",
    "",
    "(focus)",
]
_TAGS = [
    "",
    "(focus)",
    "(Focus)",
    "(probing)",
    "(hint)",
    "( focus )",
    "(x2)",
    "(5)",
    "(focus",
    "()",
    "(é)",
    "(a-b)",
    "(focus)(1 x dozen)",
    " (telling)",
]
_BODY = st.lists(
    st.sampled_from(["", " ", "a", "é", "\n", "(", ")", "x = 2", ":", "\t"]), max_size=4
)
_TURN = st.tuples(st.sampled_from(_SPEAKERS), st.sampled_from(_TAGS), _BODY).map(
    lambda t: t[0] + t[1] + "".join(t[2])
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_TURN, min_size=1, max_size=6))
@example(["Teacher: (focusa", "Teacher: (Focus)", "Teacher: (focus)(1 x dozen) = ?"])
@example(["Student: (focus)x", "Cody: a", "Teacher: (a-b)c", "Teacher: (é) x"])
def test_fast_path_agrees_with_the_general_grammar(turns):
    """Each turn parsed by `_split_turns` (fast path where it applies) equals `_general_turn`."""
    conversation = "|EOM|".join(turns)
    try:
        expected = [_general_turn(raw, Path("d.csv"), "d-0", k, 2) for k, raw in enumerate(turns)]
    except InputError:
        with pytest.raises(InputError, match=r"malformed conversation|empty conversation"):
            _split_turns(Path("d.csv"), [conversation], ["d-0"], ["Cody"], [2])
        return
    got = _split_turns(Path("d.csv"), [conversation], ["d-0"], ["Cody"], [2])
    speakers = ["teacher" if who == "teacher" else "student" for who, *_ in expected]
    assert got.speaker == speakers
    assert got.move == [m for _, m, _, _ in expected]
    assert got.text == [t for _, _, t, _ in expected]
    lines = [f"{s.title()}: {t}" for s, (_, _, t, _) in zip(speakers, expected, strict=True)]
    assert got.history == ["\n".join(lines[:k]) for k in range(len(lines))]
    tagged = [m for who, m, _, ok in expected if who == "teacher" and ok]
    assert got.untagged == sum(who == "teacher" and not ok for who, _, _, ok in expected)
    assert got.tag_only == sum(who == "teacher" and ok and not t for who, _, t, ok in expected)
    assert dict(got.unknown) == dict(Counter(m for m in tagged if m not in MOVES))
    assert got.name_turns == sum(who == "Cody" for who, *_ in expected)
