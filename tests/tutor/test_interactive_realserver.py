"""End to end against the real llama-server: tutor and student both the tiny model."""

from __future__ import annotations

import json
import sqlite3

from edukit.corpora.tables import read_table


def test_three_problems_three_rounds_then_a_rerun_sends_nothing(
    cli, realserver, problems, tmp_path
):
    out, db = tmp_path / "chats.jsonl", tmp_path / "runs.sqlite"
    args = [
        "tutor", "interactive", "run", problems, "--tutor-model", "tiny",
        "--tutor-base-url", realserver.base_url, "--student-model", "tiny",
        "--student-base-url", realserver.base_url, "--max-turns", "3", "--limit", "3",
        "--max-tokens", "24", "--name", "tiny_tutor", "--run-db", db, "--out", out, "--quiet",
    ]  # fmt: skip
    r = cli(*args)
    assert r.code == 0, r.err
    assert "3 of 3 conversations finished" in r.out
    assert "\n18 requests sent\n" in r.out  # 3 conversations x 3 rounds x (student + tutor)
    assert "tutor tiny: 9 requests sent" in r.out and "student tiny: 9 requests sent" in r.out

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    source = read_table(problems, dtype=str)
    assert len(rows) == 3
    assert [row["question"] for row in rows] == source["question"].head(3).tolist()
    for row in rows:
        turns = row["tiny_tutor"].split("<EOM>")
        assert len(turns) == 7  # the greeting, then 3 x (student, tutor)
        assert [t.split(":", 1)[0] for t in turns] == ["Teacher", "Student"] * 3 + ["Teacher"]
        assert turns[0].startswith("Teacher: Hi ") and "walk me through" in turns[0]
    long = read_table(tmp_path / "chats-turns.jsonl")
    assert len(long) == 21 and list(long["turn"].head(7)) == list(range(7))

    # tokens are counted per side, each its own run in the store
    with sqlite3.connect(db) as con:
        runs = dict(con.execute("SELECT rubric, model FROM runs").fetchall())
        n_ok = con.execute("SELECT COUNT(*) FROM responses WHERE status = 'ok'").fetchone()[0]
    assert runs == {"interactive-tutor": "tiny", "interactive-student": "tiny"}
    assert n_ok == 18

    scores = tmp_path / "scores.json"
    s = cli("tutor", "interactive", "score", out, "--conversation-col", "tiny_tutor",
            "--max-k", "3", "--json", scores, "--n-boot", "50")  # fmt: skip
    assert s.code == 0, s.err
    data = json.loads(scores.read_text())
    assert len(data["success_at_k"]) == 3 and len(data["telling_at_k"]) == 3
    assert all(0 <= v <= 1 for v in data["success_at_k"] + data["telling_at_k"])
    assert data["n_problems"] == 3

    before = out.read_bytes()
    again = cli(*args)
    assert again.code == 0, again.err
    assert "\n0 requests sent\n" in again.out
    assert "9 answered from the run store" in again.out
    assert out.read_bytes() == before
    with sqlite3.connect(db) as con:
        attempts = con.execute("SELECT SUM(attempts) FROM responses").fetchone()[0]
    assert attempts == 18  # nothing was asked again
