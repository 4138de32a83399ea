"""Bundled rubrics and samples by name, from a folder that holds neither (issue 18)."""

from __future__ import annotations

import json

import pytest

from edukit.resources import resolve_input, rubric_names

BUNDLED_RUBRICS = {
    "mathdial-moves",
    "sight",
    "sight-joint",
    "talkmoves-teacher",
    "talkmoves-student",
}


@pytest.fixture(autouse=True)
def empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rubric_list_shows_every_bundled_rubric_on_one_line(cli, repo_root):
    r = cli("rubric", "list")
    assert r.code == 0, r.err
    lines = r.out.strip().splitlines()
    on_disk = {p.stem for p in (repo_root / "rubrics").glob("*.yaml")}
    assert on_disk >= BUNDLED_RUBRICS
    assert {line.split()[0] for line in lines} == on_disk == set(rubric_names())
    moves = next(line for line in lines if line.startswith("mathdial-moves "))
    assert "1.0" in moves and "single, 4 labels" in moves and "Teacher moves" in moves


def test_a_rubric_added_to_the_bundled_folder_is_listed(cli, monkeypatch, tmp_path, repo_root):
    import edukit.resources as resources

    folder = tmp_path / "bundle" / "rubrics"
    folder.mkdir(parents=True)
    for p in (repo_root / "rubrics").glob("*.yaml"):
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "extra.yaml").write_bytes((repo_root / "rubrics" / "sight.yaml").read_bytes())
    monkeypatch.setattr(resources, "_WHEEL", tmp_path / "bundle")
    r = cli("rubric", "list")
    assert r.code == 0, r.err
    on_disk = [p.stem for p in (repo_root / "rubrics").glob("*.yaml")]
    assert [line.split()[0] for line in r.out.splitlines()] == sorted([*on_disk, "extra"])


@pytest.mark.parametrize("name", sorted(BUNDLED_RUBRICS))
def test_rubric_by_name_validates_from_an_empty_folder(cli, name, repo_root):
    r = cli("rubric", "validate", name)
    assert r.code == 0, r.err
    expected = cli("rubric", "hash", repo_root / "rubrics" / f"{name}.yaml").out.strip()
    assert r.out.startswith(f"{name}: ok: {name} 1.0") and r.out.strip().endswith(expected)


def test_a_file_of_that_name_wins_over_the_bundled_rubric(cli, empty_folder, repo_root):
    # a user's own file called like a bundled rubric is read, not the bundled one
    (empty_folder / "sight").write_bytes((repo_root / "rubrics" / "sight-joint.yaml").read_bytes())
    assert cli("rubric", "hash", "sight").out == cli("rubric", "hash", "sight-joint").out


def test_unknown_rubric_name_suggests_the_bundled_one(cli):
    r = cli("rubric", "validate", "mathdial-move")
    assert r.code == 2
    assert r.err.strip() == (
        "Error: mathdial-move: rubric file not found (did you mean 'mathdial-moves'?)"
    )
    r = cli("rubric", "hash", "zzz")
    assert r.code == 2 and f"(bundled rubrics: {', '.join(rubric_names())})" in r.err
    assert "mathdial-moves, " in r.err


def test_rubric_copy_starts_an_own_rubric(cli, empty_folder):
    r = cli("rubric", "copy", "mathdial-moves", "my-moves.yaml")
    assert r.code == 0, r.err
    assert "Wrote my-moves.yaml" in r.out
    assert cli("rubric", "hash", "my-moves.yaml").out == cli("rubric", "hash", "mathdial-moves").out
    again = cli("rubric", "copy", "mathdial-moves", "my-moves.yaml")
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert cli("rubric", "copy", "sight", ".").code == 0
    assert (empty_folder / "sight.yaml").is_file()
    r = cli("rubric", "copy", "sigth", "x.yaml")
    assert (
        r.code == 2 and "did you mean 'sight'" in r.err and not (empty_folder / "x.yaml").exists()
    )


def test_annotate_dry_run_with_bundled_names(cli):
    r = cli(
        "annotate",
        "sample:sight",
        "--rubric",
        "sight",
        "--model",
        "gpt-4o-mini",
        "--dry-run",
    )
    assert r.code == 0, r.err
    # 161 comments x 9 labels, each a yes/no request
    assert "1449 requests to gpt-4o-mini" in r.out


def test_samples_read_wherever_a_file_is_read(cli, empty_folder, repo_root):
    info = cli("info", "sample:mathdial")
    assert info.code == 0, info.err
    assert info.out.startswith(
        "sample:mathdial: MathDial dialogues (comma-separated)\n12 dialogues"
    )
    assert cli("info", "sample:mathdial-jsonl").out.startswith("sample:mathdial-jsonl: MathDial")
    sight = cli("info", "sample:sight", "--prompts", "sample:sight-prompts")
    assert sight.code == 0 and "161 comments" in sight.out
    # a path inside the bundled datasets folder works too
    same = cli("info", "sample:mathdial/test.csv")
    assert same.out.replace("sample:mathdial/test.csv", "sample:mathdial") == info.out
    load = cli("load", "mathdial", "sample:mathdial", "--level", "utterances", "--out", "u.csv")
    assert load.code == 0, load.err
    assert (empty_folder / "u.csv").is_file()
    exp = cli("export", "finetune", "sample:mathdial", "--format", "openai-chat", "--out", "ft/")
    assert exp.code == 0, exp.err
    agree = cli("agree", "sample:sight", "--raters", "H1,H2", "--labels", "confusion")
    assert agree.code == 0, agree.err
    render = cli("rubric", "render", "mathdial-moves", "--data", "sample:mathdial")
    assert render.code == 0 and json.loads(render.out)[0]["item_id"]


def test_unknown_sample_is_one_line_naming_the_samples(cli):
    r = cli("info", "sample:mathdail")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: sample:mathdail: no bundled sample 'mathdail'")
    assert "(did you mean 'mathdial'?)" in lines[0] and "sample:mathdail" in lines[0]
    # a sample path cannot leave the bundled folder
    with pytest.raises(Exception, match="no bundled sample"):
        resolve_input("sample:../pyproject.toml")


def test_datasets_list_shows_the_samples(cli):
    r = cli("datasets", "list")
    assert r.code == 0, r.err
    listed = [line.split()[0] for line in r.out.splitlines() if line.startswith("  sample:")]
    assert {"sample:mathdial", "sample:sight", "sample:sight-prompts"} <= set(listed)
    for name in listed:  # each one resolves to a bundled file or folder
        assert resolve_input(name).exists(), name
