"""Prodigy, Sandpiper and CSV files, field by field as their documentation describes them, and
imports of each export with made-up answers (issue 24).

Prodigy: the `choice` interface (https://prodi.gy/docs/api-interfaces#choice): a task has
`text`, `options` (each `id` and `text`), `accept` (the ids pre-selected) and `meta`;
`config.choice_style` is `single` or `multiple`. An annotated task (`prodigy db-out`,
https://prodi.gy/docs/api-database) adds `answer` (accept/reject/ignore), `_input_hash`,
`_task_hash`, `_view_id`, `_timestamp`, `_annotator_id` and `_session_id`.

Sandpiper: https://github.com/National-Tutoring-Observatory/sandpiper/blob/main/documentation/humanAnnotations.md
(columns `session_id`, `sequence_id`, `role`, `content`, then `annotator[<name>][<slot>]<fieldKey>`;
a slot is a 0-based index for several codes of one field on one utterance; one human run per
annotator name; a blank cell is no code).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from edukit.annotations import read_annotations

SIGHT_LABELS = [
    "general", "confusion", "pedagogy", "setup", "gratitude",
    "personal_experience", "clarification", "non_english", "na",
]  # fmt: skip


@pytest.fixture(scope="module")
def sight_models(tmp_path_factory):
    """The SIGHT sample's model labels (openaichat, one version per label) as a long file."""
    ann = read_annotations("sample:sight", prompts="sample:sight-prompts")
    path = tmp_path_factory.mktemp("sight") / "model.csv"
    ann[ann["rater"] == "openaichat"].to_csv(path, index=False)
    return path


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _as_dict(table, *keys):
    """(key columns) -> value, for comparing an imported table with the answers given."""
    cols = [table[k] for k in keys]
    return dict(zip(zip(*cols, strict=True), table["value"], strict=True))


def _made_up(item_id: str, k: int = 3) -> int:
    return sum(map(ord, str(item_id))) % k


def test_prodigy_multi_label_tasks_follow_the_choice_interface(sight_models, tmp_path, cli):
    out = tmp_path / "tasks.jsonl"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight-joint",
        "--format", "prodigy", "--out", out, "--select", "random", "--budget", "8",
    )  # fmt: skip
    assert r.code == 0, r.err
    tasks = _jsonl(out)
    assert len(tasks) == 8  # a joint (multi) rubric: one task per item
    model = read_annotations(sight_models)
    for t in tasks:
        assert set(t) == {"text", "options", "accept", "meta", "config"}
        assert isinstance(t["text"], str) and t["text"]
        assert [o["id"] for o in t["options"]] == SIGHT_LABELS
        assert all(set(o) == {"id", "text"} for o in t["options"])
        assert t["config"] == {"choice_style": "multiple"}
        rows = model[model["item_id"] == t["meta"]["item_id"]]
        assert sorted(t["accept"]) == sorted(rows.loc[rows["value"] == 1, "label"])
        assert t["meta"]["question"] == "sight-joint"
        assert t["meta"]["selection_rule"] == "random"
        assert 0 < t["meta"]["selection_probability"] <= 1

    # as Prodigy's db-out writes the answers of two annotators (made-up choices)
    answered, expected = [], {}
    for n, t in enumerate(tasks):
        for who in ("alice", "bob"):
            choice = [SIGHT_LABELS[(_made_up(t["meta"]["item_id"]) + len(who)) % 9]]
            answer = "ignore" if (who == "bob" and n == 0) else "accept"
            answered.append(
                {
                    **t,
                    "accept": choice,
                    "answer": answer,
                    "_input_hash": 1000 + n,
                    "_task_hash": 2000 + n,
                    "_view_id": "choice",
                    "_timestamp": 1765000000 + n,
                    "_annotator_id": f"review-{who}",
                    "_session_id": f"review-{who}",
                }
            )
            if answer == "accept":
                for label in SIGHT_LABELS:
                    key = (str(t["meta"]["item_id"]), f"review-{who}", label)
                    expected[key] = int(label in choice)
    done = tmp_path / "done.jsonl"
    done.write_text("".join(json.dumps(a) + "\n" for a in answered))
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", done, "--format", "prodigy", "--rubric", "sight-joint",
            "--out", labels)  # fmt: skip
    assert r.code == 0, r.err
    assert "1 ignored" in r.out
    got = read_annotations(labels)
    assert _as_dict(got, "item_id", "rater", "label") == expected
    assert set(got["selection_rule"]) == {"random"}


def test_prodigy_binary_rubric_one_task_per_item_and_label(sight_models, tmp_path, cli):
    out = tmp_path / "tasks.jsonl"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight",
        "--format", "prodigy", "--out", out, "--select", "random:3",
    )  # fmt: skip
    assert r.code == 0, r.err
    tasks = _jsonl(out)
    assert len(tasks) == 3 * 9
    assert {t["config"]["choice_style"] for t in tasks} == {"single"}
    assert {tuple(o["id"] for o in t["options"]) for t in tasks} == {("yes", "no")}
    assert {t["meta"]["question"] for t in tasks} == set(SIGHT_LABELS)
    done = [
        {**t, "accept": ["yes" if _made_up(t["meta"]["item_id"] + t["meta"]["question"], 2)
                         else "no"], "answer": "accept", "_annotator_id": "x", "_view_id": "choice"}
        for t in tasks
    ]  # fmt: skip
    f = tmp_path / "done.jsonl"
    f.write_text("".join(json.dumps(d) + "\n" for d in done))
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", f, "--format", "prodigy", "--rubric", "sight", "--out", labels,
            "--rater", "H3")  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels)
    assert set(got["rater"]) == {"H3"}
    want = {
        (str(d["meta"]["item_id"]), d["meta"]["question"]): int(d["accept"] == ["yes"])
        for d in done
    }
    assert _as_dict(got, "item_id", "label") == want


def test_sandpiper_mathdial_turns_are_sequences_of_sessions(mathdial_models, tmp_path, cli):
    models_path, _ = mathdial_models
    out = tmp_path / "sandpiper.csv"
    r = cli(
        "review", "export", models_path, "--items", "sample:mathdial", "--rubric",
        "mathdial-moves", "--format", "sandpiper", "--out", out, "--select", "random:5",
        "--annotators", "alice,bob",
    )  # fmt: skip
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns) == [
        "session_id", "sequence_id", "role", "content",
        "annotator[alice][0]move", "annotator[bob][0]move",
    ]  # fmt: skip
    from edukit.corpora.mathdial import read_mathdial
    from edukit.resources import resolve_input

    utterances = read_mathdial(resolve_input("sample:mathdial")).utterances
    selected = pd.read_csv(tmp_path / "sandpiper.selection.csv", dtype=str)["item_id"]
    sessions = {i.rsplit(":", 1)[0] for i in selected}
    whole = utterances[utterances["dialogue_id"].isin(sessions)]
    assert len(df) == len(whole)  # every turn of each selected dialogue, in order
    assert set(df["role"]) <= {"Teacher", "Student"}
    for s, group in df.groupby("session_id", sort=False):
        assert group["sequence_id"].astype(int).tolist() == sorted(
            whole.loc[whole["dialogue_id"] == s, "turn"].tolist()
        )
    assert (df[[c for c in df.columns if c.startswith("annotator[")]] == "").all().all()

    moves = ["focus", "probing", "telling", "generic"]
    expected = {}
    for i, row in df.iterrows():
        item = f"{row['session_id']}:{row['sequence_id']}"
        if item in set(selected):
            for who in ("alice", "bob"):
                code = moves[(_made_up(item, 4) + (who == "bob")) % 4]
                df.loc[i, f"annotator[{who}][0]move"] = code
                expected[(item, who)] = code
    filled = tmp_path / "filled.csv"
    df.to_csv(filled, index=False)
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", filled, "--format", "sandpiper", "--rubric", "mathdial-moves",
            "--out", labels, "--selection", tmp_path / "sandpiper.selection.csv")  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels)
    assert _as_dict(got, "item_id", "rater") == expected
    assert set(got["selection_rule"]) == {"random"}


def test_sandpiper_multi_label_flat_items_use_one_slot_per_code(sight_models, tmp_path, cli):
    out = tmp_path / "sandpiper.csv"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight-joint",
        "--format", "sandpiper", "--out", out, "--select", "random:4", "--annotators", "joe",
    )  # fmt: skip
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    slots = [c for c in df.columns if c.startswith("annotator[")]
    assert slots == [f"annotator[joe][{k}]sight-joint" for k in range(9)]
    assert len(df) == 4 and set(df["sequence_id"]) == {"0"}  # one session per comment
    expected = {}
    for i, row in df.iterrows():
        codes = SIGHT_LABELS[_made_up(row["session_id"]) :: 4]
        for k, code in enumerate(codes):
            df.loc[i, f"annotator[joe][{k}]sight-joint"] = code
        for label in SIGHT_LABELS:
            expected[(row["session_id"], label)] = int(label in codes)
    filled = tmp_path / "filled.csv"
    df.to_csv(filled, index=False)
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", filled, "--format", "sandpiper", "--rubric", "sight-joint",
            "--out", labels)  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels)
    assert set(got["rater"]) == {"joe"}
    assert _as_dict(got, "item_id", "label") == expected


DOC_RUBRIC = """\
name: tutor-moves
version: "1"
task: multi
target: TUTOR_MOVE
unit: {id_field: item_id, text_field: text}
labels:
  - {name: MANAGING, definition: manages the session}
  - {name: PROBING_UNDERSTAND, definition: probes understanding}
  - {name: GIVING_HINT, definition: gives a hint}
"""

# The sample template of Sandpiper's documentation, filled as shown there (joe gives turn 2
# two codes in slots 0 and 1).
DOC_SAMPLE = """\
session_id,sequence_id,role,content,annotator[joe][0]TUTOR_MOVE,annotator[joe][1]TUTOR_MOVE
sess_001,0,Tutor,Let's pick up where we left off on question 3.,MANAGING,
sess_001,1,Student,Okay… I don't really get part b.,,
sess_001,2,Tutor,What do you notice about the denominator here?,PROBING_UNDERSTAND,GIVING_HINT
sess_001,3,Student,Oh — they have to match first.,,
"""


def test_sandpiper_documented_sample_reads_as_documented(tmp_path, cli):
    rubric = tmp_path / "tutor-moves.yaml"
    rubric.write_text(DOC_RUBRIC)
    f = tmp_path / "sample.csv"
    f.write_text(DOC_SAMPLE, encoding="utf-8")
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", f, "--format", "sandpiper", "--rubric", rubric, "--out", labels)
    assert r.code == 0, r.err
    got = read_annotations(labels)
    chosen = {key for key, v in _as_dict(got, "item_id", "label").items() if v == 1}
    assert chosen == {
        ("sess_001:0", "MANAGING"),
        ("sess_001:2", "PROBING_UNDERSTAND"),
        ("sess_001:2", "GIVING_HINT"),
    }
    assert set(got["item_id"]) == {"sess_001:0", "sess_001:2"}  # blank rows: no codes
    assert set(got["rater"]) == {"joe"}


def test_csv_round_trip_with_made_up_answers(sight_models, tmp_path, cli):
    out = tmp_path / "review.csv"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight-joint",
        "--format", "csv", "--out", out, "--select", "random:6", "--seed", "2",
    )  # fmt: skip
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert df.columns[:3].tolist() == ["item_id", "rater", "text"]
    assert df.columns[-9:].tolist() == SIGHT_LABELS  # one empty column per label
    assert (df[SIGHT_LABELS] == "").all().all()
    expected = {}
    for i, row in df.iterrows():
        for label in SIGHT_LABELS[:3]:
            v = _made_up(row["item_id"] + label, 2)
            df.loc[i, label] = "yes" if v else "no"
            expected[(row["item_id"], label)] = v
    filled = tmp_path / "filled.csv"
    df.to_csv(filled, index=False)
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", filled, "--format", "csv", "--rubric", "sight-joint",
            "--out", labels, "--rater", "H3")  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels)
    assert _as_dict(got, "item_id", "label") == expected
    assert set(got["rater"]) == {"H3"}


def test_label_studio_config_has_one_choices_block_per_question(sight_models, tmp_path, cli):
    out = tmp_path / "tasks.json"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight",
        "--format", "label-studio", "--out", out, "--select", "random:2",
        "--config", tmp_path / "config.xml",
    )  # fmt: skip
    assert r.code == 0, r.err
    xml = (tmp_path / "config.xml").read_text()
    assert re.findall(r'<Choices name="(\w+)"', xml) == SIGHT_LABELS
    assert set(re.findall(r'choice="(\w+)"', xml)) == {"single"}
    joint = tmp_path / "joint.json"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight-joint",
        "--format", "label-studio", "--out", joint, "--select", "random:2",
    )  # fmt: skip
    assert r.code == 0, r.err
    xml = (tmp_path / "joint.xml").read_text()
    assert re.findall(r'<Choices name="([\w-]+)"[^>]*choice="(\w+)"', xml) == [
        ("sight-joint", "multiple")
    ]
    assert xml.count("<Choice ") == 9 and xml.count("hint=") == 9  # definitions as hints


def test_stratified_by_one_label_of_a_multi_label_rubric(sight_models, tmp_path, cli):
    out = tmp_path / "tasks.json"
    r = cli(
        "review", "export", sight_models, "--items", "sample:sight", "--rubric", "sight",
        "--format", "label-studio", "--out", out, "--select", "stratified", "--budget", "6",
        "--stratify-by", "confusion", "--seed", "1",
    )  # fmt: skip
    assert r.code == 0, r.err
    sel = pd.read_csv(tmp_path / "tasks.selection.csv", dtype=str)
    assert sel["stratum"].value_counts().to_dict() == {"confusion=0": 3, "confusion=1": 3}
    model = read_annotations(sight_models)
    conf = model[model["label"] == "confusion"]
    sizes = conf.drop_duplicates("item_id")["value"].value_counts()
    probs = sel.groupby("stratum")["probability"].first().astype(float)
    assert probs["confusion=1"] == pytest.approx(3 / sizes[1])
    assert probs["confusion=0"] == pytest.approx(3 / sizes[0])
