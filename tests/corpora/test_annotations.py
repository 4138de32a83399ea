"""The long annotation table: normalisation, validation errors with rows, round trips."""

from __future__ import annotations

import pandas as pd
import pytest

from edukit.annotations import (
    ANNOTATION_COLUMNS,
    concat_annotations,
    empty_annotations,
    read_annotations,
)
from edukit.corpora.tables import write_table
from edukit.errors import InputError


def long_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [7134.0, 7134.0, 12.0, "test-17:3", "test-17:3"],
            "rater": ["H1", "gpt-4o", "H1", "gold", "gpt-4o"],
            "label": ["confusion", "confusion", "confusion", "move", "move"],
            "value": ["1.0", True, "0", "focus", "probing"],
            "version": [None, "v8", None, None, "1.0"],
            "confidence": [None, 0.9, None, None, 0.7],
        }
    )


def test_normalises_a_dataframe():
    df = read_annotations(long_table())
    assert tuple(df.columns[:5]) == ANNOTATION_COLUMNS
    assert list(df.columns[5:]) == ["confidence"]
    assert df["item_id"].tolist() == ["7134", "7134", "12", "test-17:3", "test-17:3"]
    # binary label -> ints; single-choice label -> class names
    assert df["value"].tolist() == [1, 1, 0, "focus", "probing"]
    assert [type(v) for v in df["value"]] == [int, int, int, str, str]
    # humans have an empty version; a version like "1.0" stays text
    assert df["version"].tolist() == ["", "v8", "", "", "1.0"]


def test_all_binary_values_give_an_int_column():
    df = read_annotations(
        pd.DataFrame(
            {"item_id": [1, 2, 3], "rater": "H1", "label": "na", "value": [0.0, 1.0, False]}
        )
    )
    assert str(df["value"].dtype) == "int64"
    assert df["value"].tolist() == [0, 1, 0]
    assert df["version"].tolist() == ["", "", ""]
    # the label "na" is a name, not a missing value, and ids are text
    assert df["label"].tolist() == ["na"] * 3 and df["item_id"].tolist() == ["1", "2", "3"]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_round_trip_through_files(tmp_path, ext):
    path = write_table(read_annotations(long_table()), tmp_path / f"ann.{ext}")
    back = read_annotations(path)
    expected = read_annotations(long_table())
    for col in ANNOTATION_COLUMNS:
        assert back[col].tolist() == expected[col].tolist(), col
    assert back["confidence"].tolist()[1] == pytest.approx(0.9)


def test_csv_label_na_and_version_text_survive(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("item_id,rater,label,value,version\n5.0,H1,na,1,\n5,m,NA,0.0,2.0\n")
    df = read_annotations(p)
    assert df["label"].tolist() == ["na", "NA"]
    assert df["item_id"].tolist() == ["5", "5"]
    assert df["version"].tolist() == ["", "2.0"]


def test_missing_column_is_an_error(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("item_id,rater,value\n1,H1,1\n")
    with pytest.raises(InputError) as e:
        read_annotations(p)
    assert e.value.path == str(p) and e.value.where == 1
    assert "missing column(s) label" in e.value.message


@pytest.mark.parametrize(
    ("content", "row", "what"),
    [
        ("item_id,rater,label,value\n1,H1,x,1\n,H1,x,0\n", 3, "empty item_id"),
        ("item_id,rater,label,value\n1,H1,x,1\n2,H1,x,0\n3,,x,1\n", 4, "empty rater"),
        ("item_id,rater,label,value\n1,H1,x,\n", 2, "empty value"),
    ],
)
def test_empty_cells_name_the_row(tmp_path, content, row, what):
    p = tmp_path / "a.csv"
    p.write_text(content)
    with pytest.raises(InputError) as e:
        read_annotations(p)
    assert e.value.format() == f"{p}:{row}: {what}"


def test_jsonl_rows_are_lines(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text(
        '{"item_id": "1", "rater": "H1", "label": "x", "value": 1}\n'
        '{"item_id": "2", "rater": "H1", "label": "", "value": 1}\n'
    )
    with pytest.raises(InputError) as e:
        read_annotations(p)
    assert (e.value.where, e.value.message) == (2, "empty label")


def test_concat_and_empty():
    a = read_annotations(long_table().iloc[:3])
    b = long_table().iloc[3:]
    both = concat_annotations([a, b])
    assert len(both) == 5 and both["value"].tolist() == [1, 1, 0, "focus", "probing"]
    empty = empty_annotations()
    assert tuple(empty.columns) == ANNOTATION_COLUMNS and len(empty) == 0
    assert len(concat_annotations([])) == 0


def test_a_mathdial_file_reads_as_its_gold_moves(repo_root):
    from edukit.corpora.mathdial import gold_annotations, read_mathdial

    path = repo_root / "datasets" / "mathdial" / "test.csv"
    got = read_annotations(path)
    want = gold_annotations(read_mathdial(path).utterances)
    assert len(got) == 32  # 33 teacher turns in the sample, one without a move tag
    assert set(got["rater"]) == {"gold"} and set(got["label"]) == {"move"}
    assert got[["item_id", "value"]].values.tolist() == want[["item_id", "value"]].values.tolist()
