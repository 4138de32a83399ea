"""SIGHT prompt folders become binary rubrics; brace text survives the move to Jinja."""

from __future__ import annotations

import json

import pytest

from edukit.errors import RubricError
from edukit.rubric import dump_rubric, import_sight, load_rubric, to_jinja


def _folder(tmp_path, prompts: dict[str, str], cot=()):
    folder = tmp_path / "bin_demo"
    (folder / "label_prompts").mkdir(parents=True)
    info = {
        "valid_labels": {
            "confusion": {"true": 1, "false": 0},
            "non_english": {"true": 0, "false": 1},
            "bookmark": {"true": 1, "false": 0},
        },
        "cot_labels": list(cot),
        "valid_responses": ["true", "false"],
    }
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    for name, text in prompts.items():
        (folder / "label_prompts" / name).write_text(text, encoding="utf-8")
    return folder


ITEM = {"item_id": "1", "comment": "a {{b}} c", "video_name": "V", "playlist_name": "P"}


def test_literal_braces_survive_and_placeholders_map_to_loader_columns(tmp_path):
    prompt = (
        'Answer as {"label": true} or {% not a tag %} {# nor a comment #} {{x}}\n'
        "Playlist: {playlistName}\nVideo: {videoName}\nComment: {comment}\nSet {1, 2}{"
    )
    folder = _folder(tmp_path, {"v12b_confusion.txt": prompt, "v3_non_english.txt": "{comment}"})
    out = tmp_path / "r.yaml"
    dump_rubric(import_sight(folder), out)
    rubric = load_rubric(out)
    confusion, english = rubric.requests(ITEM)
    assert confusion.messages == [
        {
            "role": "user",
            "content": 'Answer as {"label": true} or {% not a tag %} {# nor a comment #} {{x}}\n'
            "Playlist: P\nVideo: V\nComment: a {{b}} c\nSet {1, 2}{",
        }
    ]
    assert (confusion.version, english.version) == ("v12b", "v3")
    assert rubric.labels == ["confusion", "non_english"]  # info.json order; bookmark has no file
    assert rubric.decode(english, {"non_english": True})[0].value == 0


def test_cot_labels_turn_reasoning_on_per_label(tmp_path):
    folder = _folder(
        tmp_path,
        {"v1_confusion.txt": "{comment}", "v1_non_english.txt": "{comment}"},
        cot=["confusion"],
    )
    doc = import_sight(folder)
    assert doc["output"]["reasoning"] is False
    assert [label.get("reasoning") for label in doc["labels"]] == [True, False]
    out = tmp_path / "r.yaml"
    dump_rubric(doc, out)
    confusion, english = load_rubric(out).requests(ITEM)
    assert list(confusion.schema["properties"]) == ["reasoning", "confusion"]
    assert list(english.schema["properties"]) == ["non_english"]


def test_unknown_placeholder_is_an_error_with_its_line():
    with pytest.raises(RubricError) as info:
        to_jinja("line one\nHello {userName}", None)
    assert info.value.format() == "2: unknown placeholder {userName}"


def test_prompt_for_an_unknown_label(tmp_path):
    folder = _folder(tmp_path, {"v1_humour.txt": "{comment}"})
    with pytest.raises(RubricError, match=r"label 'humour' is not in info\.json valid_labels"):
        import_sight(folder)


def test_not_a_prompt_folder(tmp_path):
    with pytest.raises(RubricError, match=r"info\.json is missing"):
        import_sight(tmp_path)
