"""`edukit redact` through the CLI: output, report, and one-line errors (issue 17)."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "comments.csv"
    pd.DataFrame(
        {
            "cid": ["c1", "c2", "c3"],
            "body": [
                "Thanks Cody! mail me: cody@example.com",
                "notes at www.desmos.com/calculator, call 555-123-4567",
                "great lecture",
            ],
            "label": [1, 0, 1],
        }
    ).to_csv(path, index=False)
    names = tmp_path / "names.txt"
    names.write_text("# students\nCody\n", encoding="utf-8")
    return path, names


def test_redact_table_with_names_and_report(cli, table, tmp_path):
    path, names = table
    before = path.read_bytes()
    out, report = tmp_path / "red.jsonl", tmp_path / "report.json"
    r = cli(
        "redact", path, "--out", out, "--names", names, "--report", report,
        "--id-col", "cid", "--text-col", "body",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "Redacted 2 of 3 items" in r.out and "profile rules (" in r.out
    df = pd.read_json(out, lines=True, dtype={"cid": str})
    assert list(df.columns) == ["cid", "body", "label"]  # the input's own names
    assert df["cid"].tolist() == ["c1", "c2", "c3"]
    assert df["body"].tolist() == [
        "Thanks [NAME_1]! mail me: [EMAIL_1]",
        "notes at [URL_1], call [PHONE_1]",
        "great lecture",
    ]
    assert df["label"].tolist() == [1, 0, 1]
    rep = json.loads(report.read_text())
    assert rep["counts"] == {"EMAIL": 1, "URL": 1, "PHONE": 1, "HANDLE": 0, "IP": 0, "NAME": 1}
    assert rep["profile"]["names"] == 1 and "Cody" not in report.read_text()
    assert path.read_bytes() == before  # the input is never modified


def test_redact_entities_option(cli, table, tmp_path):
    path, _ = table
    out = tmp_path / "red.csv"
    r = cli("redact", path, "--out", out, "--entities", "email", "--entities", "PHONE",
            "--id-col", "cid", "--text-col", "body")  # fmt: skip
    assert r.code == 0, r.err
    df = pd.read_csv(out)
    assert df["body"].tolist()[:2] == [
        "Thanks Cody! mail me: [EMAIL_1]",
        "notes at www.desmos.com/calculator, call [PHONE_1]",
    ]


def _bad(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--entities", "EMAIL,SSN"], "unknown entity type 'SSN'"),
        (["--names", "missing.txt"], "missing.txt: names file not found"),
        (["--names", "latin1.txt"], "latin1.txt: names file is not UTF-8 text"),
        (["--spacy-model", "xx_not_installed_sm"], "python -m spacy download xx_not_installed_sm"),
        (["--entities", "PERSON"], "need an installed spaCy pipeline: --spacy-model NAME"),
        (["--profile", "nope"], "unknown redaction profile 'nope'"),
        (["--phone-regions", "US,XX"], "--phone-regions: unknown region 'XX'"),
        (["--phone-regions", " , "], "--phone-regions names no region"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, table, tmp_path, monkeypatch, extra, message):
    path, _ = table
    monkeypatch.chdir(tmp_path)
    _bad(tmp_path, "latin1.txt", "José\n".encode("latin-1"))
    out = tmp_path / "never.csv"
    r = cli("redact", path, "--out", out, "--id-col", "cid", "--text-col", "body", *extra)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], r.err
    assert not out.exists()


def test_out_may_not_be_the_input(cli, table):
    path, _ = table
    r = cli("redact", path, "--out", path, "--id-col", "cid", "--text-col", "body")
    assert r.code == 2 and "--out is also an input" in r.err


def test_redact_full_sight_file(cli, shared_data, tmp_path):
    sight = shared_data / "sight" / "annotations" / "sight_dataset.csv"
    out = tmp_path / "sight.jsonl"
    r = cli("redact", sight, "--out", out)
    assert r.code == 0, r.err
    red = pd.read_json(out, lines=True, dtype={"item_id": str})
    from edukit.corpora.detect import load_items

    raw = load_items(sight)
    assert len(red) == len(raw) == 15746  # 15,784 rows, repeated comment ids once
    assert red["item_id"].tolist() == raw["item_id"].tolist()
    assert not red["text"].str.contains(r"https?://", regex=True).any()


def test_redact_with_a_saved_pipeline_folder(cli, tmp_path):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "GPE", "pattern": "Ohio"}, {"label": "DATE", "pattern": "Friday"}]
    )
    nlp.to_disk(tmp_path / "pipe")
    src = tmp_path / "in.csv"
    src.write_text("cid,body\nx1,See you in Ohio on Friday at a@b.com\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    r = cli("redact", src, "--out", out, "--id-col", "cid", "--text-col", "body",
            "--spacy-model", tmp_path / "pipe")  # fmt: skip
    assert r.code == 0, r.err
    assert "profile ner (" in r.out and "GPE 1" in r.out and "DATE 1" in r.out
    assert pd.read_csv(out)["body"].tolist() == ["See you in [GPE_1] on [DATE_1] at [EMAIL_1]"]


def test_annotate_redact_on_a_bundled_sample_finds_its_names(cli):
    # sample:NAME must reach the MathDial name lookup as the bundled file (was a traceback).
    r = cli("annotate", "sample:mathdial", "--rubric", "mathdial-moves", "--model", "gpt-4o-mini",
            "--dry-run", "--redact")  # fmt: skip
    assert r.code == 0, r.err
    assert "28 of 33 items changed" in r.out + r.err and "NAME 28" in r.out + r.err


def test_annotate_reads_the_redacted_table_with_the_same_columns(cli, table, tmp_path, repo_root):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "fake_openai", repo_root / "tests" / "annotate" / "fake_openai.py"
    )
    fake = sys.modules.get("fake_openai") or importlib.util.module_from_spec(spec)
    if "fake_openai" not in sys.modules:
        sys.modules["fake_openai"] = fake
        spec.loader.exec_module(fake)
    path, _ = table
    out = tmp_path / "red.csv"
    cols = ("--id-col", "cid", "--text-col", "body")
    assert cli("redact", path, "--out", out, *cols).code == 0
    server = fake.FakeOpenAI().start()
    try:
        rubric = tmp_path / "r.yaml"
        rubric.write_text(
            "name: r\nversion: '1'\ntask: binary\ninstructions: Label it.\nlabels:\n"
            "  - name: thanks\n    definition: The student thanks someone.\n"
        )
        r = cli(
            "annotate", out, "--rubric", rubric, "--model", "m", "--base-url", server.base_url,
            "--run-db", tmp_path / "runs.sqlite", "--quiet", *cols,
        )  # fmt: skip
        assert r.code == 0, r.err
        assert len(server.chat_requests) == 3
        sent = " ".join(str(b["messages"]) for b in server.chat_requests)
        assert "[EMAIL_1]" in sent and "cody@example.com" not in sent
    finally:
        server.stop()


def test_phone_regions_decide_which_national_forms_are_numbers(cli, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("cid,body\nx1,appelle le 01 23 45 67 89 ou +44 20 7946 0958\n", "utf-8")
    out = tmp_path / "out.csv"
    base = ["redact", src, "--out", out, "--id-col", "cid", "--text-col", "body"]
    assert cli(*base).code == 0  # FR is a default region
    assert pd.read_csv(out)["body"].tolist() == ["appelle le [PHONE_1] ou [PHONE_2]"]
    assert cli(*base, "--phone-regions", "us").code == 0
    # a French national number is no US number; a +CC number is found whatever the regions
    assert pd.read_csv(out)["body"].tolist() == ["appelle le 01 23 45 67 89 ou [PHONE_1]"]
