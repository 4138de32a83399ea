"""Requests, schemas, decoding, tolerant parsing and the content hash."""

from __future__ import annotations

import json

import pytest
import yaml

from edukit.rubric import InvalidOutput, load_rubric

BINARY = """
name: demo
version: "2"
task: binary
unit:
  text_field: comment
  context_fields: [video_name]
instructions: Code the comment.
template: |
  Video: {{ video_name }}
  Comment: {{ comment }}
labels:
  - name: confusion
    definition: asks a math question
  - name: english
    definition: written in English
    version: v7
    values: {true: 0, false: 1}
examples:
  - item: {video_name: L1, comment: "why is 0! = 1"}
    labels: [confusion]
defaults: {model: m, temperature: 0}
"""

ITEM = {"item_id": "42", "comment": "Gracias profesor", "video_name": "Lec 1"}


def test_binary_gives_one_request_per_label_with_only_its_definition(write_rubric):
    rubric = load_rubric(write_rubric(BINARY))
    confusion, english = rubric.requests(ITEM)
    assert (confusion.key, confusion.labels, confusion.version) == (
        "confusion",
        ("confusion",),
        "2",
    )
    assert (english.key, english.labels, english.version) == ("english", ("english",), "v7")
    assert "asks a math question" in confusion.messages[0]["content"]
    assert "written in English" not in confusion.messages[0]["content"]
    assert [m["role"] for m in confusion.messages] == ["system", "user", "assistant", "user"]
    assert confusion.messages[-1]["content"] == "Video: Lec 1\nComment: Gracias profesor"
    # The example is a confusion comment; asked "is it English?" the answer is true (value 0).
    assert json.loads(confusion.messages[2]["content"]) == {"confusion": True}
    assert json.loads(english.messages[2]["content"]) == {"english": True}
    assert english.schema == {
        "type": "object",
        "properties": {"english": {"type": "boolean"}},
        "required": ["english"],
        "additionalProperties": False,
    }
    assert english.schema_name == "demo_english"
    assert english.params == {"model": "m", "temperature": 0.0}
    assert rubric.defaults == {"model": "m", "temperature": 0.0}


def test_binary_decode_applies_inverted_polarity(write_rubric):
    rubric = load_rubric(write_rubric(BINARY))
    confusion, english = rubric.requests(ITEM)
    (d,) = rubric.decode(english, {"english": True})
    assert (d.label, d.value, d.version, d.reasoning) == ("english", 0, "v7", None)
    assert rubric.decode(english, {"english": False})[0].value == 1
    assert rubric.decode(confusion, {"confusion": True})[0].value == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"english": "true"}, "english must be true or false; got 'true'"),
        ({"english": 1}, "english must be true or false; got 1"),
        ({}, "missing key 'english'"),
        ({"english": True, "why": "x"}, "unexpected key 'why'"),
        (["english"], "the answer must be a JSON object, got list"),
    ],
)
def test_decode_never_coerces(write_rubric, answer, message):
    rubric = load_rubric(write_rubric(BINARY))
    english = rubric.requests(ITEM)[1]
    with pytest.raises(InvalidOutput) as info:
        rubric.decode(english, answer)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


SINGLE = """
name: moves
version: "1.1"
task: single
target: move
output: {reasoning: true, samples: 3}
labels:
  - {name: focus, definition: f}
  - {name: telling, definition: t}
examples:
  - item: {text: "Multiply 6 by 4."}
    labels: telling
    reasoning: It gives the step away.
"""


def test_single_request_has_reasoning_first_and_an_enum(write_rubric):
    rubric = load_rubric(write_rubric(SINGLE))
    assert (rubric.task, rubric.target, rubric.samples, rubric.reasoning) == (
        "single",
        "move",
        3,
        True,
    )
    (request,) = rubric.requests({"item_id": "d-1:2", "text": "What comes next?"})
    assert (request.key, request.labels, request.version) == ("move", ("move",), "1.1")
    assert list(request.schema["properties"]) == ["reasoning", "move"]
    assert request.schema["properties"]["move"] == {"type": "string", "enum": ["focus", "telling"]}
    assert request.schema["required"] == ["reasoning", "move"]
    assert json.loads(request.messages[2]["content"]) == {
        "reasoning": "It gives the step away.",
        "move": "telling",
    }
    (d,) = rubric.decode(request, {"reasoning": "asks", "move": "focus"})
    assert (d.label, d.value, d.version, d.reasoning) == ("move", "focus", "1.1", "asks")
    with pytest.raises(InvalidOutput, match="move must be one of focus, telling; got 'Focus'"):
        rubric.decode(request, {"reasoning": "asks", "move": "Focus"})


def test_multi_decodes_one_row_per_label(write_rubric):
    rubric = load_rubric(
        write_rubric(
            """
            name: joint
            version: "3"
            task: multi
            labels:
              - {name: a, definition: x}
              - {name: b, definition: y, values: {true: 0, false: 1}}
            """
        )
    )
    (request,) = rubric.requests({"item_id": 5, "text": "t"})
    assert request.labels == ("a", "b") and request.key == "joint"
    rows = rubric.decode(request, {"a": True, "b": True})
    assert [(r.label, r.value, r.version) for r in rows] == [("a", 1, "3"), ("b", 0, "3")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"confusion": true}', {"confusion": True}),
        ('Sure.\n```json\n{"confusion": false}\n```', {"confusion": False}),
        ('I think so. {"confusion": true} Hope it helps', {"confusion": True}),
        ("true", {"confusion": True}),
        ("  FALSE.\n", {"confusion": False}),
        ('"True"', {"confusion": True}),
    ],
)
def test_parse_text_accepts_json_or_one_value(write_rubric, text, expected):
    rubric = load_rubric(write_rubric(BINARY))
    request = rubric.requests(ITEM)[0]
    assert rubric.parse_text(request, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The comment shows confusion, so true is my guess",
        "confusion",
        "yes",
        "true false",
        "",
    ],
)
def test_parse_text_never_matches_substrings(write_rubric, text):
    rubric = load_rubric(write_rubric(BINARY))
    request = rubric.requests(ITEM)[0]
    with pytest.raises(InvalidOutput, match="reply with a JSON object with keys: confusion"):
        rubric.parse_text(request, text)


def test_parse_text_single_class_name_and_final_label_line(write_rubric):
    rubric = load_rubric(write_rubric(SINGLE))
    (request,) = rubric.requests({"item_id": "1", "text": "x"})
    assert rubric.parse_text(request, "It asks for a step.\nLabel: Focus") == {
        "reasoning": "It asks for a step.",
        "move": "focus",
    }
    with pytest.raises(InvalidOutput):
        rubric.parse_text(request, "telling or focus")


def _hash(write_rubric, text: str, name: str) -> str:
    return load_rubric(write_rubric(text, name)).hash


def test_hash_ignores_key_order_comments_and_layout(write_rubric):
    base = _hash(write_rubric, BINARY, "a.yaml")
    reordered = """
# a comment
version: '2'
name: demo
defaults: {temperature: 0, model: m}
task: binary
unit: {context_fields: [video_name], text_field: comment}
instructions: "Code the comment."
template: "Video: {{ video_name }}\\nComment: {{ comment }}\\n"
labels:
  - definition: asks a math question   # trailing comment
    name: confusion
  - {name: english, definition: written in English, version: v7, values: {false: 1, true: 0}}
examples: [{labels: [confusion], item: {comment: "why is 0! = 1", video_name: L1}}]
"""
    assert _hash(write_rubric, reordered, "b.yaml") == base
    assert len(base) == 64 and int(base, 16) >= 0
    changed = BINARY.replace("asks a math question", "asks a maths question")
    assert _hash(write_rubric, changed, "c.yaml") != base


def test_editing_one_label_changes_only_its_requests(write_rubric):
    before = load_rubric(write_rubric(BINARY, "a.yaml")).requests(ITEM)
    after = load_rubric(
        write_rubric(BINARY.replace("written in English", "in English"), "b.yaml")
    ).requests(ITEM)
    assert before[0] == after[0]
    assert before[1] != after[1]


@pytest.mark.parametrize("label", ["confusion", "non_english", "na"])
def test_editing_one_bundled_label_rekeys_only_that_labels_requests(tmp_path, label):
    from edukit.annotate.engine import request_key
    from edukit.resources import bundled

    from .test_golden import COMMENT

    original = bundled("rubrics", "sight.yaml")
    doc = yaml.safe_load(original.read_text(encoding="utf-8"))
    (edited,) = [entry for entry in doc["labels"] if entry["name"] == label]
    edited["definition"] += " Edited."
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=True), encoding="utf-8")
    old, new = load_rubric(original), load_rubric(path)
    assert new.hash != old.hash
    before = {r.key: r for r in old.requests(COMMENT)}
    after = {r.key: r for r in new.requests(COMMENT)}
    assert list(before) == list(after) == old.labels
    for name in old.labels:
        keys = {request_key("m", before[name], 0), request_key("m", after[name], 0)}
        if name == label:
            assert len(keys) == 2 and before[name].messages != after[name].messages
            assert after[name].messages[0]["content"].count(" Edited.") == 1
        else:  # the engine's cache key, messages, schema and params are all unchanged
            assert len(keys) == 1
            assert (before[name].messages, before[name].schema, before[name].params) == (
                after[name].messages,
                after[name].schema,
                after[name].params,
            )


def test_model_defaults_and_samples_reach_every_request(write_rubric):
    text = BINARY.replace(
        "defaults: {model: m, temperature: 0}",
        "defaults: {model: gpt-4o-mini, temperature: 0.3, seed: 11, max_tokens: 64}\n"
        "output: {samples: 5}",
    )
    rubric = load_rubric(write_rubric(text))
    params = {"model": "gpt-4o-mini", "temperature": 0.3, "seed": 11, "max_tokens": 64}
    assert [r.params for r in rubric.requests(ITEM)] == [params, params]
    assert rubric.samples == 5
    # Unset defaults are left out, so the provider's own defaults apply.
    bare = load_rubric(
        write_rubric(BINARY.replace("defaults: {model: m, temperature: 0}", ""), "b.yaml")
    )
    assert [r.params for r in bare.requests(ITEM)] == [{}, {}] and bare.samples == 1


def test_examples_from_a_file_count_in_the_hash(write_rubric, tmp_path):
    text = BINARY.replace("examples:\n", "examples_file: shots.csv\nexamples:\n")
    (tmp_path / "shots.csv").write_text(
        "video_name,comment,labels\nL2,hola,\nL3,thanks,confusion;english\n", encoding="utf-8"
    )
    first = load_rubric(write_rubric(text))
    assert len(first.examples) == 3
    confusion = first.requests(ITEM)[0]
    assert [m["content"] for m in confusion.messages[3:7]] == [
        "Video: L2\nComment: hola",
        '{"confusion": false}',
        "Video: L3\nComment: thanks",
        '{"confusion": true}',
    ]
    (tmp_path / "shots.csv").write_text(
        "video_name,comment,labels\nL2,hola,\nL3,thanks!,confusion\n", encoding="utf-8"
    )
    assert load_rubric(write_rubric(text)).hash != first.hash


@pytest.mark.parametrize("name", ["sight.yaml", "sight-joint.yaml", "mathdial-moves.yaml"])
def test_static_rubric_text_comes_first_so_the_prefix_is_shared(name):
    from edukit.resources import bundled

    from .test_golden import COMMENT, TURN

    rubric = load_rubric(bundled("rubrics", name))
    base = TURN if name.startswith("mathdial") else COMMENT
    other = {k: f"OTHER {k}" for k in base} | {"item_id": "other"}
    for a, b in zip(rubric.requests(base), rubric.requests(other), strict=True):
        # Everything but the last message (instructions, definitions, few-shot) is identical.
        assert a.messages[:-1] == b.messages[:-1] and len(a.messages) >= 2
        assert a.messages[-1]["role"] == "user" and "OTHER text" not in str(a.messages)
        assert all("OTHER" not in str(m) for m in b.messages[:-1])
        assert "OTHER" in b.messages[-1]["content"]


def test_default_template_reads_the_unit_fields_in_order(write_rubric):
    rubric = load_rubric(
        write_rubric(
            """
            name: d
            version: "1"
            task: multi
            unit: {id_field: cid, text_field: body, context_fields: [course, week]}
            labels: [{name: a, definition: b}]
            """
        )
    )
    (request,) = rubric.requests({"cid": 7.0, "body": "hi", "course": "Calc", "week": 3})
    assert request.item_id == "7"
    assert request.messages[-1]["content"] == "course: Calc\nweek: 3\nbody: hi"
