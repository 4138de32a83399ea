"""Issue 14 class 4 through the CLI: an output naming an input, and foreign run stores."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from edukit.resources import bundled

from .conftest import digest


def _items(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("item_id,text\n1,hello\n2,there\n", encoding="utf-8")
    return path


def test_load_out_naming_its_input_directly_or_by_symlink(bounded, tmp_path):
    items = _items(tmp_path)
    link = tmp_path / "link.csv"
    os.symlink(items, link)
    before = digest(items)
    for out in (items, link, tmp_path / "sub" / ".." / "items.csv"):
        r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text",
                    "--out", out)  # fmt: skip
        r.assert_one_error("--out is also an input")
    assert digest(items) == before


def test_annotate_out_or_run_db_naming_an_input(bounded, tmp_path):
    items = _items(tmp_path)
    rubric = bundled("rubrics", "sight.yaml")
    before = digest(items, rubric)
    for extra in (["--out", items], ["--run-db", items], ["--run-db", rubric]):
        r = bounded("annotate", items, "--rubric", rubric, "--model", "m", "--dry-run", *extra)
        r.assert_one_error("is also an input")
    assert digest(items, rubric) == before


def test_agree_json_naming_its_input(bounded, tmp_path):
    ann = tmp_path / "ann.csv"
    ann.write_text("item_id,rater,label,value\n1,H1,a,1\n1,M,a,1\n", encoding="utf-8")
    before = digest(ann)
    r = bounded("agree", ann, "--humans", "H1", "--models", "M", "--json", ann)
    r.assert_one_error(f"{ann}: --json is also an input")
    assert digest(ann) == before


def test_import_sight_out_inside_the_prompt_folder(bounded, tmp_path):
    folder = tmp_path / "prompts"
    (folder / "label_prompts").mkdir(parents=True)
    (folder / "info.json").write_text(
        json.dumps({"valid_labels": {"general": {"true": 1, "false": 0}}}), encoding="utf-8"
    )
    (folder / "label_prompts" / "v1_general.txt").write_text("{comment}\nTask: x?")
    before = digest(folder)
    r = bounded("rubric", "import-sight", folder, "--out", folder / "info.json")
    r.assert_one_error("inside the input folder")
    assert digest(folder) == before


def test_export_out_folder_holding_an_input(bounded, tmp_path):
    sample = tmp_path / "train.jsonl"
    sample.write_bytes(bundled("datasets", "mathdial", "test.jsonl").read_bytes())
    before = digest(sample)
    r = bounded("export", "finetune", sample, "-f", "alpaca", "-o", tmp_path)
    r.assert_one_error("is also an input")
    assert digest(sample) == before


def _foreign_db(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ana', '555')")
    db.commit()
    db.close()


@pytest.mark.parametrize("kind", ["empty", "foreign", "text"])
def test_run_commands_refuse_a_file_that_is_not_a_run_store(bounded, tmp_path, kind):
    db = tmp_path / "other.sqlite"
    if kind == "empty":
        db.write_bytes(b"")
    elif kind == "foreign":
        _foreign_db(db)
    else:
        db.write_text("item_id,text\n")
    before = digest(db)
    for args in (["runs", "list"], ["runs", "show", "abc"],
                 ["runs", "export", "abc", "--out", tmp_path / "x.csv"]):  # fmt: skip
        r = bounded(*args, "--run-db", db)
        r.assert_one_error(f"{db}: ", "run store")
    if kind != "empty":  # annotate creates a store in an empty file, never in someone else's
        r = bounded("annotate", _items(tmp_path), "--rubric", bundled("rubrics", "sight.yaml"),
                    "--model", "m", "--dry-run", "--run-db", db)  # fmt: skip
        r.assert_one_error("not an edukit run store")
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == [db.name]


def test_unwritable_out_is_refused_before_the_work(bounded, tmp_path):
    items = _items(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text",
                "--out", blocker / "out.csv")  # fmt: skip
    r.assert_one_error("is a file, not a folder")
