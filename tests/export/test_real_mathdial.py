"""The real MathDial test split (../shared/data/mathdial/test.csv): splits, counts, validity."""

from __future__ import annotations

import pytest

from edukit.export import FORMATS, export_finetune, validate_file

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def real(shared_data):
    from edukit.corpora.mathdial import read_mathdial

    return read_mathdial(shared_data / "mathdial" / "test.csv")


def _teacher_runs(utterances) -> int:
    """Targets computed independently: teacher runs once empty (tag-only) turns are gone."""
    u = utterances[utterances["text"].str.strip() != ""].sort_values(["dialogue_id", "turn"])
    new_run = (u["speaker"] != u.groupby("dialogue_id")["speaker"].shift()) & (
        u["speaker"] == "teacher"
    )
    return int(new_run.sum())


def test_counts_are_the_loaders_teacher_turns_minus_the_documented_drops(real, tmp_path):
    m = export_finetune(
        real.dialogues, real.utterances, format="openai-chat", out_dir=tmp_path, test_fraction=0.1
    )
    teacher_turns = int((real.utterances["speaker"] == "teacher").sum())
    drops = {step: c.get("teacher", 0) for step, c in m.cleanup.items()}
    examples = sum(c["examples"] for c in m.counts.values())
    # 3,699 teacher turns: 13 tag-only, 28 exact repeats, 55 folded into the previous teacher turn.
    assert teacher_turns == 3699
    assert drops == {"tag_only": 13, "duplicates": 28, "merge": 55}
    assert examples == teacher_turns - sum(drops.values()) == _teacher_runs(real.utterances)
    assert examples == 3603
    # Every problem sits in exactly one split: the per-split problem counts add up to all qids.
    assert sum(c["qids"] for c in m.counts.values()) == real.dialogues["qid"].nunique() == 394
    assert m.qids_in_more_than_one_split == 0
    assert all(m.counts[s]["examples"] > 0 for s in ("train", "val", "test"))


@pytest.mark.parametrize("unit", ["turn", "dialogue"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_valid_on_real_data(fmt, unit, real, tmp_path):
    m = export_finetune(real.dialogues, real.utterances, format=fmt, out_dir=tmp_path, unit=unit)
    for file in m.files.values():
        assert validate_file(tmp_path / file, fmt) == []
    assert sum(c["dialogues"] for c in m.counts.values()) == 599
    assert sum(c["targets"] for c in m.counts.values()) == (
        599 if fmt == "trl-prompt-completion" and unit == "dialogue" else 3603
    )


def test_student_simulator_is_valid_on_real_data(real, tmp_path):
    m = export_finetune(real.dialogues, real.utterances, format="sharegpt", out_dir=tmp_path,
                        role="student", move_token="prompt")  # fmt: skip
    for file in m.files.values():
        assert validate_file(tmp_path / file, "sharegpt") == []
    assert sum(c["examples"] for c in m.counts.values()) > 3000


def test_qid_split_on_real_data_is_seeded_and_sized_by_val_fraction(real):
    from edukit.export import assign_splits

    d = real.dialogues
    a = assign_splits(d, "qid", val_fraction=0.2, test_fraction=0.1, seed=1)
    sides = d.assign(split=a.to_numpy()).groupby("qid")["split"].nunique()
    assert (sides == 1).all()  # no problem on both sides
    per_split = d.assign(split=a.to_numpy()).drop_duplicates("qid")["split"].value_counts()
    # Of 394 problems: ceil(10%) = 40 for test, then 20% of all (2/9 of the 354 left) = 79.
    assert per_split.to_dict() == {"train": 275, "val": 79, "test": 40}
    assert a.equals(assign_splits(d, "qid", val_fraction=0.2, test_fraction=0.1, seed=1))
    assert not a.equals(assign_splits(d, "qid", val_fraction=0.2, test_fraction=0.1, seed=2))


def test_published_split_on_the_real_test_file(real, tmp_path):
    m = export_finetune(real.dialogues, real.utterances, format="alpaca", out_dir=tmp_path,
                        split="published")  # fmt: skip
    assert m.counts["test"]["examples"] == 3603
    assert m.counts["train"]["examples"] == m.counts["val"]["examples"] == 0
