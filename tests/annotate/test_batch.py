"""The Batch API path against the local server's files and batches endpoints."""

from __future__ import annotations

import json
from collections import Counter

from edukit.annotate import batch as batch_api
from edukit.annotate.engine import annotate, iter_items, request_key
from edukit.annotate.store import RunStore


def _run(items, rubric, server, db, **kw):
    return annotate(
        items,
        rubric,
        "fake-model",
        base_url=server.base_url,
        run_db=db,
        batch=True,
        quiet=True,
        **kw,
    )


def test_submit_poll_ingest_and_fallback(binary_rubric, fake_server, tmp_path, kit, monkeypatch):
    assert batch_api.MAX_PER_BATCH == 50_000  # the Batch API's limit; split here at 8
    monkeypatch.setattr(batch_api, "MAX_PER_BATCH", 8)
    items = kit.make_items(10)  # 20 requests: batches of 8, 8 and 4
    db = tmp_path / "r.sqlite"
    fake_server.batch_hold = True
    first = _run(items, binary_rubric, fake_server, db)
    assert first.stopped == "batch_pending"
    assert fake_server.chat_requests == []
    assert [b["n_requests"] for b in first.batches] == [8, 8, 4]
    assert [b["status"] for b in first.batches] == ["in_progress"] * 3
    # the uploaded JSONL: custom_id is the request key, the body a strict json_schema request
    lines = [
        json.loads(x)
        for fid in sorted(fake_server.files)
        for x in fake_server.files[fid].decode().splitlines()
    ]
    expected_keys = {
        request_key("fake-model", req, 0, fake_server.base_url)
        for item in iter_items(items)
        for req in binary_rubric.requests(item)
    }
    assert len(lines) == 20 and {x["custom_id"] for x in lines} == expected_keys
    assert {x["url"] for x in lines} == {"/v1/chat/completions"}
    assert lines[0]["body"]["response_format"]["json_schema"]["strict"] is True
    assert lines[0]["body"]["model"] == "fake-model"

    # still running: a re-run polls, submits nothing new, sends nothing
    again = _run(items, binary_rubric, fake_server, db)
    assert again.stopped == "batch_pending" and len(fake_server.batches) == 3
    assert fake_server.chat_requests == []

    # the batches finish; rows for one item fail and fall back to the interactive path
    fake_server.batch_hold = False
    failing = items["text"][3]
    fake_server.batch_fail = failing
    done = _run(items, binary_rubric, fake_server, db)
    assert done.stopped is None and done.counts["ok"] == 20
    assert len(fake_server.chat_requests) == 2  # the two labels of the failed item
    assert all(
        failing in kit.fake.first_user_text(b["messages"]) for b in fake_server.chat_requests
    )
    df = done.annotations
    assert {(r.item_id, r.label): r.value for r in df.itertuples()} == kit.expected_rows(
        binary_rubric, items
    )
    with RunStore(db) as store:
        sources = Counter(r[0] for r in store.db.execute("SELECT source FROM responses"))
        assert sources == {"batch": 18, "interactive": 2}
        assert all(b["ingested"] == 1 for b in store.batches(done.run_id))

    # finished: nothing more is sent or submitted
    fake_server.reset_log()
    final = _run(items, binary_rubric, fake_server, db)
    assert final.stopped is None and final.counts["ok"] == 20
    assert [m for m, _, _ in fake_server.log if m == "POST"] == []
    assert len(fake_server.batches) == 3


def test_runs_show_reports_and_ingests(cli, binary_rubric_path, fake_server, tmp_path, kit):
    items_csv = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items_csv, index=False)
    db = tmp_path / "r.sqlite"
    fake_server.batch_hold = True
    args = [
        "annotate",
        items_csv,
        "--rubric",
        binary_rubric_path,
        "--model",
        "fake-model",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        db,
        "--batch",
        "--quiet",
    ]
    r = cli(*args, "--out", tmp_path / "o.csv")
    # batches still running: items are left, so the exit code says so (3)
    assert r.code == 3 and "Batches submitted or still running (batch_1)" in r.out
    assert not (tmp_path / "o.csv").exists()
    run_id = r.out.split()[1].rstrip(":")
    r = cli("runs", "show", run_id, "--run-db", db)
    assert r.code == 0 and "batch batch_1: in_progress, 6 requests" in r.out
    r = cli("runs", "ingest", run_id, "--run-db", db)
    assert r.code == 3 and "batch batch_1: in_progress" in r.out  # work left (README exit codes)
    fake_server.batch_hold = False
    r = cli("runs", "ingest", run_id, "--run-db", db)
    assert r.code == 0 and "batch batch_1: completed (ingested)" in r.out
    r = cli("runs", "show", run_id, "--run-db", db)
    assert "batch batch_1: completed (ingested)" in r.out and "6 annotation rows" in r.out
    assert fake_server.chat_requests == []
    r = cli(*args, "--out", tmp_path / "o.csv")
    assert r.code == 0 and "6 ok" in r.out and fake_server.chat_requests == []
    assert (tmp_path / "o.csv").read_text().count("\n") == 7
