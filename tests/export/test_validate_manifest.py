"""`export validate` reads the format from the manifest and names the format a file looks like."""

from __future__ import annotations

import pytest

from edukit.export import FORMATS


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The bundled MathDial sample exported once in every format, through the CLI."""
    from edukit.cli import main

    root = tmp_path_factory.mktemp("exports")
    for fmt in FORMATS:
        code = main(
            ["export", "finetune", "sample:mathdial", "--format", fmt, "--out", str(root / fmt)]
        )
        assert code == 0
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_comes_from_the_manifest(cli, exported, fmt):
    path = exported / fmt / "train.jsonl"
    r = cli("export", "validate", path)
    assert r.code == 0, r.err
    assert r.out.endswith(f", valid {fmt}\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_format_names_the_one_the_file_looks_like(cli, exported, fmt):
    path = exported / fmt / "train.jsonl"
    for wrong in FORMATS:
        if wrong == fmt or {wrong, fmt} == {"openai-chat", "trl-messages"}:
            continue  # OpenAI's chat format accepts TRL messages lines
        r = cli("export", "validate", path, "--format", wrong)
        assert r.code == 2
        assert r.out == ""
        lines = r.err.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"Error: {path}: not {wrong}: the file looks like {fmt} ")


def test_without_manifest_or_format_the_error_says_what_the_file_looks_like(
    cli, exported, tmp_path
):
    path = tmp_path / "mine.jsonl"
    path.write_bytes((exported / "sharegpt" / "train.jsonl").read_bytes())
    r = cli("export", "validate", path)
    assert r.code == 2
    assert r.err == (
        f"Error: {path}: no --format and no manifest.json beside the file naming it "
        "(it looks like sharegpt: --format sharegpt)\n"
    )


def test_a_manifest_that_does_not_list_the_file_is_not_used(cli, exported, tmp_path):
    (tmp_path / "manifest.json").write_bytes((exported / "alpaca" / "manifest.json").read_bytes())
    path = tmp_path / "other.jsonl"
    path.write_bytes((exported / "alpaca" / "train.jsonl").read_bytes())
    r = cli("export", "validate", path)
    assert r.code == 2 and "no --format and no manifest.json" in r.err
