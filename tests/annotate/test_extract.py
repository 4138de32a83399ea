"""Answer extraction: after any think block, the last JSON object that fits the schema."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edukit.annotate.extract import extract_answer, json_objects, obtained_mode, strip_think
from edukit.rubric.outputs import InvalidOutput, answer_schema

MOVES = ["focus", "probing", "telling", "generic"]
SCHEMA = answer_schema({"move": MOVES}, reasoning=False)


def test_plain_json_is_the_answer():
    got = extract_answer('{"move": "focus"}', SCHEMA)
    assert (got.obj, got.how) == ({"move": "focus"}, "json")


def test_whitespace_inside_constrained_json():
    # llama-server's grammar lets the model put any whitespace between tokens
    assert extract_answer('{\n \t "move"\n\t: "telling"}', SCHEMA).obj == {"move": "telling"}


def test_draft_inside_think_block_is_not_the_answer():
    text = '<think>First guess: {"move": "focus"} ... not right.</think> {"move": "generic"}'
    got = extract_answer(text, SCHEMA)
    assert got.obj == {"move": "generic"} and got.how == "json"


def test_think_draft_is_ignored_even_when_the_answer_is_invalid():
    text = '<think>{"move": "focus"}</think> {"move": "shouting"}'
    # the invalid answer is returned so the re-ask names its problem; never the draft
    assert extract_answer(text, SCHEMA).obj == {"move": "shouting"}


def test_unclosed_think_block_has_no_answer():
    with pytest.raises(InvalidOutput, match="inside its <think> block"):
        extract_answer('<think>maybe {"move": "focus"} or', SCHEMA)


def test_last_valid_object_in_prose():
    text = (
        'A first guess would be {"move": "focus"}, but no. Not {"move": "nonsense"} either.\n'
        'Final answer: {"move": "probing"} and {"other": 1}. Hope this helps.'
    )
    got = extract_answer(text, SCHEMA)
    assert got.obj == {"move": "probing"} and got.how == "found"
    assert obtained_mode("json_schema", got.how) == "text"
    assert obtained_mode("json_schema", "json") == "json_schema"


def test_nested_objects_are_not_candidates():
    text = '{"outer": {"move": "focus"}}'
    assert [o for _, o in json_objects(text)] == [{"outer": {"move": "focus"}}]


def test_no_answer_raises():
    with pytest.raises(InvalidOutput):
        extract_answer("I do not know.", SCHEMA)


def test_strip_think_keeps_text_without_block():
    assert strip_think("no block") == "no block"
    assert strip_think("<think>a</think><think>b</think>c") == "c"


prose = st.text(alphabet=st.characters(blacklist_characters="{}<>"), max_size=40)


@given(before=prose, between=prose, after=prose, draft=st.sampled_from(MOVES))
def test_property_answer_after_think_wins(before, between, after, draft):
    answer = {"move": "telling"}
    text = (
        f"<think>{before}{json.dumps({'move': draft})}{between}</think>"
        f"{after}{json.dumps(answer)}{between}"
    )
    assert extract_answer(text, SCHEMA).obj == answer


@given(pieces=st.lists(st.sampled_from(MOVES), min_size=1, max_size=5), glue=prose)
def test_property_last_fitting_object_wins(pieces, glue):
    text = glue.join(json.dumps({"move": m}) for m in pieces) + glue
    assert extract_answer(text, SCHEMA).obj == {"move": pieces[-1]}
