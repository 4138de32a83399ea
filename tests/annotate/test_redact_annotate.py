"""`edukit annotate --redact` against the fake server (issue 17): nothing declared is sent."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from edukit.resources import bundled

RUBRIC = """\
name: moves-shots
version: "1"
task: single
target: move
unit:
  context_fields: [history]
instructions: You classify a teacher's utterance in a tutoring dialogue.
template: |
  Conversation so far:
  {{ history }}
  Teacher turn: {{ text }}
labels:
  - name: focus
    definition: Seeking strategy, guiding focus.
  - name: generic
    definition: Greetings and other general talk.
examples:
  - item: {text: "Hi Cody, mail me at cody.b@example.com", history: "Student: I'm Cody"}
    labels: generic
"""

SAMPLE = bundled("datasets", "mathdial", "test.jsonl")


@pytest.fixture
def setup(tmp_path):
    rubric = tmp_path / "shots.yaml"
    rubric.write_text(RUBRIC)
    names = tmp_path / "names.txt"
    names.write_text("Cody\nMia\n", encoding="utf-8")
    return rubric, names, tmp_path / "runs.sqlite"


def _contents(body) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"])


def _has(name: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE) is not None


def test_no_redacted_request_carries_a_declared_name(cli, fake_server, setup):
    from edukit.corpora.detect import load_items
    from edukit.redact import declared_names

    rubric, names, db = setup
    base = ["annotate", SAMPLE, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet"]
    base += ["--base-url", fake_server.base_url, "--run-db", db, "--concurrency", "1"]
    r = cli(*base, "--redact", "--names", names)
    assert r.code == 0, r.err
    assert "Redaction profile rules (" in r.out
    items = load_items(SAMPLE)
    declared = {n for names in declared_names(SAMPLE).values() for n in names}
    assert len(declared) == 12  # the sample's twelve students
    sent = fake_server.chat_requests
    nonempty = items[items["text"].fillna("").str.strip() != ""]
    # empty teacher turns are not sent; greetings that differ only in the student's name become
    # one identical prompt once redacted, which is sent once
    assert len(nonempty) - 2 <= len(sent) <= len(nonempty)
    placeholders = 0
    for body in sent:
        text = _contents(body)
        for name in [*declared, "Cody", "Mia"]:
            assert not _has(name, text), (name, text[:300])
        assert "cody.b@example.com" not in text  # the few-shot example is redacted too
        placeholders += text.count("[NAME_")
    assert placeholders > len(sent)  # every prompt carries the redacted example, most more
    # the raw run (the control) does carry them
    fake_server.reset_log()
    r = cli(*base)
    assert r.code == 0, r.err
    raw = [_contents(b) for b in fake_server.chat_requests]
    assert any(_has("Mariana", t) for t in raw) and all("cody.b@example.com" in t for t in raw)


def test_store_records_redaction_and_keys_split(cli, fake_server, setup, tmp_path):
    rubric, names, db = setup
    base = ["annotate", SAMPLE, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet"]
    base += ["--base-url", fake_server.base_url, "--run-db", db, "--limit", "6"]
    assert cli(*base).code == 0
    n = len(fake_server.chat_requests)
    assert n == 6
    fake_server.reset_log()
    r = cli(*base, "--redact", "--names", names, "--out", tmp_path / "red.csv")
    assert r.code == 0, r.err
    # the redacted run answers nothing from the raw run, not even items without any name
    assert len(fake_server.chat_requests) == 6 and "0 answered from the run store" in r.out
    fake_server.reset_log()
    r2 = cli(*base, "--redact", "--names", names)  # resumes: nothing sent again
    assert r2.code == 0 and fake_server.chat_requests == []
    con = sqlite3.connect(db)
    runs = con.execute("SELECT id, options FROM runs ORDER BY created").fetchall()
    assert len(runs) == 2
    raw_id, red_id = runs[0][0], runs[1][0]
    profile = json.loads(runs[1][1])["redact"]
    assert profile["name"] == "rules" and profile["names"] == 2 and "Cody" not in runs[1][1]
    rows = con.execute(
        "SELECT r.key, x.profile, x.hash, x.counts FROM requests r JOIN request_redactions x"
        " ON x.run_id = r.run_id AND x.key = r.key WHERE r.run_id = ?",
        (red_id,),
    ).fetchall()
    assert len(rows) == 6 and {(p, h) for _, p, h, _ in rows} == {("rules", profile["hash"])}
    assert sum(json.loads(c).get("NAME", 0) for *_, c in rows) > 0
    raw_keys = {k for (k,) in con.execute("SELECT key FROM requests WHERE run_id = ?", (raw_id,))}
    assert raw_keys.isdisjoint({k for k, *_ in rows})
    raw_red = con.execute("SELECT COUNT(*) FROM request_redactions WHERE run_id = ?", (raw_id,))
    assert raw_red.fetchone()[0] == 0
    # runs show and the exported annotations say so
    show = cli("runs", "show", red_id, "--run-db", db)
    assert show.code == 0
    assert f"redaction: profile rules ({profile['hash']}), scope item, 2 listed names" in show.out
    assert "6 requests recorded; replaced EMAIL 0, URL 0, PHONE 0, HANDLE 0, IP 0, NAME" in show.out
    show_raw = cli("runs", "show", raw_id, "--run-db", db)
    assert "redaction: none (the text was sent as it is)" in show_raw.out
    import pandas as pd

    out = pd.read_csv(tmp_path / "red.csv", dtype=str)
    assert set(out["redaction"]) == {f"rules:{profile['hash']}"}
    from edukit.corpora.detect import load_items

    assert out["item_id"].tolist() == load_items(SAMPLE)["item_id"].head(6).tolist()


def test_dry_run_shows_counts_and_three_examples(cli, fake_server, setup):
    rubric, names, db = setup
    r = cli("annotate", SAMPLE, "--rubric", rubric, "--model", "gpt-4o-mini", "--dry-run",
            "--base-url", fake_server.base_url, "--run-db", db,
            "--redact", "--names", names)  # fmt: skip
    assert r.code == 0, r.err
    lines = r.out.strip().splitlines()
    assert lines[0].startswith("Dry run (nothing sent)")
    assert re.match(
        r"Redaction profile rules \([0-9a-f]{16}\): \d+ of 33 items changed; replaced EMAIL 0, "
        r"URL 0, PHONE 0, HANDLE 0, IP 0, NAME \d+",
        lines[1],
    ), lines[1]
    examples = lines[2:]
    assert len(examples) == 3 and all("[NAME_1]" in e for e in examples)
    assert examples[0].startswith("  test-0:0: ")
    assert fake_server.chat_requests == [] and not db.exists()
    # placeholders per dialogue: another profile (hash), the same counts
    r2 = cli("annotate", SAMPLE, "--rubric", rubric, "--model", "gpt-4o-mini", "--dry-run",
             "--base-url", fake_server.base_url, "--run-db", db,
             "--redact", "--names", names, "--redact-per-dialogue")  # fmt: skip
    assert r2.code == 0, r2.err
    second = r2.out.strip().splitlines()[1]
    assert second.split(")")[1] == lines[1].split(")")[1] and second != lines[1]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--redact", "--names", "nope.txt"], "nope.txt: names file not found"),
        (["--names", "names.txt"], "need --redact"),
        (["--redact", "--redact-profile", "ner"], "needs an installed spaCy pipeline"),
        (["--redact", "--spacy-model", "xx_missing_sm"], "is not installed"),
    ],
)
def test_bad_redaction_input_sends_nothing(cli, fake_server, setup, monkeypatch, extra, message):
    rubric, names, db = setup
    monkeypatch.chdir(names.parent)
    r = cli("annotate", SAMPLE, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet",
            "--base-url", fake_server.base_url, "--run-db", db, *extra)  # fmt: skip
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and message in r.err, r.err
    assert fake_server.chat_requests == []


def test_agreement_report_says_which_annotations_were_redacted(cli, fake_server, tmp_path):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    rubric = bundled("rubrics", "sight.yaml")
    db = tmp_path / "runs.sqlite"
    base = ["annotate", sample, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet"]
    base += ["--base-url", fake_server.base_url, "--run-db", db, "--limit", "12"]
    assert cli(*base, "--rater", "raw", "--out", tmp_path / "raw.csv").code == 0
    r = cli(*base, "--rater", "redacted", "--redact", "--out", tmp_path / "red.csv")
    assert r.code == 0, r.err
    html, md = tmp_path / "report.html", tmp_path / "report.md"
    r = cli("agree", sample, tmp_path / "raw.csv", tmp_path / "red.csv", "--humans", "H1,H2",
            "--models", "raw,redacted", "--n-boot", "0",
            "--report", html, "--markdown", md)  # fmt: skip
    assert r.code == 0, r.err
    page = html.read_text()
    prov = page[page.index("<h2>Provenance</h2>") :]
    assert '<table id="redaction">' in prov
    assert re.search(r"<td>redacted</td><td>redacted text, profile rules:[0-9a-f]{16}</td>", prov)
    assert "<td>raw</td><td>text as written (not redacted)</td>" in prov
    assert "<td>H1</td><td>text as written (not redacted)</td>" in prov
    assert re.search(r"rater `redacted`: redacted text, profile rules:[0-9a-f]{16}", md.read_text())


def test_redacted_run_against_the_real_llama_server(cli, realserver, setup):
    rubric, names, db = setup
    base = ["annotate", SAMPLE, "--rubric", rubric, "--model", realserver.model, "--quiet"]
    base += ["--base-url", realserver.base_url, "--run-db", db, "--limit", "4"]
    r = cli(*base, "--redact", "--names", names)
    assert r.code == 0, r.err
    assert "4 ok, 0 invalid, 0 API errors, 0 pending; 4 requests sent" in r.out
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT r.messages, x.counts FROM requests r JOIN request_redactions x"
        " ON x.run_id = r.run_id AND x.key = r.key"
    ).fetchall()
    assert len(rows) == 4
    assert not any(_has("Mariana", m) or _has("Cody", m) for m, _ in rows)
    assert all(json.loads(c)["NAME"] >= 1 for _, c in rows)  # each turn's history names her
    assert cli(*base, "--redact", "--names", names).out.count("0 requests sent") == 1


def test_text_that_is_not_a_string_stops_before_sending(fake_server, binary_rubric, tmp_path):
    from edukit.annotate.engine import annotate
    from edukit.errors import RedactError
    from edukit.redact import Redaction, make_profile

    items = [{"item_id": "1", "text": "fine, mail a@b.com"}, {"item_id": "2", "text": 5}]
    with pytest.raises(RedactError, match="item 2: text is not a string \\(int\\)"):
        annotate(items, binary_rubric, "gpt-4o-mini", base_url=fake_server.base_url,
                 run_db=tmp_path / "r.sqlite", quiet=True,
                 redaction=Redaction(make_profile()))  # fmt: skip
    assert fake_server.chat_requests == []
