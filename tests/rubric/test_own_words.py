"""The bundled rubrics are written in edukit's own words: no run of words is copied from the
SIGHT prompts, and the MathDial moves and intents are the ones the issue lists."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from edukit.corpora.talkmoves_codes import STUDENT_MOVES, TEACHER_MOVES
from edukit.resources import bundled
from edukit.rubric import load_rubric

# Five words in a row is a phrase, not a sentence: anything longer shared with a prompt is a copy.
RUN = 6


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9@']+", text.lower().replace("\u2019", "'"))


def _runs(words: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", ["sight.yaml", "sight-joint.yaml", "mathdial-moves.yaml"])
def test_no_run_of_words_is_copied_from_the_sight_prompts(shared_data, name):
    prompts = sorted((shared_data / "sight" / "prompts").glob("*/label_prompts/*.txt"))
    assert len(prompts) == 27
    copied = set().union(*(_runs(_words(p.read_text(encoding="utf-8"))) for p in prompts))
    doc = yaml.safe_load(bundled("rubrics", name).read_text(encoding="utf-8"))
    for text in _strings(doc):
        shared = _runs(_words(text)) & copied
        assert not shared, f"{name}: copied from a SIGHT prompt: {' '.join(min(shared))!r}"


def test_the_check_would_catch_a_copied_sentence(shared_data):
    prompt = (shared_data / "sight" / "prompts" / "bin_zeroshot" / "label_prompts").glob(
        "*_general.txt"
    )
    last = next(prompt).read_text(encoding="utf-8").strip().splitlines()[-1]
    copied = _runs(_words(last))
    assert _runs(_words("Definition: " + last[10:80])) & copied


MOVES = {
    "focus": ["seek strategy", "guiding student focus", "recall relevant information"],
    "probing": [
        "asking for explanation",
        "seeking self-correction",
        "perturbing the question",
        "seeking world knowledge",
    ],
    "telling": ["revealing strategy", "revealing answer"],
    "generic": ["greeting/farewell", "general inquiry"],
}


def test_mathdial_moves_and_intents_match_the_issue():
    rubric = load_rubric(bundled("rubrics", "mathdial-moves.yaml"))
    assert (rubric.task, rubric.target) == ("single", "move")
    got = {label.name: [s.name for s in label.subcategories] for label in rubric.spec.labels}
    assert got == MOVES
    assert {"history", "text"} <= {*rubric.context_fields, rubric.text_field}
    (request,) = rubric.requests(
        {
            "item_id": "d-0:2",
            "text": "TURN",
            "history": "HISTORY",
            "question": "Q",
            "student_incorrect_solution": "S",
        }
    )
    system = request.messages[0]["content"]
    for move, intents in MOVES.items():
        assert f"\n{move}: " in system
        for intent in intents:
            assert f"  - {intent}: " in system
    last = request.messages[-1]["content"]
    assert last.index("HISTORY") < last.index("TURN")


# --- TalkMoves: checked against digests of the coding manual's word runs ------------------------

TALKMOVES = ["talkmoves-teacher.yaml", "talkmoves-student.yaml"]
MANUAL_RUNS = Path(__file__).parent / "talkmoves_manual_runs.txt"


def _digest(run: tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(run).encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", TALKMOVES)
def test_no_run_of_words_is_copied_from_the_talkmoves_manual(name):
    copied = set(MANUAL_RUNS.read_text(encoding="utf-8").split())
    assert len(copied) > 2000  # the whole manual (make_talkmoves_manual_runs.py)
    doc = yaml.safe_load(bundled("rubrics", name).read_text(encoding="utf-8"))
    for text in _strings(doc):
        shared = {r for r in _runs(_words(text)) if _digest(r) in copied}
        assert not shared, f"{name}: copied from the coding manual: {' '.join(min(shared))!r}"


def test_the_manual_check_would_catch_a_copied_sentence():
    # a sentence typed from the manual's restating definition (its runs are in the digests)
    copied = set(MANUAL_RUNS.read_text(encoding="utf-8").split())
    sentence = "without adding anything or changing any of the wording"
    assert any(_digest(r) in copied for r in _runs(_words(sentence)))


@pytest.mark.parametrize(
    ("name", "target", "codes"),
    [
        ("talkmoves-teacher.yaml", "teacher_move", TEACHER_MOVES),
        ("talkmoves-student.yaml", "student_move", STUDENT_MOVES),
    ],
)
def test_talkmoves_categories_in_code_order(name, target, codes):
    rubric = load_rubric(bundled("rubrics", name))
    assert (rubric.task, rubric.target) == ("single", target)
    assert list(rubric.labels) == [codes[k] for k in sorted(codes)]
    assert rubric.context_fields == ["history"]
