"""MRBench loader: counts on the four real files, ids, spellings and every quirk."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edukit.corpora.detect import detect, load_items
from edukit.corpora.mrbench import (
    CATEGORIES,
    DIMENSIONS,
    read_mrbench,
    split_turns,
)
from edukit.errors import InputError
from edukit.resources import bundled

SAMPLES = bundled("datasets", "mrbench")

# file: dialogues, distinct conversation ids, responses, Novice responses, gold rows
COUNTS = {
    "MRBench_V1.json": (192, 188, 1589, 53, 12712),
    "MRBench_V2.json": (200, 195, 1655, 55, 13240),
    "mrbench_v3_devset.json": (300, 300, 2476, 76, 9904),
    "mrbench_v3_testset.json": (191, 191, 1547, 0, 0),
}


@pytest.fixture(scope="module")
def mr_dir(request):
    return request.getfixturevalue("shared_data") / "mrbench"


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_real_counts_and_unique_ids(mr_dir, name):
    mr = read_mrbench(mr_dir / name)
    dialogues, cids, responses, novice, gold = COUNTS[name]
    raw = json.loads((mr_dir / name).read_text(encoding="utf-8"))
    assert len(mr.dialogues) == dialogues == len(raw)
    assert mr.dialogues["conversation_id"].nunique() == cids
    assert len(mr.responses) == responses
    assert int((mr.responses["tutor"] == "Novice").sum()) == novice
    assert len(mr.annotations) == gold
    assert mr.responses["item_id"].is_unique
    assert mr.dialogues["dialogue_id"].is_unique
    assert set(mr.annotations["rater"]) <= {"gold"}
    # stable: a second read gives the same ids in the same order
    again = read_mrbench(mr_dir / name)
    assert again.responses["item_id"].tolist() == mr.responses["item_id"].tolist()
    # tutors as spelled in the file
    key = "anno_llm_responses" if "V" in name else "tutor_responses"
    assert Counter(mr.responses["tutor"]) == Counter(t for r in raw for t in r[key])


def test_real_label_spellings(mr_dir):
    v1 = read_mrbench(mr_dir / "MRBench_V1.json").annotations
    assert set(v1["label"]) == set(DIMENSIONS)  # `humanlikeness` becomes `Humanlikeness`
    assert "humanlikeness" not in set(v1["label"])
    for label, group in v1.groupby("label"):
        assert set(group["value"]) <= set(CATEGORIES[label])
    rev = set(v1.loc[v1["label"] == "Revealing_of_the_Answer", "value"])
    assert rev == {"No", "Yes (and the answer is correct)", "Yes (but the answer is incorrect)"}
    assert set(v1.loc[v1["label"] == "Tutor_Tone", "value"]) == {
        "Encouraging",
        "Neutral",
        "Offensive",
    }
    dev = read_mrbench(mr_dir / "mrbench_v3_devset.json")
    assert dev.dimensions == (
        "Mistake_Identification",
        "Mistake_Location",
        "Providing_Guidance",
        "Actionability",
    )


def test_real_collision_case(mr_dir):
    mr = read_mrbench(mr_dir / "MRBench_V1.json")
    r = mr.responses
    pairs = r.groupby(["conversation_id", "tutor"])["item_id"].transform("size")
    assert int((pairs > 1).sum()) == 72  # conversation_id + tutor is not a key
    repeated = mr.dialogues["conversation_id"].value_counts()
    repeated = set(repeated[repeated > 1].index)
    assert len(repeated) == 4
    hashed = mr.dialogues[mr.dialogues["conversation_id"].isin(repeated)]["dialogue_id"]
    assert len(hashed) == 8
    assert all(d.split("-")[0] in repeated and len(d.split("-")[1]) == 8 for d in hashed)
    # unique ids keep the plain conversation id
    plain = mr.dialogues[~mr.dialogues["conversation_id"].isin(repeated)]
    assert (plain["dialogue_id"] == plain["conversation_id"]).all()
    assert any("repeat" in w for w in mr.warnings)


def test_real_nbsp_and_multiline_turns(mr_dir):
    mr = read_mrbench(mr_dir / "MRBench_V1.json")
    raw = json.loads((mr_dir / "MRBench_V1.json").read_text(encoding="utf-8"))
    assert sum("\xa0" in r["conversation_history"] for r in raw) > 0
    assert not mr.dialogues["history"].str.contains("\xa0").any()
    assert not mr.responses["text"].str.contains("\xa0").any()
    # a student turn spanning several lines stays one turn
    multi = [
        t
        for turns in mr.dialogues["turns"]
        for t in json.loads(turns)
        if t["speaker"] == "Student" and "\n" in t["text"]
    ]
    assert len(multi) > 100
    bridge = mr.dialogues[mr.dialogues["data"] == "Bridge"]
    assert len(bridge) == 53
    # Bridge histories separate turns with "\xa0\n\xa0": every turn is found
    first = raw[int(bridge.index[0])]["conversation_history"]
    n_prefixes = first.count("Tutor:") + first.count("Student:")
    assert bridge.iloc[0]["n_turns"] == n_prefixes
    # Novice only for Bridge dialogues
    novice = mr.responses[mr.responses["tutor"] == "Novice"]
    assert set(novice["data"]) == {"Bridge"}


def test_real_turor_typo(mr_dir):
    mr = read_mrbench(mr_dir / "mrbench_v3_devset.json")
    d = mr.dialogues.set_index("conversation_id").loc["1710-2d42a67c-6b87-4b08-a90a-4c43487af865"]
    turns = json.loads(d["turns"])
    assert {"speaker": "Tutor", "text": "Walk me through your answer"} in turns
    assert "Turor" not in d["history"]
    assert any("Turor" in w for w in mr.warnings)


def test_real_files_are_detected_and_loaded_as_items(mr_dir):
    for name in COUNTS:
        assert detect(mr_dir / name) == "mrbench"
    items = load_items(mr_dir / "MRBench_V1.json")
    assert list(items.columns[:2]) == ["item_id", "text"]
    assert len(items) == 1589


# ---------------------------------------------------------------- synthetic samples and units


def test_split_turns_on_speaker_prefix_only():
    history = (
        "Tutor: Solve 2 + 2.\xa0\n\xa0Student: It is\n5\nbecause Student: x\n"
        " Turor: why?\nStudent : 4"
    )
    assert split_turns(history) == [
        {"speaker": "Tutor", "text": "Solve 2 + 2."},
        {"speaker": "Student", "text": "It is\n5\nbecause Student: x"},
        {"speaker": "Tutor", "text": "why?"},
        {"speaker": "Student", "text": "4"},
    ]
    assert split_turns("no prefix at all") == [{"speaker": "Tutor", "text": "no prefix at all"}]
    assert split_turns("") == []


def test_sample_quirks():
    mr = read_mrbench(SAMPLES / "mrbench_sample.json")
    assert len(mr.dialogues) == 4 and mr.dialogues["conversation_id"].nunique() == 3
    assert mr.responses["item_id"].is_unique
    assert len(mr.annotations) == 13 * 8
    phi = mr.responses[mr.responses["text"].str.startswith("Multiply")].iloc[0]
    assert phi["text"] == "Multiply 6 by 7 to get 42." and "\xa0" in phi["response_raw"]
    assert mr.responses["ground_truth"].isna().sum() == 4  # "Not Available" is missing
    test = read_mrbench(SAMPLES / "mrbench_v3_test_sample.json")
    assert test.dimensions == () and len(test.annotations) == 0


def test_ids_do_not_depend_on_record_order(tmp_path):
    data = json.loads((SAMPLES / "mrbench_sample.json").read_text(encoding="utf-8"))
    ids = set(read_mrbench(SAMPLES / "mrbench_sample.json").responses["item_id"])
    p = tmp_path / "reversed.json"
    p.write_text(json.dumps(data[::-1]), encoding="utf-8")
    assert set(read_mrbench(p).responses["item_id"]) == ids


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[", "invalid JSON"),
        ("{}", "expected a non-empty list"),
        ('[{"conversation_id": "1"}]', "missing 'conversation_history'"),
        (
            '[{"conversation_id": "1", "conversation_history": "Tutor: hi", '
            '"tutor_responses": {"A": {"response": "x", "annotation": '
            '{"Mistake_Identification": "Maybe"}}}}]',
            "unknown value 'Maybe'",
        ),
        (
            '[{"conversation_id": "1", "conversation_history": "Tutor: hi", '
            '"tutor_responses": {"A": {"answer": "x"}}}]',
            "has no response text",
        ),
    ],
)
def test_bad_files(tmp_path, content, message):
    p = tmp_path / "bad.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        read_mrbench(p)
    assert str(p) in str(err.value)


def test_load_and_info_cli(cli, tmp_path):
    sample = SAMPLES / "mrbench_sample.json"
    out = tmp_path / "ann.csv"
    r = cli("load", "mrbench", str(sample), "--level", "annotations", "--out", str(out))
    assert r.code == 0, r.err
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 104 and set(df["label"]) == set(DIMENSIONS)
    r = cli("load", "mrbench", str(sample), "--level", "dialogues")
    assert r.code == 0 and "4 dialogues, 13 responses" in r.out
    r = cli("info", str(sample))
    assert r.code == 0 and "MRBench tutor responses" in r.out and "Novice" in r.out
    r = cli("info", str(sample), "--json")
    assert json.loads(r.out)["responses"] == 13
    bad = tmp_path / "x.json"
    bad.write_text("[", encoding="utf-8")
    r = cli("load", "mrbench", str(bad))
    assert r.code == 2 and r.err.startswith("Error: ") and "invalid JSON" in r.err


def test_info_on_the_real_files(cli, mr_dir):
    for name, (dialogues, cids, responses, _novice, gold) in COUNTS.items():
        r = cli("info", mr_dir / name, "--json")
        assert r.code == 0, r.err
        s = json.loads(r.out)
        assert s["kind"] == "mrbench"
        assert (s["dialogues"], s["conversation_ids"], s["responses"], s["annotations"]) == (
            dialogues,
            cids,
            responses,
            gold,
        )


_words = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .,?=+"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Tutor", "Student"]), st.lists(_words, min_size=1, max_size=3)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["\n", "\xa0\n\xa0", "\n ", " \n"]),
)
def test_split_turns_recovers_turns_joined_by_any_separator(turns, sep):
    # lines inside a turn never start with a speaker prefix, so they stay in the turn
    history = sep.join(f"{who}: " + "\n".join(lines) for who, lines in turns)
    got = split_turns(history)
    assert [t["speaker"] for t in got] == [who for who, _ in turns]
    expected = ["\n".join(lines).replace("\xa0", " ").strip() for _, lines in turns]
    assert [t["text"] for t in got] == expected


_ANN = {
    "Mistake_Identification": "Yes",
    "Mistake_Location": "No",
    "Providing_Guidance": "Yes",
    "Actionability": "No",
}


def _records(*pairs, annotation=None):
    return [
        {
            "conversation_id": cid,
            "conversation_history": f"Tutor: hi {n}\nStudent: {n}",
            "tutor_responses": {tutor: {"response": f"r{n}", "annotation": annotation or _ANN}},
        }
        for n, (cid, tutor) in enumerate(pairs)
    ]


def test_ids_escape_the_separator_so_two_tutors_never_share_one(cli, tmp_path):
    # issue 21: dialogue 7:GPT4 with tutor X and dialogue 7 with tutor GPT4:X were both 7:GPT4:X
    p = tmp_path / "collide.json"
    p.write_text(json.dumps(_records(("7:GPT4", "X"), ("7", "GPT4:X"))), encoding="utf-8")
    mr = read_mrbench(p)
    assert mr.responses["item_id"].tolist() == ["7%3AGPT4:X", "7:GPT4%3AX"]
    out = tmp_path / "score.json"
    r = cli("tutor", "score", p, "--json", out)
    assert r.code == 0, r.err
    tutors = json.loads(out.read_text())["tutors"]
    # each tutor has its one response, not one tutor both
    assert tutors["X"]["Mistake_Identification"]["n"] == 1
    assert tutors["GPT4:X"]["Mistake_Identification"]["n"] == 1


def test_plain_ids_are_unchanged():
    from edukit.corpora.mrbench import response_id

    assert response_id("291616268", "GPT4") == "291616268:GPT4"
    assert response_id("1030-adb6", "Tutor_3") == "1030-adb6:Tutor_3"
    assert response_id("a%b", "c") == "a%25b:c"


def test_keys_differing_only_by_case_are_refused_not_counted_twice(cli, tmp_path):
    p = tmp_path / "twice.json"
    ann = {**_ANN, "humanlikeness": "Yes", "Humanlikeness": "No"}
    p.write_text(json.dumps(_records(("1", "A"), annotation=ann)), encoding="utf-8")
    r = cli("tutor", "score", p)
    assert r.code == 2 and r.err.count("Error:") == 1, r.err
    assert "'humanlikeness' and 'Humanlikeness' differ only by case" in r.err
    assert "record 1, A" in r.err and str(p) in r.err


def test_a_key_in_another_case_is_read_as_its_dimension_with_a_warning(tmp_path):
    p = tmp_path / "case.json"
    ann = {**_ANN, "mistake_identification": "No"}
    del ann["Mistake_Identification"]
    p.write_text(json.dumps(_records(("1", "A"), annotation=ann)), encoding="utf-8")
    mr = read_mrbench(p)
    rows = mr.annotations[mr.annotations["label"] == "Mistake_Identification"]
    assert rows["value"].tolist() == ["No"]
    assert any("'mistake_identification'" in w and "read as label" in w for w in mr.warnings)
