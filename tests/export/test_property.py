"""Property: on any dialogue and any options, every format's output passes the validator."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from edukit.errors import ExportError
from edukit.export import FORMATS, export_finetune, validate_file
from edukit.export.formats import NEEDS_MERGE

MOVES = ["focus", "probing", "telling", "generic", "", "hint"]
TEXTS = st.sampled_from(["", "  ", "Why?", "Why?", "It is 3.", "ok", "Let's see\nstep 2"])
TURN = st.tuples(st.sampled_from(["teacher", "student"]), st.sampled_from(MOVES), TEXTS)
DIALOGUES = st.lists(st.lists(TURN, min_size=1, max_size=9), min_size=1, max_size=5)
OPTIONS = st.fixed_dictionaries(
    {
        "format": st.sampled_from(FORMATS),
        "unit": st.sampled_from(["turn", "dialogue"]),
        "role": st.sampled_from(["teacher", "student"]),
        "move_token": st.sampled_from([None, "prompt", "target"]),
        "taxonomy": st.sampled_from([3, 4]),
        "moves": st.one_of(st.none(), st.sets(st.sampled_from(["focus", "telling", "generic"]))),
        "move_weights": st.dictionaries(st.sampled_from(["probing", "telling"]), st.just(0)),
        "cleanup": st.sampled_from(
            [("tag_only", "duplicates", "merge"), ("tag_only", "merge"), ("tag_only",), ()]
        ),
        "grounding": st.one_of(st.none(), st.just([]), st.just(["student_profile"])),
        "system_template": st.sampled_from([None, "", "Tutor for {{ question }}"]),
    }
)


def _compatible(options) -> bool:
    # Option combinations the exporter refuses with an ExportError (tested elsewhere).
    if options["format"] in NEEDS_MERGE and "merge" not in options["cleanup"]:
        return False
    return not (options["move_token"] == "target" and options["role"] == "student")


def _teacher_runs(dialogues) -> int:
    runs = 0
    for turns in dialogues:
        prev = None
        for speaker, _, text in turns:
            if not text.strip():
                continue
            runs += speaker == "teacher" and prev != "teacher"
            prev = speaker
    return runs


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dialogues=DIALOGUES, options=OPTIONS)
def test_export_always_validates(tables, dialogues, options):
    assume(_compatible(options))
    if "tag_only" not in options["cleanup"]:
        # Without that step an empty turn is an error, never an empty message.
        assume(all(text.strip() for turns in dialogues for _, _, text in turns))
    d, u = tables(dialogues, qids=[str(i % 3) for i in range(len(dialogues))])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            m = export_finetune(d, u, out_dir=tmp, val_fraction=0, **options)
        except ExportError as exc:  # the options left nothing: an error, no files
            assert exc.message.startswith("no examples left to write")
            assert not any(Path(tmp).iterdir())
            return
        for file in m.files.values():
            if (Path(tmp) / file).stat().st_size:  # an empty split is not a valid file
                assert validate_file(Path(tmp) / file, options["format"]) == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dialogues=DIALOGUES, fmt=st.sampled_from(FORMATS))
def test_turn_unit_has_one_example_per_cleaned_teacher_turn(tables, dialogues, fmt):
    d, u = tables(dialogues)
    with tempfile.TemporaryDirectory() as tmp:
        if _teacher_runs(dialogues) == 0:
            with pytest.raises(ExportError, match="no examples left"):
                export_finetune(d, u, format=fmt, out_dir=tmp, val_fraction=0)
            return
        m = export_finetune(d, u, format=fmt, out_dir=tmp, val_fraction=0)
    assert m.counts["train"]["examples"] == _teacher_runs(dialogues)
