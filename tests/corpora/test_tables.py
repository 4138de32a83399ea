"""Generic tables: formats by extension, round trips, items with ids, errors naming file and row."""

from __future__ import annotations

import pandas as pd
import pytest

from edukit.corpora.tables import normalise_id, read_items, read_table, write_table
from edukit.errors import InputError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["007", "8", "9"],
            "text": ["Thanks, great lecture!", "NA", "line one\nline two, with comma"],
            "score": [1, 2, 3],
        }
    )


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_round_trip_keeps_values(tmp_path, frame, ext):
    path = write_table(frame, tmp_path / "deep" / "dir" / f"t.{ext}")
    assert path.is_file()
    back = read_table(path, dtype={"id": str})
    assert list(back.columns) == ["id", "text", "score"]
    assert back["id"].tolist() == ["007", "8", "9"]
    # "NA" is a text, not a missing value; embedded newlines survive
    assert back["text"].tolist() == frame["text"].tolist()
    assert back["score"].tolist() == [1, 2, 3]


def test_parquet_mixed_object_column_written_as_text(tmp_path):
    df = pd.DataFrame({"value": [0, 1, "focus"]}, dtype=object)
    back = read_table(write_table(df, tmp_path / "m.parquet"))
    assert back["value"].tolist() == ["0", "1", "focus"]


def test_unknown_extension(tmp_path):
    p = tmp_path / "data.xlsx"
    p.write_text("x")
    with pytest.raises(InputError) as e:
        read_table(p)
    assert e.value.path == str(p)
    assert "unknown table format '.xlsx'" in e.value.message
    with pytest.raises(InputError):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.txt")


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as e:
        read_table(tmp_path / "nope.csv")
    assert e.value.format() == f"{tmp_path / 'nope.csv'}: file not found"


def test_csv_bad_row_names_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,text\n1,a\n2,b\n3,c,extra\n")
    with pytest.raises(InputError) as e:
        read_table(p)
    assert e.value.where == 4
    assert "row has 3 fields but the header has 2" in e.value.message


def test_jsonl_bad_line_names_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1, "text": "a"}\n\n{"id": 2, "text": "b"}\n{"id": 3, text}\n')
    with pytest.raises(InputError) as e:
        read_table(p)
    assert e.value.where == 4 and e.value.path == str(p)
    p.write_text('{"id": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match="expected a JSON object") as e:
        read_table(p)
    assert e.value.where == 2


def test_not_parquet_is_input_error(tmp_path):
    p = tmp_path / "fake.parquet"
    p.write_text("id,text\n1,a\n")
    with pytest.raises(InputError, match="cannot read parquet"):
        read_table(p)


def test_empty_csv(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_table(p)


def test_normalise_id():
    assert normalise_id(7134.0) == "7134"
    assert normalise_id("7134.0") == "7134"
    assert normalise_id(12) == "12"
    assert normalise_id("test-17:3") == "test-17:3"
    assert normalise_id("1.5") == "1.5"


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_read_items(tmp_path, frame, ext):
    path = write_table(frame.rename(columns={"text": "comment"}), tmp_path / f"i.{ext}")
    items = read_items(path, "id", "comment")
    assert list(items.columns) == ["item_id", "text", "score"]
    assert items["item_id"].tolist() == ["007", "8", "9"]
    assert items["text"].tolist()[1] == "NA"


def test_read_items_float_ids_become_integer_strings(tmp_path):
    p = tmp_path / "f.jsonl"
    p.write_text('{"cid": 7134.0, "t": "a"}\n{"cid": 12, "t": "b"}\n')
    assert read_items(p, "cid", "t")["item_id"].tolist() == ["7134", "12"]


def test_read_items_missing_column(tmp_path, frame):
    path = write_table(frame, tmp_path / "i.csv")
    with pytest.raises(InputError) as e:
        read_items(path, "id", "body")
    assert e.value.where == 1
    assert "missing column 'body'" in e.value.message


def test_read_items_duplicate_id_names_row(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("id,text\n1,a\n2,b\n1,c\n")
    with pytest.raises(InputError) as e:
        read_items(p, "id", "text")
    assert e.value.format() == f"{p}:4: duplicate id '1' (first in row 2)"


def test_read_items_empty_id_names_row(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text('{"id": "a", "text": "x"}\n{"id": "", "text": "y"}\n')
    with pytest.raises(InputError) as e:
        read_items(p, "id", "text")
    assert (e.value.where, e.value.message) == (2, "empty id in column 'id'")
