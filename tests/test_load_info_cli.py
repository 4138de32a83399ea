"""`edukit load ...` and `edukit info`: outputs, written tables and one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edukit.corpora.mathdial import read_mathdial
from edukit.resources import bundled

SAMPLES = bundled("datasets", "mathdial")
WIDE = (
    "datasplit,comment,video_id,video_name,playlist_name,annotator_H1_confusion,"
    "annotator_H2_confusion,comment_id,annotator_openaichat_v8_confusion\n"
    'train,"I am lost, why 2?",vid1,Lec 1,MIT,1,1,7134.0,1\n'
    "train,Thanks!,vid1,Lec 1,MIT,0,,12.0,0\n"
)


def _one_line_error(r, expected: str) -> None:
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0] == expected
    assert "Traceback" not in r.err


def test_load_mathdial_summary(cli):
    r = cli("load", "mathdial", SAMPLES / "test.csv")
    assert r.code == 0
    assert r.out.splitlines()[0] == (
        f"{SAMPLES / 'test.csv'}: 12 dialogues, 63 utterances (33 teacher, 30 student)"
    )
    assert "Warning: 3 teacher turns with a move tag and no text" in r.err.splitlines()


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_load_mathdial_utterances_roundtrip(cli, tmp_path, ext):
    out = tmp_path / f"utt.{ext}"
    r = cli("load", "mathdial", SAMPLES / "test.jsonl", "--level", "utterances", "--out", out)
    assert r.code == 0, r.err
    assert r.out.strip() == f"Wrote 63 utterances to {out}"
    back = {
        "csv": lambda: pd.read_csv(out, dtype=str, keep_default_na=False),
        "jsonl": lambda: pd.read_json(out, lines=True, dtype=False),
        "parquet": lambda: pd.read_parquet(out),
    }[ext]()
    expected = read_mathdial(SAMPLES / "test.jsonl").utterances
    assert back.columns.tolist() == expected.columns.tolist()
    assert back["item_id"].tolist() == expected["item_id"].tolist()
    assert back["text"].tolist() == expected["text"].tolist()
    assert back["history"].tolist() == expected["history"].tolist()  # newlines survive
    assert [str(m) for m in back["move"]] == expected["move"].tolist()


def test_load_mathdial_dialogues_keeps_missing_annotations(cli, tmp_path):
    out = tmp_path / "d.jsonl"
    r = cli("load", "mathdial", SAMPLES / "test.csv", "--level", "dialogues", "--out", out)
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    assert rows[5]["dialogue_id"] == "test-5"
    assert rows[5]["self_correctness"] is None and rows[5]["self_typical_confusion"] is None
    assert rows[0]["self_typical_confusion"] == 4 and rows[0]["qid"] == "7000001"


def test_load_sight_annotations_and_items(cli, tmp_path):
    src = tmp_path / "sample.csv"
    src.write_text(WIDE, encoding="utf-8")
    r = cli("load", "sight", src)
    assert r.code == 0
    assert r.out.splitlines()[0] == f"{src}: 2 comments, 5 annotations by 3 raters on 1 label"
    out = tmp_path / "ann.csv"
    assert cli("load", "sight", src, "--out", out).code == 0
    ann = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert ann.columns.tolist() == ["item_id", "rater", "label", "value", "version"]
    assert len(ann) == 5
    items = tmp_path / "items.csv"
    assert cli("load", "sight", src, "--level", "items", "--out", items).code == 0
    assert pd.read_csv(items, dtype=str)["item_id"].tolist() == ["7134", "12"]


def test_load_table(cli, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("id,body\n1,hello\n2,bye\n", encoding="utf-8")
    out = tmp_path / "items.jsonl"
    r = cli("load", "table", src, "--id-col", "id", "--text-col", "body", "--out", out)
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"item_id": "1", "text": "hello"}, {"item_id": "2", "text": "bye"}]


def test_info_mathdial(cli):
    r = cli("info", SAMPLES / "example.jsonl")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0] == f"{SAMPLES / 'example.jsonl'}: MathDial dialogues"
    assert lines[1] == "12 dialogues (11 distinct qids), 63 turns"
    assert "teacher     33" in lines and "student     30" in lines
    assert "generic             11" in lines and "(none)               1" in lines
    assert len(r.err.strip().splitlines()) == 5


def test_info_json(cli):
    r = cli("info", SAMPLES / "test.csv", "--json")
    s = json.loads(r.out)
    assert s["moves"]["hint"] == 2 and s["speakers"] == {"teacher": 33, "student": 30}


def test_info_sight(cli, tmp_path):
    src = tmp_path / "sample.csv"
    src.write_text(WIDE, encoding="utf-8")
    r = cli("info", src)
    assert r.code == 0
    assert r.out.splitlines()[1] == (
        "2 comments, 5 annotations; raters: H1, H2, openaichat; labels: confusion"
    )
    assert r.out.splitlines()[-1].split() == ["confusion", "openaichat", "v8", "2", "1"]


@pytest.mark.shared
def test_info_real_mathdial(cli, shared_data):
    r = cli("info", shared_data / "mathdial" / "test.jsonl")
    assert r.code == 0
    assert "599 dialogues (394 distinct qids), 7,028 turns" in r.out
    assert "focus            1,259" in r.out.splitlines()


@pytest.mark.shared
def test_info_real_sight_full(cli, shared_data):
    r = cli("info", shared_data / "sight" / "annotations" / "sight_dataset.csv")
    assert r.code == 0
    assert "space-separated" in r.out.splitlines()[0]
    # the file's 15,784 rows and the 15,746 comments they hold, on stdout and in the warning
    assert r.out.splitlines()[1] == (
        "15,746 comments (15,784 rows: 38 repeat a comment_id, first kept), 47,238 annotations; "
        "raters: openaichat; labels: confusion, pedagogy, setup"
    )
    assert r.err.splitlines() == [
        "Warning: 15,784 rows, 15,746 comments: 38 rows repeat a comment_id seen earlier "
        "(6 with different values); kept the first of each"
    ]
    assert [line.split() for line in r.out.splitlines()[4:]] == [
        ["confusion", "openaichat", "v8", "15,746", "2,539"],
        ["pedagogy", "openaichat", "v74", "15,746", "719"],
        ["setup", "openaichat", "v0", "15,746", "670"],
    ]


def test_info_sample_sight_full_reports_the_repeated_id(cli):
    r = cli("info", bundled("datasets", "sight", "sight_dataset.csv"))
    assert r.code == 0
    assert r.out.splitlines()[1].startswith(
        "24 comments (25 rows: 1 repeats a comment_id, first kept), 71 annotations;"
    )
    assert r.err.splitlines() == [
        "Warning: 25 rows, 24 comments: 1 row repeats a comment_id seen earlier "
        "(0 with different values); kept the first of each"
    ]


def test_missing_file_error(cli, tmp_path):
    missing = tmp_path / "nope.csv"
    _one_line_error(cli("info", missing), f"Error: {missing}: file not found")
    _one_line_error(cli("load", "mathdial", missing), f"Error: {missing}: file not found")


def test_unknown_format_error(cli, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("hello")
    _one_line_error(
        cli("info", src),
        f"Error: {src}: unknown format '.txt': expected one of .csv, .jsonl, .parquet",
    )
    out = tmp_path / "out.xlsx"
    r = cli("load", "mathdial", SAMPLES / "test.csv", "--out", out)
    assert r.code == 2 and r.err.startswith(f"Error: {out}: unknown table format '.xlsx'")


def test_missing_columns_error(cli, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("id,body\n1,hello\n")
    r = cli("load", "mathdial", src)
    assert r.code == 2
    assert r.err.startswith(f"Error: {src}:1: not a MathDial file: missing columns 'qid'")
    r = cli("load", "table", src, "--id-col", "id", "--text-col", "text")
    assert r.code == 2 and r.err.startswith(f"Error: {src}:1: missing column 'text'")


def test_malformed_conversation_error(cli, tmp_path):
    text = (SAMPLES / "test.csv").read_text(encoding="utf-8")
    src = tmp_path / "broken.csv"
    # dialogue 0 is on line 2 (no newlines in its fields); break its third turn
    src.write_text(text.replace("|EOM|Teacher: (probing)Did Mia", "|EOM|Did Mia", 1))
    _one_line_error(
        cli("load", "mathdial", src),
        f"Error: {src}:2: malformed conversation in dialogue broken-0: turn 2 has no "
        "'Teacher:' or 'Student:' prefix: 'Did Mia get apples or give them away?'",
    )


def test_bad_level_is_usage_error(cli):
    r = cli("load", "mathdial", SAMPLES / "test.csv", "--level", "turns")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert r.err.startswith("Error: ")


def _truncated(src, dest, size):
    dest.write_bytes(src.read_bytes()[:size])
    return dest


@pytest.mark.parametrize("command", [("load", "mathdial"), ("info",)])
def test_truncated_csv_names_the_record_with_the_open_quote(cli, tmp_path, command):
    # the sample's second record (row 3, header = row 1) spans several lines and is cut inside
    # a quoted field
    src = SAMPLES / "test.csv"
    text = src.read_text(encoding="utf-8")
    third = text.index("\n7000", text.index("\n7000") + 1)  # records start with a qid
    cut = text.index("|EOM|", third)  # inside the quoted conversation
    bad = _truncated(src, tmp_path / "t.csv", len(text[:cut].encode()))
    _one_line_error(
        cli(*command, bad),
        f"Error: {bad}:3: malformed CSV: a quoted field is never closed (the file ends inside it)",
    )


def test_csv_row_with_an_extra_field(cli, tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    _one_line_error(
        cli("load", "table", bad, "--id-col", "a", "--text-col", "b"),
        f"Error: {bad}:3: row has 3 fields but the header has 2",
    )


@pytest.mark.parametrize("kind", ["mathdial", "sight"])
def test_empty_and_binary_files(cli, tmp_path, kind):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00not text")
    r = cli("load", kind, empty)
    assert r.code == 2 and r.err.startswith(f"Error: {empty}") and "empty file" in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    _one_line_error(
        cli("load", kind, binary),
        f"Error: {binary}: not UTF-8 text (invalid start byte at byte 0); if it came from Excel "
        "on Windows, try --encoding cp1252",
    )
