"""Corpus detection from file content, the items to annotate, and the `info` counts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edukit.corpora.detect import MATHDIAL_ITEM_COLUMNS, detect, load_items, summarize
from edukit.errors import InputError
from edukit.resources import bundled

SAMPLES = bundled("datasets", "mathdial")

WIDE = (
    "datasplit,comment,video_id,video_name,playlist_name,annotator_H1_confusion,"
    "annotator_H2_confusion,comment_id,annotator_openaichat_v8_confusion\n"
    'train,"I am lost, why 2?",vid1,Lec 1,MIT,1,1,7134.0,1\n'
    "train,Thanks!,vid1,Lec 1,MIT,0,,12.0,0\n"
)
SPACED = (
    "comment video_id video_name playlist_name comment_id annotator_openaichat_v8_confusion\n"
    '"I am lost, why 2?" vid1 "Lec 1 | MIT" "MIT 18.01" 7134.0 1.0\n'
    '"Thanks!" vid1 "Lec 1 | MIT" "MIT 18.01" 12.0 0.0\n'
)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("name", ["test.csv", "test.jsonl", "example.jsonl"])
def test_detects_mathdial_samples(name):
    assert detect(SAMPLES / name) == "mathdial"


def test_detects_sight_layouts_by_content(tmp_path):
    # the names say nothing: detection reads the header
    assert detect(_write(tmp_path, "a.csv", WIDE)) == "sight"
    assert detect(_write(tmp_path, "b.csv", SPACED)) == "sight-full"


def test_detects_annotations_and_tables(tmp_path):
    long = _write(tmp_path, "l.csv", "item_id,rater,label,value,version\n1,H1,confusion,1,\n")
    assert detect(long) == "annotations"
    jsonl = _write(
        tmp_path,
        "l.jsonl",
        json.dumps({"item_id": "1", "rater": "H1", "label": "x", "value": 0}) + "\n",
    )
    assert detect(jsonl) == "annotations"
    plain = _write(tmp_path, "t.csv", "id,body\n1,hello\n")
    assert detect(plain) == "table"
    # SIGHT columns in a JSONL file: not the published SIGHT layout, so a plain table
    wide = {"comment": "hi", "comment_id": 1, "annotator_H1_confusion": 0}
    assert detect(_write(tmp_path, "w.jsonl", json.dumps(wide) + "\n")) == "table"
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"qid": [1], "conversation": ["Teacher: (generic)Hi"]}).to_parquet(pq)
    assert detect(pq) == "mathdial"


@pytest.mark.shared
def test_detects_real_files(shared_data):
    assert detect(shared_data / "mathdial" / "test.csv") == "mathdial"
    assert detect(shared_data / "mathdial" / "test.jsonl") == "mathdial"
    assert detect(shared_data / "mathdial" / "example.jsonl") == "mathdial"
    assert detect(shared_data / "sight" / "annotations" / "sample_dataset.csv") == "sight"
    assert detect(shared_data / "sight" / "annotations" / "sight_dataset.csv") == "sight-full"


def test_detect_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        detect(tmp_path / "missing.csv")
    with pytest.raises(InputError, match=r"unknown format '\.txt'"):
        detect(_write(tmp_path, "notes.txt", "hello"))
    with pytest.raises(InputError, match="not a file"):
        detect(tmp_path)
    with pytest.raises(InputError, match="empty file"):
        detect(_write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError) as exc:
        detect(_write(tmp_path, "bad.jsonl", "\n{not json\n"))
    assert exc.value.where == 2


def test_load_items_mathdial_teacher_turns():
    items = load_items(SAMPLES / "test.csv")
    assert list(items.columns) == list(MATHDIAL_ITEM_COLUMNS)
    assert "move" not in items.columns  # the gold label must not reach a prompt
    assert len(items) == 33
    assert (items["speaker"] == "teacher").all()
    assert items["item_id"].iloc[:3].tolist() == ["test-0:0", "test-0:2", "test-0:4"]
    assert items["text"].iloc[1] == "Did Mia get apples or give them away?"
    assert items["history"].iloc[1] == (
        "Teacher: Hi Mariana, please talk me through your solution\n"
        "Student: I added 12 and 5 to get 17 apples."
    )
    assert len(items.attrs["warnings"]) == 5


def test_load_items_sight(tmp_path):
    items = load_items(_write(tmp_path, "w.csv", WIDE))
    assert items["item_id"].tolist() == ["7134", "12"]
    assert items.columns[:3].tolist() == ["item_id", "text", "comment"]
    assert items["text"].tolist() == ["I am lost, why 2?", "Thanks!"]
    spaced = load_items(_write(tmp_path, "s.csv", SPACED))
    assert spaced["video_name"].tolist() == ["Lec 1 | MIT", "Lec 1 | MIT"]


def test_load_items_generic_table(tmp_path):
    plain = _write(tmp_path, "t.csv", "id,body,grade\n1,hello,7\n2,bye,8\n")
    items = load_items(plain, id_col="id", text_col="body")
    assert items[["item_id", "text"]].values.tolist() == [["1", "hello"], ["2", "bye"]]
    ready = _write(tmp_path, "r.csv", "item_id,text\na,hello\n")
    assert load_items(ready)["item_id"].tolist() == ["a"]
    with pytest.raises(InputError, match=r"without item_id and text columns.*columns: id, body"):
        load_items(plain)
    with pytest.raises(InputError, match="both an id column and a text column"):
        load_items(plain, id_col="id")
    # naming the columns reads even a MathDial file as a plain table (where qid repeats)
    with pytest.raises(InputError, match="duplicate id '7000002'"):
        load_items(SAMPLES / "test.csv", id_col="qid", text_col="question")


def test_summarize_mathdial_sample():
    s = summarize(SAMPLES / "test.jsonl")
    assert s["kind"] == "mathdial"
    assert (s["dialogues"], s["qids"], s["turns"]) == (12, 11, 63)
    assert s["speakers"] == {"teacher": 33, "student": 30}
    assert s["moves"] == {
        "generic": 11,
        "probing": 8,
        "focus": 6,
        "telling": 5,
        "hint": 2,
        "(none)": 1,
    }
    assert len(s["warnings"]) == 5
    json.dumps(s)  # JSON-ready


def test_summarize_sight(tmp_path):
    s = summarize(_write(tmp_path, "w.csv", WIDE))
    assert s["kind"] == "sight" and s["items"] == 2 and s["annotations"] == 5
    assert s["raters"] == ["H1", "H2", "openaichat"]
    assert s["by_label"] == [
        {"label": "confusion", "rater": "H1", "version": "", "annotated": 2, "positives": 1},
        {"label": "confusion", "rater": "H2", "version": "", "annotated": 1, "positives": 1},
        {
            "label": "confusion",
            "rater": "openaichat",
            "version": "v8",
            "annotated": 2,
            "positives": 1,
        },
    ]


def test_summarize_long_table_with_classes(tmp_path):
    p = _write(
        tmp_path,
        "l.csv",
        "item_id,rater,label,value,version\n"
        "a,gold,move,focus,\nb,gold,move,probing,\nc,gold,move,focus,\na,H1,confusion,1,\n",
    )
    s = summarize(p)
    assert s["kind"] == "annotations" and s["items"] == 3
    assert s["by_label"] == [
        {"label": "confusion", "rater": "H1", "version": "", "annotated": 1, "positives": 1},
        {
            "label": "move",
            "rater": "gold",
            "version": "",
            "annotated": 3,
            "values": {"focus": 2, "probing": 1},
        },
    ]


@pytest.mark.shared
def test_summarize_real_sample_dataset(shared_data):
    s = summarize(shared_data / "sight" / "annotations" / "sample_dataset.csv")
    assert s["items"] == 289
    assert s["raters"] == ["H1", "H2", "openaichat"]
    assert len(s["labels"]) == 10
    h1 = {r["label"]: r for r in s["by_label"] if r["rater"] == "H1"}
    assert h1["confusion"]["positives"] == 58 and h1["confusion"]["annotated"] == 287
