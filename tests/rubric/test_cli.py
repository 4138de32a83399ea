"""`edukit rubric ...` end to end, in process."""

from __future__ import annotations

import json

from edukit.resources import bundled
from edukit.rubric import load_rubric

from .conftest import MINIMAL

SIGHT = bundled("rubrics", "sight.yaml")


def _items(tmp_path, rows: str, name: str = "items.csv"):
    path = tmp_path / name
    path.write_text(rows, encoding="utf-8")
    return path


def test_validate_ok_prints_the_hash(cli):
    r = cli("rubric", "validate", SIGHT)
    assert r.code == 0, r.err
    assert r.out.strip() == (
        f"{SIGHT}: ok: sight 1.0 (binary, 9 labels, 2 examples) hash {load_rubric(SIGHT).hash}"
    )


def test_validate_error_is_one_line_exit_2(cli, write_rubric):
    path = write_rubric(MINIMAL.replace("definition: thanks someone", "definiton: thanks"))
    r = cli("rubric", "validate", path)
    assert r.code == 2
    assert r.err == (
        f"Error: {path}:10:5: labels[1].definiton: unknown key (did you mean 'definition'?)\n"
    )


def test_validate_with_data_missing_field(cli, tmp_path):
    data = _items(tmp_path, "item_id,text,video_name\n1,hi,v\n")
    r = cli("rubric", "validate", SIGHT, "--data", data)
    assert r.code == 2
    assert r.err.startswith(f"Error: {SIGHT}:24:1: template: field 'playlist_name' is not a column")


def test_validate_warns_on_leakage_and_exits_0(cli, tmp_path):
    example = "At 31:10 shouldn't the derivative of r^2 be 2r dr/dt and not 2r?"
    data = _items(
        tmp_path,
        f'item_id,comment,video_name,playlist_name\n7134,"{example}",v,p\n8,"Nice lecture",v,p\n',
    )
    r = cli("rubric", "validate", SIGHT, "--data", data)
    assert r.code == 0, r.err
    assert r.err.count("Warning: ") == 1
    assert "few-shot example 2 also appears in" in r.err and "(item 7134)" in r.err


def test_render_prints_exact_requests_as_json(cli, tmp_path):
    data = _items(
        tmp_path,
        "item_id,comment,video_name,playlist_name\n1,first,v1,p1\n7134,Gracias!,v2,p2\n",
    )
    r = cli("rubric", "render", SIGHT, "--data", data, "--item", "7134", "--label", "non_english")
    assert r.code == 0, r.err
    (request,) = json.loads(r.out)
    expected = load_rubric(SIGHT).requests(
        {"item_id": "7134", "comment": "Gracias!", "video_name": "v2", "playlist_name": "p2"}
    )[7]
    assert request["key"] == "non_english" == expected.key
    assert request["messages"] == expected.messages
    assert request["schema"] == expected.schema
    assert request["messages"][-1]["content"] == "Playlist: p2\nVideo: v2\nComment: Gracias!"


def test_render_all_labels_of_the_first_item(cli, tmp_path):
    data = _items(tmp_path, "item_id,comment,video_name,playlist_name\n1,first,v1,p1\n")
    r = cli("rubric", "render", SIGHT, "--data", data)
    assert r.code == 0, r.err
    assert [q["key"] for q in json.loads(r.out)] == load_rubric(SIGHT).labels


def test_render_unknown_item(cli, tmp_path):
    data = _items(tmp_path, "item_id,comment,video_name,playlist_name\n1,first,v1,p1\n")
    r = cli("rubric", "render", SIGHT, "--data", data, "--item", "99")
    assert (r.code, r.err) == (2, f"Error: {data}: no item with item_id '99'\n")


def test_render_mathdial_real_split(cli, shared_data):
    r = cli(
        "rubric",
        "render",
        bundled("rubrics", "mathdial-moves.yaml"),
        "--data",
        shared_data / "mathdial" / "test.csv",
        "--item",
        "test-0:2",
    )
    assert r.code == 0, r.err
    (request,) = json.loads(r.out)
    assert request["item_id"] == "test-0:2" and request["key"] == "move"
    assert "Conversation so far:\nTeacher: " in request["messages"][-1]["content"]


def test_import_sight_writes_a_valid_rubric(cli, shared_data, tmp_path):
    out = tmp_path / "zeroshot.yaml"
    r = cli(
        "rubric", "import-sight", shared_data / "sight" / "prompts" / "bin_zeroshot", "--out", out
    )
    assert r.code == 0, r.err
    assert r.out.startswith(f"Wrote {out}: 9 labels (clarification v1, confusion v8, general v39,")
    data = shared_data / "sight" / "annotations" / "sample_dataset.csv"
    v = cli("rubric", "validate", out, "--data", data)
    assert v.code == 0, v.err
    assert "sight-bin_zeroshot bin_zeroshot (binary, 9 labels, 0 examples)" in v.out


def test_hash_and_schema(cli, write_rubric):
    path = write_rubric(MINIMAL)
    r = cli("rubric", "hash", path)
    assert (r.code, r.out) == (0, load_rubric(path).hash + "\n")
    s = cli("rubric", "schema")
    schema = json.loads(s.out)
    assert s.code == 0 and schema["title"] == "edukit rubric"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "version", "task", "labels"}
    assert schema["$defs"]["Label"]["additionalProperties"] is False


def test_unsafe_tag_via_cli(cli, write_rubric):
    path = write_rubric(
        MINIMAL.replace('version: "2"', "version: !!python/object/apply:os.getcwd []")
    )
    r = cli("rubric", "validate", path)
    assert r.code == 2
    assert r.err == (
        f"Error: {path}:2:10: version: unsafe or unknown YAML tag "
        "'tag:yaml.org,2002:python/object/apply:os.getcwd'\n"
    )
