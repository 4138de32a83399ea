"""`edukit rubric ...` end to end, in process."""

from __future__ import annotations

import json

import pytest

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


# Each validation error kind of the issue, through the CLI: one line, file:line:column and the
# key path, exit 2, nothing on stdout.
_BAD = {
    "unknown key": (
        MINIMAL.replace("  text_field: comment", "  text_feild: comment"),
        "5:3: unit.text_feild: unknown key (did you mean 'text_field'?)",
    ),
    "duplicate label": (
        MINIMAL.replace("name: gratitude", "name: confusion"),
        "9:5: labels[1].name: duplicate label 'confusion' (first defined at labels[0])",
    ),
    "example naming an unknown label": (
        MINIMAL + "examples:\n  - item: {comment: thanks}\n    labels: [gratitud]\n",
        "12:5: example names unknown label 'gratitud' (did you mean 'gratitude'?)",
    ),
    "unsafe YAML tag": (
        MINIMAL.replace("name: demo", "name: !!python/name:os.system demo"),
        "1:7: name: unsafe or unknown YAML tag 'tag:yaml.org,2002:python/name:os.system'",
    ),
    "template reaching Python internals": (
        MINIMAL + "template: |\n  Comment: {{ comment }}\n  {{ comment.__class__.__mro__ }}\n",
        "13:1: template: template may not access '__mro__'",
    ),
    "template reading the environment": (
        MINIMAL + "template: \"{{ environ['HOME'] }}\"\n",
        "11:1: template: template may not use 'environ'",
    ),
}


@pytest.mark.parametrize("kind", sorted(_BAD))
def test_each_validation_error_is_one_line_exit_2(cli, write_rubric, kind):
    text, message = _BAD[kind]
    path = write_rubric(text)
    r = cli("rubric", "validate", path)
    assert (r.code, r.out, r.err) == (2, "", f"Error: {path}:{message}\n")
    # render and hash refuse the same file the same way
    data = _items(path.parent, "item_id,comment\n1,x\n")
    for args in (("render", path, "--data", data), ("hash", path)):
        again = cli("rubric", *args)
        assert (again.code, again.err) == (2, f"Error: {path}:{message}\n")


def test_template_field_missing_from_data_via_cli(cli, write_rubric, tmp_path):
    path = write_rubric(MINIMAL + "template: |\n  Video: {{ video }}\n  Comment: {{ comment }}\n")
    data = _items(tmp_path, "item_id,comment,video_name\n1,hi,v\n")
    for command in ("validate", "render"):
        r = cli("rubric", command, path, "--data", data)
        assert (r.code, r.out) == (2, "")
        assert r.err.startswith(
            f"Error: {path}:12:1: template: field 'video' is not a column of {data} (did you "
            "mean 'video_name'?) (columns: item_id, "
        )
        assert r.err.count("\n") == 1


@pytest.mark.parametrize(
    ("folder", "versions"),
    [
        ("bin_zeroshot", "clarification v1, confusion v8, general v39, na v3, non_english v0, "),
        ("bin_kshot", "clarification v74, confusion v74, general v74, na v74, non_english v74, "),
        ("bin_kshot_reasoning", "clarification v75, confusion v75, general v75, na v75, "),
    ],
)
def test_import_sight_folders_via_cli_keep_versions_and_validate(
    cli, shared_data, tmp_path, folder, versions
):
    out = tmp_path / f"{folder}.yaml"
    r = cli("rubric", "import-sight", shared_data / "sight" / "prompts" / folder, "--out", out)
    assert r.code == 0, r.err
    assert r.out.startswith(f"Wrote {out}: 9 labels ({versions}")
    data = shared_data / "sight" / "annotations" / "sample_dataset.csv"
    v = cli("rubric", "validate", out, "--data", data)
    assert (v.code, v.err) == (0, "")
    rubric = load_rubric(out)
    assert f"{rubric.name} {folder} (binary, 9 labels, 0 examples) hash {rubric.hash}" in v.out
    # The version travels into the rendered request and into each decoded annotation.
    rendered = json.loads(cli("rubric", "render", out, "--data", data, "--label", "general").out)
    item = dict.fromkeys(("comment", "video_name", "playlist_name"), "x")
    request = rubric.requests({**item, "item_id": rendered[0]["item_id"]})[2]
    assert request.key == "general"
    assert rendered[0]["version"] == request.version == versions.split("general ")[1][:3]
    answer = {"reasoning": "r", "general": True} if "reasoning" in folder else {"general": True}
    assert rubric.decode(request, answer)[0].version == request.version


def test_import_sight_bad_folder_and_unwritable_out(cli, shared_data, tmp_path):
    prompts = shared_data / "sight" / "prompts"
    r = cli("rubric", "import-sight", prompts, "--out", tmp_path / "x.yaml")
    assert (r.code, r.err) == (
        2,
        f"Error: {prompts}: not a SIGHT prompt folder: info.json is missing\n",
    )
    out = tmp_path / "no" / "x.yaml"
    r = cli("rubric", "import-sight", prompts / "bin_kshot", "--out", out)
    assert (r.code, r.err) == (
        2,
        f"Error: {out}: cannot write the rubric: No such file or directory\n",
    )


def test_render_label_typo_suggests(cli, tmp_path):
    data = _items(tmp_path, "item_id,comment,video_name,playlist_name\n1,first,v1,p1\n")
    r = cli("rubric", "render", SIGHT, "--data", data, "--label", "confusio")
    assert (r.code, r.out) == (2, "")
    assert (
        r.err == f"Error: {SIGHT}: --label: unknown label 'confusio' (did you mean 'confusion'?)\n"
    )


@pytest.mark.parametrize(
    ("rubric", "data", "item", "first"),
    [
        ("sight.yaml", "sight/sample_dataset.csv", None, "Playlist: "),
        ("sight-joint.yaml", "sight/sample_dataset.csv", None, "Playlist: "),
        ("mathdial-moves.yaml", "mathdial/test.csv", "test-0:2", "Word problem:\n"),
        ("mathdial-moves.yaml", "mathdial/example.jsonl", None, "Word problem:\n"),
    ],
)
def test_render_bundled_rubrics_on_bundled_samples(cli, repo_root, rubric, data, item, first):
    path = repo_root / "datasets" / data
    args = ("--item", item) if item else ()
    r = cli("rubric", "render", bundled("rubrics", rubric), "--data", path, *args)
    assert r.code == 0, r.err
    requests = json.loads(r.out)
    assert len(requests) == (9 if rubric == "sight.yaml" else 1)
    for request in requests:
        assert request["messages"][-1]["content"].startswith(first)
        assert "{{" not in request["messages"][-1]["content"]
