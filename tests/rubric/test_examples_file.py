"""Few-shot examples from a JSONL or CSV file: read in order, every fault at its file:line."""

from __future__ import annotations

import json

import pytest

from edukit.errors import RubricError
from edukit.rubric import load_rubric

RUBRIC = """
name: demo
version: "1"
task: multi
labels:
  - {name: gratitude, definition: thanks someone}
  - {name: confusion, definition: asks a math question}
examples_file: {file}
"""


def _load(write_rubric, tmp_path, name: str, content: bytes | str):
    shots = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    shots.write_bytes(content)
    return load_rubric(write_rubric(RUBRIC.replace("{file}", name))), shots


def test_jsonl_examples_flat_or_nested_in_file_order(write_rubric, tmp_path):
    rubric, shots = _load(
        write_rubric,
        tmp_path,
        "shots.jsonl",
        '{"text": "thanks!", "labels": ["gratitude"]}\n\n'
        '{"item": {"text": "why 0! = 1?"}, "labels": ["confusion", "gratitude"]}\n',
    )
    assert [(e.item, e.labels) for e in rubric.examples] == [
        ({"text": "thanks!"}, ["gratitude"]),
        ({"text": "why 0! = 1?"}, ["confusion", "gratitude"]),
    ]
    assert rubric.example_origins == [(shots, "1"), (shots, "3")]
    (request,) = rubric.requests({"item_id": "1", "text": "hi"})
    assert [m["content"] for m in request.messages[1:5]] == [
        "text: thanks!",
        json.dumps({"gratitude": True, "confusion": False}),
        "text: why 0! = 1?",
        json.dumps({"gratitude": True, "confusion": True}),
    ]


def test_csv_examples_semicolons_json_lists_and_multiline_cells(write_rubric, tmp_path):
    rubric, _ = _load(
        write_rubric,
        tmp_path,
        "shots.csv",
        'text,labels\n"two\nlines",gratitude; confusion\n\nplain,\nlisted,"[""confusion""]"\n',
    )
    assert [(e.item, e.labels) for e in rubric.examples] == [
        ({"text": "two\nlines"}, ["gratitude", "confusion"]),
        ({"text": "plain"}, []),
        ({"text": "listed"}, ["confusion"]),
    ]
    # Each example's origin is the line its row starts on.
    assert [where for _, where in rubric.example_origins] == ["2", "5", "6"]


@pytest.mark.parametrize(
    ("name", "content", "where", "message"),
    [
        ("s.csv", 'text,labels\nhi,"[gratitude"\n', ":2", "labels: not a JSON list: Expecting"),
        ("s.csv", 'text,labels\nhi,"[1, 2]"\n', ":2", "labels[0]: Input should be a valid string"),
        ("s.csv", "text\nhi\n", ":1", "no 'labels' column (columns: text)"),
        ("s.csv", "text,labels\nhi,gratitude,1\n", ":2", "row has 3 cells but the header has 2"),
        ("s.csv", b"text,labels\n\xff\xfe,gratitude\n", "", "examples file is not UTF-8 text"),
        ("s.csv", 'text,labels\n"a\nb",gratitude\nc,nope\n', ":4", "example names unknown label"),
        ("s.jsonl", '{"text": "hi"}\n', ":1", "example has no 'labels'"),
        ("s.jsonl", '{"text": "a", "labels": []}\n{"text": "x", "labels": 5}\n', ":2", "labels:"),
        ("s.jsonl", '{"text": "a", "labels": [], "reasoning": 4}\n', ":1", "reasoning: Input"),
        ("s.jsonl", '{"item": 3, "labels": []}\n', ":1", "item: Input should be a valid dict"),
        ("s.jsonl", "\n\n{bad\n", ":3", "invalid JSON: Expecting property name"),
        ("s.jsonl", '["gratitude"]\n', ":1", "each line must be a JSON object"),
        ("s.jsonl", b"\xff\n", "", "examples file is not UTF-8 text"),
    ],
)
def test_bad_examples_file_is_one_error_at_its_line(
    write_rubric, tmp_path, name, content, where, message
):
    with pytest.raises(RubricError) as info:
        _load(write_rubric, tmp_path, name, content)
    assert info.value.format().startswith(f"{tmp_path / name}{where}: {message}")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.jsonl", "examples_file: no such file: {dir}/missing.jsonl"),
        ("shots.txt", "examples_file: must be a .jsonl or .csv file"),
    ],
)
def test_examples_file_that_cannot_be_used_points_at_the_rubric_line(
    write_rubric, tmp_path, name, message
):
    (tmp_path / "shots.txt").write_text("text,labels\n", encoding="utf-8")
    path = write_rubric(RUBRIC.replace("{file}", name))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.format() == f"{path}:7:1: " + message.format(dir=tmp_path)
