"""Clean-up, move selection, units, move tokens, roles and system prompts (format-neutral)."""

from __future__ import annotations

from collections import Counter

import pytest

from edukit.errors import ExportError
from edukit.export.examples import BuildOptions, build_examples, clean_turns, system_prompt


def rows(*turns):
    return [
        {"speaker": s, "move": m, "text": t, "item_id": f"d-0:{i}"}
        for i, (s, m, t) in enumerate(turns)
    ]


DIALOGUE = {"dialogue_id": "d-0", "qid": "1", "question": "Q?", "ground_truth": "G",
            "student_incorrect_solution": "W", "student_profile": "P", "student_name": "Ana",
            "teacher_described_confusion": "C"}  # fmt: skip


def test_cleanup_drops_tag_only_and_duplicates_then_merges_and_counts_each():
    counts = Counter()
    turns = clean_turns(
        rows(
            ("teacher", "generic", "Hi"),
            ("teacher", "probing", ""),  # tag-only
            ("student", "", "I got 4."),
            ("student", "", "I got 4."),  # exact consecutive duplicate
            ("student", "", "  I got 4. "),  # duplicate up to surrounding whitespace
            ("student", "", "Is that right?"),  # merged into the previous student turn
            ("teacher", "focus", "Look at step 1."),
            ("teacher", "telling", "It is 3."),  # merged: keeps the first move (focus)
        ),
        ("tag_only", "duplicates", "merge"),
        counts,
    )
    assert [(t.speaker, t.move, t.text) for t in turns] == [
        ("teacher", "generic", "Hi"),
        ("student", None, "I got 4.\nIs that right?"),
        ("teacher", "focus", "Look at step 1.\nIt is 3."),
    ]
    assert turns[1].item_ids == ["d-0:2", "d-0:5"]
    assert counts == Counter(
        {"tag_only:teacher": 1, "duplicates:student": 2, "merge:student": 1, "merge:teacher": 1}
    )


def test_cleanup_steps_can_be_switched_off():
    counts = Counter()
    src = rows(("teacher", "probing", "Hi"), ("student", "", "a"), ("student", "", "a"))
    assert len(clean_turns(src, (), counts)) == 3
    assert not counts
    assert [t.text for t in clean_turns(src, ("duplicates",), counts)] == ["Hi", "a"]
    assert [t.text for t in clean_turns(src, ("merge",), counts)] == ["Hi", "a\na"]


def test_an_empty_turn_without_the_tag_only_step_is_an_error_not_an_empty_message():
    src = rows(("teacher", "probing", "Hi"), ("student", "", "a"), ("teacher", "focus", " "))
    with pytest.raises(ExportError, match=r"turn d-0:2 has no text .* keep the 'tag_only'"):
        clean_turns(src, ("duplicates", "merge"), Counter())


def _examples(turns, **kw):
    counts = Counter()
    cleaned = clean_turns(rows(*turns), ("tag_only", "duplicates", "merge"), counts)
    return build_examples(DIALOGUE, cleaned, BuildOptions(**kw), counts), counts


TURNS = [
    ("teacher", "generic", "Hi Ana."),
    ("student", "", "I got 4."),
    ("teacher", "probing", "Why 4?"),
    ("student", "", "2 + 2."),
    ("teacher", "telling", "It is 2 + 1 = 3."),
]


def _flat(ex):
    return [(m.role, m.content, m.train) for m in ex.messages]


def test_turn_unit_gives_one_example_per_teacher_turn_with_opener_and_history():
    exs, counts = _examples(TURNS)
    assert len(exs) == 3
    assert _flat(exs[0]) == [
        ("user", "(The tutoring session starts.)", False),
        ("assistant", "Hi Ana.", True),
    ]
    assert _flat(exs[2])[-3:] == [
        ("assistant", "Why 4?", False),
        ("user", "2 + 2.", False),
        ("assistant", "It is 2 + 1 = 3.", True),
    ]
    assert counts["opener_inserted"] == 1


def test_moves_filter_and_dialogue_unit_weights():
    exs, counts = _examples(TURNS, moves=frozenset({"probing", "generic"}))
    assert [ex.targets[0].content for ex in exs] == ["Hi Ana.", "Why 4?"]
    assert counts["skipped:move_not_selected"] == 1
    # Dialogue unit: cut after the last selected target; the telling turn is gone.
    (ex,), _ = _examples(TURNS, unit="dialogue", moves=frozenset({"generic"}))
    assert [(m.content, m.train) for m in ex.messages if m.role == "assistant"] == [
        ("Hi Ana.", True)
    ]
    (ex,), _ = _examples(TURNS, unit="dialogue", move_weights={"probing": 0})
    assert [m.train for m in ex.messages if m.role == "assistant"] == [True, False, True]


def test_taxonomy_3_merges_focus_and_probing():
    exs, _ = _examples(TURNS, taxonomy=3, moves=frozenset({"scaffolding"}))
    assert [ex.targets[0].move for ex in exs] == ["scaffolding"]


def test_move_token_on_target_or_prompt():
    exs, _ = _examples(TURNS, move_token="target")
    assert [m.content for m in exs[2].messages if m.role == "assistant"] == [
        "<generic> Hi Ana.",
        "<probing> Why 4?",
        "<telling> It is 2 + 1 = 3.",
    ]
    exs, _ = _examples(TURNS, move_token="prompt")
    assert [m.content for m in exs[2].messages if m.role == "user"] == [
        "<generic> (The tutoring session starts.)",
        "<probing> I got 4.",
        "<telling> 2 + 2.",
    ]


def test_student_role_targets_student_turns_selected_by_the_teacher_move_they_answer():
    exs, counts = _examples(TURNS, role="student", moves=frozenset({"probing"}))
    assert len(exs) == 1
    assert _flat(exs[0])[-2:] == [("user", "Why 4?", False), ("assistant", "2 + 2.", True)]
    assert exs[0].messages[0].role == "user"  # the dialogue opens with the teacher: no opener
    assert counts["opener_inserted"] == 0


def test_unannotated_turns_are_not_targets_when_moves_come_from_annotations():
    turns = [("teacher", "", "Hi."), ("student", "", "4"), ("teacher", "focus", "Why?")]
    exs, counts = _examples(turns, require_moves=True)
    assert [ex.targets[0].content for ex in exs] == ["Why?"]
    assert counts["skipped:unannotated"] == 1


def test_system_prompt_holds_exactly_the_grounding_fields():
    text = system_prompt(DIALOGUE, BuildOptions())
    assert "Problem:\nQ?" in text and "Correct solution:\nG" in text
    assert "Student's incorrect solution:\nW" in text
    assert "Student profile" not in text
    text = system_prompt(DIALOGUE, BuildOptions(grounding=("student_profile",)))
    assert "Student profile:\nP" in text and "Problem" not in text
    student = system_prompt(DIALOGUE, BuildOptions(role="student"))
    assert student.startswith("You are Ana, a student")
    assert "Your solution:\nW" in student


def test_system_template_is_jinja_over_dialogue_fields_and_strict():
    opts = BuildOptions(system_template="Tutor {{ student_name }} on: {{ grounding.question }}")
    assert system_prompt(DIALOGUE, opts) == "Tutor Ana on: Q?"
    with pytest.raises(ExportError, match="template: dialogue d-0: 'nope' is undefined"):
        system_prompt(DIALOGUE, BuildOptions(system_template="{{ nope }}"))
