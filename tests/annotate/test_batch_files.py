"""--batch-file / --batch-results: batch files for cluster schedulers (issue 26)."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def _player():
    spec = importlib.util.spec_from_file_location("fake_run_batch", HERE / "fake_run_batch.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fake_run_batch", module)
    spec.loader.exec_module(module)
    return module


def _args(items, rubric, db, *extra):
    # no --base-url: nothing may be sent anywhere
    return ["annotate", items, "--rubric", rubric, "--model", "m", "--run-db", db, "-q", *extra]


def _responses(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT * FROM responses ORDER BY key").fetchall()


def test_batch_file_answered_by_vllm_run_batch_finishes_the_run(
    cli, tmp_path, binary_rubric_path, binary_rubric, kit, monkeypatch
):
    monkeypatch.delenv("OPENAI_API_KEY")  # nothing is sent: no key needed
    items = tmp_path / "items.csv"
    kit.make_items(10).to_csv(items, index=False)
    db, req = tmp_path / "r.sqlite", tmp_path / "requests.jsonl"
    r = cli(*_args(items, binary_rubric_path, db, "--batch-file", req))
    assert r.code == 3, r.err
    lines = [json.loads(x) for x in req.read_text().splitlines()]
    assert len(lines) == 20 and len({x["custom_id"] for x in lines}) == 20
    assert {(x["method"], x["url"], x["body"]["model"]) for x in lines} == {
        ("POST", "/v1/chat/completions", "m")
    }
    assert lines[0]["body"]["response_format"]["type"] == "json_schema"
    assert f"Wrote 20 requests to {req} (nothing sent)" in r.out and "vllm run-batch" in r.out
    # the job: every 7th line an error, lines shuffled, the output cut into two files
    out1, out2 = tmp_path / "results.jsonl", tmp_path / "results2.jsonl"
    failed = _player().run_batch(req, out1, out2, fail_every=7, seed=3)
    assert len(failed) == 2
    # the second (partial) file first
    r = cli(*_args(items, binary_rubric_path, db, "--batch-results", out2))
    assert r.code == 3 and "Batch results: " in r.out, r.out + r.err
    # both files, in any order, the second again: each answer stored once
    r = cli(*_args(items, binary_rubric_path, db, "--batch-results", out2, "--batch-results", out1))
    assert r.code == 3, r.err
    assert "18 ok, 0 invalid, 2 API errors, 0 pending" in r.out
    assert "2 error lines" in r.out and "already answered" in r.out
    # the error lines' requests are written again, and only they
    req2 = tmp_path / "again.jsonl"
    r = cli(*_args(items, binary_rubric_path, db, "--batch-file", req2))
    assert r.code == 3 and {
        json.loads(x)["custom_id"] for x in req2.read_text().splitlines()
    } == set(failed)
    out3 = tmp_path / "results3.jsonl"
    _player().run_batch(req2, out3)
    out = tmp_path / "ann.csv"
    r = cli(*_args(items, binary_rubric_path, db, "--batch-results", out3, "--out", out))
    assert r.code == 0, r.out + r.err
    assert "20 ok, 0 invalid, 0 API errors, 0 pending" in r.out and "Done." in r.out
    df = pd.read_csv(out, dtype={"item_id": str})
    assert len(df) == 20 and not df.duplicated(["item_id", "label"]).any()
    expected = kit.expected_rows(binary_rubric, pd.read_csv(items, dtype={"item_id": str}))
    assert {(x.item_id, x.label): x.value for x in df.itertuples()} == expected
    # re-running the same command finishes from the store
    r = cli(*_args(items, binary_rubric_path, db, "--batch-results", out3))
    assert r.code == 0 and "Done." in r.out


def test_malformed_result_lines_are_one_error_each_and_change_nothing(
    cli, tmp_path, binary_rubric_path, kit
):
    items = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items, index=False)
    db, req, out = tmp_path / "r.sqlite", tmp_path / "req.jsonl", tmp_path / "res.jsonl"
    assert cli(*_args(items, binary_rubric_path, db, "--batch-file", req)).code == 3
    _player().run_batch(req, out)
    good = out.read_text().splitlines()
    first = json.loads(good[0])
    extra = dict(first, surprise=1)
    not_chat = dict(first, response={"status_code": 200, "request_id": "x", "body": {"a": 1}})
    bad_status = dict(first, response={"status_code": "ok"})
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        "\n".join(
            [good[0][:40], json.dumps(extra), json.dumps(not_chat), json.dumps(bad_status), "[]"]
        )
        + "\n"
    )
    before = _responses(db)
    r = cli(*_args(items, binary_rubric_path, db, "--batch-results", broken))
    assert r.code == 2
    errors = [x for x in r.err.splitlines() if x.startswith("Error: ")]
    assert len(errors) == 5, r.err
    for n in range(1, 6):
        assert any(f"{broken}, line {n}: " in e for e in errors), (n, errors)
    assert _responses(db) == before
    # a good file next to a broken one: the good lines are read, the bad ones change nothing
    r = cli(
        *_args(items, binary_rubric_path, db, "--batch-results", out, "--batch-results", broken)
    )
    assert r.code == 2 and "6 ok, 0 invalid, 0 API errors, 0 pending" in r.out


def test_batch_files_are_split_by_count_and_size(
    cli, tmp_path, binary_rubric_path, kit, monkeypatch
):
    from edukit.annotate import batch as batch_api

    monkeypatch.setattr(batch_api, "MAX_PER_BATCH", 8)
    items = tmp_path / "items.csv"
    kit.make_items(10).to_csv(items, index=False)
    req = tmp_path / "req.jsonl"
    r = cli(*_args(items, binary_rubric_path, tmp_path / "r.sqlite", "--batch-file", req))
    assert r.code == 3
    parts = [tmp_path / f"req.{i}.jsonl" for i in (1, 2, 3)]
    assert [len(p.read_text().splitlines()) for p in parts] == [8, 8, 4] and not req.exists()
    assert not list(tmp_path.glob(".*tmp"))
    monkeypatch.setattr(batch_api, "MAX_PER_BATCH", 50_000)
    monkeypatch.setattr(batch_api, "MAX_BATCH_BYTES", 3 * len(parts[0].read_text().splitlines()[0]))
    req2 = tmp_path / "size.jsonl"
    r = cli(*_args(items, binary_rubric_path, tmp_path / "r.sqlite", "--batch-file", req2))
    sizes = sorted(p.stat().st_size for p in tmp_path.glob("size.*.jsonl"))
    assert r.code == 3 and len(sizes) >= 7 and max(sizes) <= batch_api.MAX_BATCH_BYTES
