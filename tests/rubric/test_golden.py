"""Golden files pin the exact messages and schemas of the bundled rubrics and SIGHT imports.

Regenerate after an intended change: `python tests/regen_golden.py`, then review the diff of
tests/rubric/golden/ (the tests only read them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edukit.resources import bundled
from edukit.rubric import dump_rubric, import_sight, load_rubric
from edukit.rubric.sight import PLACEHOLDERS

from .conftest import GOLDEN, golden_text, request_dict

COMMENT = {
    "item_id": "9001",
    "text": "Thanks! But at 12:30 why does the determinant change sign?",
    "comment": "Thanks! But at 12:30 why does the determinant change sign?",
    "video_name": "Lecture 5: Determinants (synthetic)",
    "playlist_name": "Synthetic Linear Algebra",
}
TURN = {
    "item_id": "test-0:2",
    "text": "What do you get if you multiply 12 by 2?",
    "history": "Teacher: Hi, can you walk me through your answer?\n"
    "Student: I added 12 and 2 to get 14.",
    "question": "A dozen is 12 pens. How many pens are in 2 dozens?",
    "student_incorrect_solution": "12 + 2 = 14 pens.",
}

REPLY = {
    "item_id": "5001:GPT4",
    "text": "Not quite: 6 + 7 adds pens to boxes. Try multiplying.",
    "history": "Tutor: A box holds 6 pens. How many pens are in 7 boxes?\n"
    "Student: Each box has 6 pens.\nSo 7 boxes have 6 + 7 = 13 pens.",
}

SENTENCE = {
    "item_id": "TalkBack.Year1.Rivera.Fall.101519:6",
    "text": "Why three and not two?",
    "history": "Student 1: We think the pattern grows by three.\nTeacher: Grows by three.",
}
STUDENT_SENTENCE = {
    "item_id": "TalkBack.Year1.Rivera.Fall.101519:7",
    "text": "Because one tile goes on each side and one on top.",
    "history": "Teacher: Why three and not two?",
}


BUNDLED = [
    ("sight.yaml", COMMENT),
    ("sight-joint.yaml", COMMENT),
    ("mathdial-moves.yaml", TURN),
    ("mrbench.yaml", REPLY),
    ("mrbench-bea2025.yaml", REPLY),
    ("talkmoves-teacher.yaml", SENTENCE),
    ("talkmoves-student.yaml", STUDENT_SENTENCE),
]


def _bundled(name: str, item: dict) -> dict:
    rubric = load_rubric(bundled("rubrics", name))
    return {"hash": rubric.hash, "requests": [request_dict(r) for r in rubric.requests(item)]}


def golden_texts(tmp_path: Path, shared_data: Path | None = None) -> dict[Path, str]:
    """Every golden file of this module and its current text (for tests/regen_golden.py); the
    SIGHT imports only with the real corpora."""
    texts = {
        GOLDEN / name.replace(".yaml", ".json"): golden_text(_bundled(name, item))
        for name, item in BUNDLED
    }
    if shared_data is not None:
        for folder in sorted(FOLDERS):
            prompts = shared_data / "sight" / "prompts" / folder
            english = _imported(prompts, tmp_path / f"{folder}.yaml")[1]
            texts[GOLDEN / f"sight-import-{folder}.json"] = golden_text(request_dict(english))
    return texts


@pytest.mark.parametrize(("name", "item"), BUNDLED)
def test_bundled_rubric_golden(golden, name, item):
    golden(name.replace(".yaml", ".json"), _bundled(name, item))


def test_bundled_rubric_shapes():
    sight = load_rubric(bundled("rubrics", "sight.yaml"))
    nine = [
        "general",
        "confusion",
        "pedagogy",
        "setup",
        "gratitude",
        "personal_experience",
        "clarification",
        "non_english",
        "na",
    ]
    assert (sight.task, sight.labels, sight.text_field) == ("binary", nine, "comment")
    assert len(sight.requests(COMMENT)) == 9
    joint = load_rubric(bundled("rubrics", "sight-joint.yaml"))
    assert (joint.task, joint.labels, len(joint.requests(COMMENT))) == ("multi", nine, 1)
    moves = load_rubric(bundled("rubrics", "mathdial-moves.yaml"))
    assert (moves.task, moves.target, moves.labels) == (
        "single",
        "move",
        ["focus", "probing", "telling", "generic"],
    )
    assert moves.context_fields == ["question", "student_incorrect_solution", "history"]
    (request,) = moves.requests(TURN)
    assert request.messages[-1]["content"].endswith(
        "Conversation so far:\nTeacher: Hi, can you walk me through your answer?\n"
        "Student: I added 12 and 2 to get 14.\n\nTeacher turn to classify:\n"
        "What do you get if you multiply 12 by 2?"
    )


FOLDERS = {
    # folder: (label versions in info.json order, reasoning)
    "bin_zeroshot": (
        {
            "clarification": "v1",
            "confusion": "v8",
            "general": "v39",
            "na": "v3",
            "non_english": "v0",
            "personal_experience": "v46",
            "pedagogy": "v73d",
            "gratitude": "v1",
            "setup": "v0",
        },
        False,
    ),
    "bin_kshot": (
        {
            "clarification": "v74",
            "confusion": "v74",
            "general": "v74",
            "na": "v74",
            "non_english": "v74",
            "personal_experience": "v50",
            "pedagogy": "v73c",
            "gratitude": "v74",
            "setup": "v74",
        },
        False,
    ),
    "bin_kshot_reasoning": (
        dict.fromkeys(
            [
                "clarification",
                "confusion",
                "general",
                "na",
                "non_english",
                "personal_experience",
                "pedagogy",
                "gratitude",
                "setup",
            ],
            "v75",
        ),
        True,
    ),
}


def _imported(prompts: Path, out: Path):
    """The rubric imported from a SIGHT prompts folder, and its `non_english` request."""
    dump_rubric(import_sight(prompts), out)
    rubric = load_rubric(out)
    return rubric, next(r for r in rubric.requests(COMMENT) if r.key == "non_english")


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_sight_folder_imports_validates_and_renders(shared_data, tmp_path, golden, folder):
    versions, reasoning = FOLDERS[folder]
    prompts = shared_data / "sight" / "prompts" / folder
    rubric, english = _imported(prompts, tmp_path / f"{folder}.yaml")
    assert rubric.task == "binary" and rubric.reasoning is reasoning
    assert rubric.text_field == "comment"
    requests = rubric.requests(COMMENT)
    assert {r.key: r.version for r in requests} == versions
    # SIGHT asks "is the comment in English?": true means *not* non-English.
    assert rubric.decode(english, _answer(english, True))[0].value == 0
    assert rubric.decode(english, _answer(english, False))[0].value == 1
    assert list(english.schema["properties"]) == (
        ["reasoning", "non_english"] if reasoning else ["non_english"]
    )
    # The prompt is sent verbatim: no placeholder survives and the item closes the message.
    for request in requests:
        (message,) = request.messages
        assert message["role"] == "user"
        assert "{comment}" not in message["content"] and "{{" not in message["content"]
        assert "Comment: " + COMMENT["comment"] in message["content"]
        label = next(p for p in (prompts / "label_prompts").glob(f"v*_{request.key}.txt"))
        original = label.read_text(encoding="utf-8")
        for placeholder, field in PLACEHOLDERS.items():
            original = original.replace("{" + placeholder + "}", COMMENT[field])
        assert message["content"] == original
    golden(f"sight-import-{folder}.json", request_dict(english))


def _answer(request, value: bool) -> dict:
    return (
        {"reasoning": "r", "non_english": value}
        if "reasoning" in request.schema["properties"]
        else {"non_english": value}
    )
