"""Issue 21, point 13: a lone surrogate in a model's answer is recorded as invalid (never a
UnicodeEncodeError traceback), and the run ends honestly."""

from __future__ import annotations

import json
import sqlite3

import pytest

ANSWERS = [
    # a JSON string escape inside the message: the object holds a lone surrogate
    json.dumps({"reasoning": "r\ud800", "move": "focus"}, ensure_ascii=True),
    # the message text itself holds one (escaped in the HTTP body's JSON)
    'Sure \ud800 {"reasoning": "r", "move": "focus"}',
]


@pytest.mark.parametrize("answer", ANSWERS, ids=["in-json", "in-text"])
def test_a_lone_surrogate_in_an_answer_is_invalid_not_a_traceback(
    cli, kit, fake_server, tmp_path, single_rubric_path, answer
):
    items = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items, index=False)

    def reply(body):  # item 1001 gets the answer with a lone surrogate
        if "Comment number 1:" in kit.fake.first_user_text(body["messages"]):
            return answer
        return None

    fake_server.reply = reply
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    args = kit.annotate_args(items, single_rubric_path, fake_server, db, "--out", out)
    r = cli(*args)
    assert "Traceback" not in r.err and "UnicodeEncodeError" not in r.err, r.err
    assert r.code == 0, r.err
    assert "2 ok, 1 invalid" in r.out
    with sqlite3.connect(db) as con:
        statuses = con.execute("SELECT status FROM responses ORDER BY status").fetchall()
    assert statuses == [("invalid",), ("ok",), ("ok",)]
    out.read_text(encoding="utf-8")  # the table is valid UTF-8


def test_a_lone_surrogate_in_a_batch_answer_is_left_to_the_interactive_path(
    cli, kit, fake_server, tmp_path, single_rubric_path
):
    items = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items, index=False)
    fake_server.reply = lambda body: (
        ANSWERS[1] if "Comment number 1:" in kit.fake.first_user_text(body["messages"]) else None
    )
    db = tmp_path / "r.sqlite"
    args = kit.annotate_args(items, single_rubric_path, fake_server, db, "--batch")
    r = cli(*args)
    for _ in range(5):  # re-run until the batch is ingested
        if r.code != 3:
            break
        r = cli(*args)
    assert "Traceback" not in r.err and "UnicodeEncodeError" not in r.err, r.err
    assert r.code == 0, r.out + r.err
    assert "1 invalid" in r.out
