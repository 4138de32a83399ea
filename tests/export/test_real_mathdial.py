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


@pytest.mark.parametrize(
    ("fmt", "unit"), [(f, "turn") for f in FORMATS] + [("openai-chat", "dialogue")]
)
def test_every_format_is_valid_on_real_data(fmt, unit, real, tmp_path):
    m = export_finetune(real.dialogues, real.utterances, format=fmt, out_dir=tmp_path, unit=unit)
    for file in m.files.values():
        assert validate_file(tmp_path / file, fmt) == []
    assert sum(c["dialogues"] for c in m.counts.values()) == 599
