"""One helper reads a user's file (edukit.userfile): every reader refuses a missing file, a
folder, a 300-character name, a file over the size limit and (text readers) bytes that are not
UTF-8 with one error line naming the file (issue 21)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edukit.annotate.cost import load_prices
from edukit.annotations import read_annotations
from edukit.commands.files import read_system_template
from edukit.corpora.detect import detect
from edukit.corpora.mathdial import read_mathdial
from edukit.corpora.mrbench import read_mrbench
from edukit.corpora.sight import read_sight
from edukit.corpora.tables import read_items, read_table
from edukit.errors import EdukitError, InputError
from edukit.export import validate_file
from edukit.redact.profile import read_names
from edukit.rubric import load_rubric
from edukit.userfile import check_user_file, read_user_text

# reader, file suffix, reads the file whole as UTF-8 text (else it streams it in --encoding)
READERS = {
    "read_table": (read_table, ".csv", False),
    "read_items": (lambda p: read_items(p, "item_id", "text"), ".jsonl", False),
    "detect": (detect, ".csv", False),
    "read_mathdial": (read_mathdial, ".csv", False),
    "read_sight": (read_sight, ".csv", False),
    "read_annotations": (read_annotations, ".csv", False),
    "read_mrbench": (read_mrbench, ".json", True),
    "load_rubric": (load_rubric, ".yaml", True),
    "validate_file": (lambda p: validate_file(p, "alpaca"), ".jsonl", True),
    "read_names": (read_names, ".txt", True),
    "load_prices": (load_prices, ".toml", True),
    "read_system_template": (lambda p: read_system_template(p, InputError), ".j2", True),
}


def _one_line_naming(exc: EdukitError, path: Path, *fragments: str) -> None:
    text = exc.format()
    assert "\n" not in text and str(path) in text, text
    for fragment in fragments:
        assert fragment in text, text


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_missing_file(name, tmp_path):
    fn, suffix, _ = READERS[name]
    path = tmp_path / f"missing{suffix}"
    with pytest.raises(EdukitError) as e:
        fn(path)
    _one_line_naming(e.value, path, "not found")


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_folder(name, tmp_path):
    fn, suffix, _ = READERS[name]
    path = tmp_path / f"folder{suffix}"
    path.mkdir()
    with pytest.raises(EdukitError) as e:
        fn(path)
    _one_line_naming(e.value, path, "a folder, not a")


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_300_character_file_name(name, tmp_path):
    fn, suffix, _ = READERS[name]
    path = tmp_path / ("n" * 300 + suffix)
    with pytest.raises(EdukitError) as e:
        fn(path)
    _one_line_naming(e.value, path, "the file name is too long")


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_file_over_the_size_limit(name, tmp_path, monkeypatch):
    import edukit.userfile

    fn, suffix, _ = READERS[name]
    path = tmp_path / f"big{suffix}"
    path.write_text("item_id,text\n" + "1,x\n" * 50, encoding="utf-8")
    monkeypatch.setattr(edukit.userfile, "LIMITS", {"data": 100, "text": 100})
    with pytest.raises(EdukitError) as e:
        fn(path)
    _one_line_naming(e.value, path, "too large", "edukit reads at most 100")


@pytest.mark.parametrize("name", sorted(n for n, (_, _, text) in READERS.items() if text))
def test_text_that_is_not_utf8(name, tmp_path):
    fn, suffix, _ = READERS[name]
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes("caf\u00e9 = 1\n".encode("latin-1"))
    with pytest.raises(EdukitError) as e:
        fn(path)
    _one_line_naming(e.value, path, "not UTF-8 text (invalid continuation byte at byte 3)")


def test_the_helper_names_what_it_reads(tmp_path):
    names = tmp_path / "names.txt"
    with pytest.raises(InputError, match=r"names\.txt: names file not found"):
        read_user_text(names, what="names file")
    names.write_bytes(b"\xef\xbb\xbfAda\n")
    assert read_user_text(names, what="names file") == "Ada\n"  # the BOM is dropped
    assert check_user_file(names, what="names file") == names
    with pytest.raises(InputError, match="a folder, not a names file"):
        check_user_file(tmp_path, what="names file")
    with pytest.raises(InputError, match=r"^sample:nope: no bundled sample"):
        check_user_file("sample:nope", what="file")
