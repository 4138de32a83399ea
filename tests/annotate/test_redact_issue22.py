"""Issue 22 through the CLI, one test per numbered case: the fake server's request log (what
left the machine) holds none of the planted values; the raw run (the control) holds them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
import unicodedata

import pandas as pd
import pytest

RUBRIC = """\
name: plain
version: "1"
task: single
target: kind
instructions: You classify a student's comment.
labels:
  - name: question
    definition: The student asks something.
  - name: other
    definition: Anything else.
"""

# (text, the planted values that must not be sent)
CASE_1 = [
    ("Thanks! -Maria", ["Maria"]),
    ("see you --Omar", ["Omar"]),
    ("Maria&Omar did it", ["Maria", "Omar"]),
    ("Maria;Omar;Lee", ["Maria", "Omar"]),
    ("markdown ~~Maria~~ and __Omar__ and **Maria**", ["Maria", "Omar"]),
    ("Jose\u0301 wrote it (NFD)", ["José"]),
    ("cheers,\n\u2014Jos\u00e9", ["José"]),
    ("(Maria) [Omar] {Maria} <Omar> 'Maria' \"Omar\" Maria's Omar\u2019s", ["Maria", "Omar"]),
]
CASE_2 = [
    ("write mailto:Tutor@Mail.CS.Stanford.EDU today", ["Tutor@Mail.CS.Stanford.EDU"]),
    ("email:kim.lee@school.org", ["kim.lee@school.org"]),
    ("MAIL ME: KIM.LEE@SCHOOL.ORG", ["KIM.LEE@SCHOOL.ORG"]),
    ("notes at HTTPS://EXAMPLE.COM/u/kimlee99 ok", ["EXAMPLE.COM/u/kimlee99"]),
    ("Https://Docs.Example.Org/Kim/Notes.", ["Docs.Example.Org/Kim/Notes"]),
    ("call (555)123-4567 tonight", ["5551234567"]),
    ("tel:+1-650-253-0000", ["16502530000"]),
    ("Paris office +33 1 23 45 67 89", ["33123456789"]),
    ("Sydney +61 2 9876 5432 or Dublin +353 1 234 5678", ["61298765432", "35312345678"]),
    ("mail kim at example dot com or kim.lee [at] school [dot] org", ["kim at example"]),
    ("or kim.lee(at)school(dot)org and kim @ gmail.com", ["kim.lee(at)school", "kim @ gmail"]),
]
NAMES = "Maria\nOmar\nJose\u0301\nWill\nGrace\nMay\n"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _sent(server) -> list[str]:
    return ["\n".join(str(m["content"]) for m in b["messages"]) for b in server.chat_requests]


def _leaks(value: str, texts: list[str]) -> bool:
    """Whether `value` (a name or contact in any case, NFC or NFD; a phone by digits) was sent."""
    for text in texts:
        if value.isdigit():
            if value in _digits(text):
                return True
            continue
        for form in ("NFC", "NFD"):
            v = unicodedata.normalize(form, value).casefold()
            t = unicodedata.normalize(form, text).casefold()
            if re.search(rf"(?<![^\W_]){re.escape(v)}(?![^\W_])", t):
                return True
    return False


@pytest.fixture
def setup(tmp_path):
    rubric = tmp_path / "plain.yaml"
    rubric.write_text(RUBRIC)
    names = tmp_path / "names.txt"
    names.write_text(NAMES, encoding="utf-8")
    return rubric, names, tmp_path / "runs.sqlite"


def _table(tmp_path, rows, name="items.csv", **extra):
    path = tmp_path / name
    data = {"item_id": [f"i{n}" for n in range(len(rows))], "text": [t for t, _ in rows]}
    data.update(extra)
    pd.DataFrame(data).to_csv(path, index=False)
    return path


def _annotate(cli, server, items, rubric, db, *extra):
    return cli("annotate", items, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet",
               "--base-url", server.base_url, "--run-db", db, "--concurrency", "1",
               *extra)  # fmt: skip


@pytest.mark.parametrize("case", [CASE_1, CASE_2], ids=["1-names-next-to-symbols", "2-contacts"])
def test_planted_values_never_reach_the_server(cli, fake_server, setup, tmp_path, case):
    rubric, names, db = setup
    items = _table(tmp_path, case)
    r = _annotate(cli, fake_server, items, rubric, db, "--redact", "--names", names)
    assert r.code == 0, r.err
    sent = _sent(fake_server)
    assert len(sent) == len(case)
    for (text, planted), body in zip(case, sent, strict=True):
        for value in planted:
            assert not _leaks(value, [body]), (value, text, body[-200:])
    # every character that is not redacted is sent as written (here: the words around them)
    assert "see you --[NAME_" in "\n".join(sent) or case is CASE_2
    # the control: the same items sent raw carry every planted value
    fake_server.reset_log()
    assert _annotate(cli, fake_server, items, rubric, tmp_path / "raw.sqlite").code == 0
    raw = _sent(fake_server)
    for value in [v for _, planted in case for v in planted]:
        assert _leaks(value, raw), value


def test_3_undeclared_template_field_is_refused(cli, fake_server, setup, tmp_path):
    _rubric, names, db = setup
    notes_rubric = tmp_path / "notes.yaml"
    notes_rubric.write_text(RUBRIC + "template: |\n  Notes: {{ notes }}\n  Comment: {{ text }}\n")
    items = _table(tmp_path, [("hello", [])], notes=["Maria wrote maria@example.com"])
    r = cli("rubric", "validate", notes_rubric)
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "template field 'notes' is not declared" in lines[0], r.err
    r = _annotate(cli, fake_server, items, notes_rubric, db, "--redact", "--names", names)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "'notes'" in r.err, r.err
    assert fake_server.chat_requests == []
    # declared, the field is redacted like the text
    declared = tmp_path / "declared.yaml"
    declared.write_text(notes_rubric.read_text() + "unit:\n  context_fields: [notes]\n")
    assert cli("rubric", "validate", declared).code == 0
    r = _annotate(cli, fake_server, items, declared, db, "--redact", "--names", names)
    assert r.code == 0, r.err
    sent = _sent(fake_server)
    assert len(sent) == 1 and "Notes: [NAME_1] wrote [EMAIL_1]" in sent[0]
    assert not _leaks("Maria", sent) and not _leaks("maria@example.com", sent)


def test_3_the_id_field_in_a_redacted_prompt_is_refused(cli, fake_server, setup, tmp_path):
    _rubric, _names, db = setup
    id_rubric = tmp_path / "id.yaml"
    id_rubric.write_text(RUBRIC + "template: |\n  {{ item_id }}: {{ text }}\n")
    items = _table(tmp_path, [("hello", [])])
    assert cli("rubric", "validate", id_rubric).code == 0  # fine without --redact
    r = _annotate(cli, fake_server, items, id_rubric, db, "--redact")
    assert r.code == 2 and "'item_id' is the item id" in r.err and fake_server.chat_requests == []


def test_4_per_dialogue_placeholders_whatever_the_row_order(cli, fake_server, setup, tmp_path):
    rubric, names, db = setup
    rows = [("Hi Maria", []), ("Hi Omar", []), ("Omar, say hi to Maria", [])]
    items = _table(tmp_path, rows, dialogue_id=["d1", "d2", "d1"])
    r = _annotate(cli, fake_server, items, rubric, db, "--redact", "--names", names,
                  "--redact-per-dialogue")  # fmt: skip
    assert r.code == 0, r.err
    sent = _sent(fake_server)
    # d1: Maria is [NAME_1] in both of its rows, Omar (another person) [NAME_2]; "Hi [NAME_1]"
    # of d1 and d2 is one prompt, sent once
    assert [s.rsplit("text: ", 1)[1] for s in sent] == [
        "Hi [NAME_1]",
        "[NAME_2], say hi to [NAME_1]",
    ]
    out = tmp_path / "red.csv"
    r = cli("redact", items, "--out", out, "--names", names, "--per-dialogue")
    assert r.code == 0, r.err
    assert pd.read_csv(out)["text"].tolist() == [
        "Hi [NAME_1]",
        "Hi [NAME_1]",
        "[NAME_2], say hi to [NAME_1]",
    ]


COMMON_FIRST_NAMES = [
    "Maria", "Omar", "James", "Mary", "John", "Linda", "Michael", "Emma", "Noah", "Olivia",
    "Liam", "Sophia", "Mohammed", "Fatima", "Wei",
]  # fmt: skip


def _unsalted(names: list[str]) -> set[str]:
    """Digests a list of names has under plain hashing (what the old report carried, and more)."""
    out = set()
    for obj in (sorted(names), names, "\n".join(names), names[0] if len(names) == 1 else None):
        if obj is None:
            continue
        for text in (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                     json.dumps(obj), obj if isinstance(obj, str) else ""):  # fmt: skip
            if text:
                digest = hashlib.sha256(text.encode()).hexdigest()
                out |= {digest, digest[:16]}
    return out


def test_5_names_list_not_recoverable_from_reports(cli, fake_server, setup, tmp_path):
    rubric, _, db = setup
    names = tmp_path / "one.txt"
    names.write_text("Omar\n", encoding="utf-8")
    items = _table(tmp_path, [("Omar asks a question", [])])
    report = tmp_path / "report.json"
    assert cli("redact", items, "--out", tmp_path / "r.csv", "--names", names,
               "--report", report).code == 0  # fmt: skip
    r = _annotate(cli, fake_server, items, rubric, db, "--redact", "--names", names)
    assert r.code == 0, r.err
    run_id = sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0]
    shown = cli("runs", "show", run_id, "--run-db", db).out
    places = report.read_text() + db.read_bytes().decode("utf-8", "replace") + shown + r.out
    # a dictionary attack with 15 common first names finds nothing
    for guess in COMMON_FIRST_NAMES:
        for digest in _unsalted([guess]):
            assert digest not in places, guess
    # the list is identified by an HMAC under the secret kept in the user's config
    from edukit.redact.keys import key_path

    key = bytes.fromhex(key_path().read_text().strip())
    expected = hmac.new(key, b'["Omar"]', hashlib.sha256).hexdigest()
    assert json.loads(report.read_text())["profile"]["names_hmac"] == expected
    assert key.hex() not in places


def test_6_common_word_names_both_directions(cli, fake_server, setup, tmp_path):
    rubric, names, db = setup
    rows = [
        ("Will got 12 apples. I will help.", []),
        ("Grace said thanks, by the grace of the teacher", []),
        ("May I go? You may go, May.", []),
        ("WILL AND GRACE ARE HERE", []),
    ]
    items = _table(tmp_path, rows)
    r = _annotate(cli, fake_server, items, rubric, db, "--redact", "--names", names)
    assert r.code == 0, r.err
    sent = _sent(fake_server)
    assert sent[0].endswith("[NAME_1] got 12 apples. I will help.")
    assert sent[1].endswith("[NAME_1] said thanks, by the grace of the teacher")
    # the rule: capitalised, the name is redacted, even at a sentence start ("May I go?")
    assert sent[2].endswith("[NAME_1] I go? You may go, [NAME_1].")
    assert sent[3].endswith("[NAME_1] AND [NAME_2] ARE HERE")


def test_7_base_url_credentials_used_never_stored_or_shown(cli, setup, tmp_path):
    import fake_openai

    server = fake_openai.FakeOpenAI(api_key=None).start()
    try:
        rubric, _names, db = setup
        items = _table(tmp_path, [("Hi there", [])])
        url = server.base_url.replace("http://", "http://tutor:SECRETpw42@")
        out = tmp_path / "out.csv"
        r = cli("annotate", items, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet",
                "--base-url", url, "--run-db", db, "--out", out, "--redact")  # fmt: skip
        assert r.code == 0, r.err
        # used for the request: HTTP basic auth from the URL's user info
        import base64

        assert server.auth_seen == ["Basic " + base64.b64encode(b"tutor:SECRETpw42").decode()]
        run_id = sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0]
        shown = cli("runs", "show", run_id, "--run-db", db)
        listed = cli("runs", "list", "--run-db", db)
        exported = tmp_path / "exp.csv"
        assert cli("runs", "export", run_id, "--out", exported, "--run-db", db).code == 0
        assert server.base_url.removeprefix("http://") in shown.out  # the endpoint is shown
        con = sqlite3.connect(db)
        dump = "\n".join(con.iterdump())
        for place in (r.out, r.err, shown.out, shown.err, listed.out, dump,
                      out.read_text(), exported.read_text()):  # fmt: skip
            assert "SECRETpw42" not in place and "tutor:" not in place
        # a bad URL is refused without echoing its secret
        bad = cli("annotate", items, "--rubric", rubric, "--model", "m", "--run-db", db,
                  "--base-url", "ftp://u:SECRETpw42@host/v1")  # fmt: skip
        assert bad.code == 2 and "SECRETpw42" not in bad.err and "ftp://host/v1" in bad.err
    finally:
        server.stop()


def test_redacted_run_against_the_real_llama_server(cli, realserver, setup, tmp_path):
    rubric, names, db = setup
    rows = [CASE_1[0], CASE_1[2], CASE_1[5], CASE_2[0], CASE_2[5], CASE_2[9]]
    items = _table(tmp_path, rows)
    r = cli("annotate", items, "--rubric", rubric, "--model", realserver.model, "--quiet",
            "--base-url", realserver.base_url, "--run-db", db,
            "--redact", "--names", names)  # fmt: skip
    assert r.code == 0, r.err
    assert "6 ok" in r.out and "6 requests sent" in r.out, r.out
    # what was sent is what the run store recorded for each request
    sent = [m for (m,) in sqlite3.connect(db).execute("SELECT messages FROM requests")]
    assert len(sent) == 6
    for value in [v for _, planted in rows for v in planted]:
        assert not _leaks(value, sent), value
    assert sum(s.count("[NAME_") for s in sent) >= 4 and all("[" in s for s in sent)
