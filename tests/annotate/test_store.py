"""The run store: schema, WAL, immediate commits, keys, and the ratelimit buckets."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from edukit.annotate.engine import aggregate, request_key, run_identity
from edukit.annotate.ratelimit import TokenBucket
from edukit.annotate.store import RunStore
from edukit.prompt import Decision, PromptRequest

REQ = PromptRequest(
    item_id="7",
    key="confusion",
    labels=("confusion",),
    version="1",
    messages=[{"role": "user", "content": "hi"}],
    schema_name="s",
    schema={"type": "object"},
    params={"temperature": 0},
)


def test_request_key_is_canonical_and_covers_its_inputs():
    k = request_key("m", REQ, 0)
    assert len(k) == 64 and k == request_key("m", REQ, 0)
    from dataclasses import replace

    # reordered params give the same key; any change of model, messages, schema, params
    # or sample gives another
    assert request_key("m", replace(REQ, params={"temperature": 0}), 0) == k
    others = {
        request_key("m2", REQ, 0),
        request_key("m", REQ, 1),
        request_key("m", replace(REQ, messages=[{"role": "user", "content": "hi!"}]), 0),
        request_key("m", replace(REQ, schema={"type": "array"}), 0),
        request_key("m", replace(REQ, params={"temperature": 1}), 0),
    }
    assert len(others) == 5 and k not in others
    # the item id and label name are not part of it: same prompt, same answer
    assert request_key("m", replace(REQ, item_id="8"), 0) == k


def test_store_is_wal_and_commits_each_response(tmp_path):
    db = tmp_path / "r.sqlite"
    store = RunStore(db)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.open_run("run1", {"model": "m", "rater": "m", "rubric": "r"})
    store.record_response("k1", {"status": "ok", "raw": "{}", "parsed": {}, "input_tokens": 3})
    # another connection sees it at once: nothing waits for a later commit
    other = sqlite3.connect(db)
    assert other.execute("SELECT status, input_tokens FROM responses").fetchall() == [("ok", 3)]
    with pytest.raises(sqlite3.IntegrityError):
        store.record_response("k2", {"status": "maybe"})
    other.close()
    store.close()


def test_open_run_reports_resume_and_tables(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as store:
        assert store.open_run("abc123", {"model": "m", "rater": "R"}) is False
        assert store.open_run("abc123", {"model": "m", "rater": "R"}) is True
        assert store.run("abc")["id"] == "abc123"  # a prefix is enough
        tables = {
            r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert tables == {
            "runs",
            "requests",
            "responses",
            "annotations",
            "batches",
            "request_redactions",
            "attempts",
            "leases",
        }
        assert store.summary("abc123")["requests"] == 0


def test_a_corrupt_store_is_a_user_error(tmp_path):
    from edukit.errors import AnnotationError

    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(AnnotationError, match="cannot open the run store"):
        RunStore(bad)


def test_run_identity_ignores_limit_and_speed_options():
    class R:
        hash = "h"

    a = run_identity(R, "m", None, "m", 1, "in.csv")
    assert a == run_identity(R, "m", None, "m", 1, "in.csv")
    assert a != run_identity(R, "m", None, "m", 3, "in.csv")
    assert a != run_identity(R, "m", "http://x/v1", "m", 1, "in.csv")


def test_aggregate_majority_vote_share_and_ties():
    d = lambda v, why=None: Decision("move", v, "2", why)  # noqa: E731
    group = [
        ("k0", [d("focus", "a")], {}),
        ("k1", [d("telling", "b")], {}),
        None,  # an invalid sample does not vote
        ("k3", [d("telling", "c")], {}),
    ]
    (row,) = aggregate(group)
    assert row["value"] == "telling" and row["confidence"] == pytest.approx(2 / 3)
    assert row["sample"] == 1 and row["reasoning"] == "b" and row["key"] == "k1"
    tie = aggregate([("k0", [d("focus")], {}), ("k1", [d("probing")], {})])
    assert tie[0]["value"] == "focus" and tie[0]["confidence"] == 0.5
    single = aggregate([("k0", [d("focus")], {"move": 0.8})])
    assert single[0]["confidence"] == 0.8 and single[0]["sample"] == 0
    assert aggregate([None, None]) == []


def test_token_bucket_waits_for_refill():
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])  # one per second, burst of one
    assert bucket.delay(1) == 0
    asyncio.run(bucket.acquire(1))
    assert bucket.delay(1) == pytest.approx(1.0)
    now[0] = 0.5
    assert bucket.delay(1) == pytest.approx(0.5)
    now[0] = 1.0
    assert bucket.delay(1) == 0
    big = TokenBucket(600, clock=lambda: now[0])  # 10/s: a 50-token request waits for a full bucket
    big.level = 0
    assert big.delay(50) == pytest.approx(1.0)


def test_rpm_and_tpm_limits_are_applied_to_every_request(
    binary_rubric, fake_server, tmp_path, kit, monkeypatch
):
    from edukit.annotate import ratelimit
    from edukit.annotate.engine import annotate

    taken: list[tuple[float, float]] = []
    real = ratelimit.TokenBucket.acquire

    async def acquire(self, amount=1.0):
        taken.append((self.rate * 60, amount))
        await real(self, amount)

    monkeypatch.setattr(ratelimit.TokenBucket, "acquire", acquire)
    annotate(
        kit.make_items(2),
        binary_rubric,
        "fake-model",
        base_url=fake_server.base_url,
        run_db=tmp_path / "r.sqlite",
        rpm=600,
        tpm=100000,
        quiet=True,
    )
    rpm = [a for r, a in taken if r == 600]
    tpm = [a for r, a in taken if r == 100000]
    assert rpm == [1, 1, 1, 1] and len(tpm) == 4 and all(50 < a < 1000 for a in tpm)


def test_run_cost_applies_the_batch_discount_to_batch_tokens_only():
    from edukit.annotate.cost import load_prices
    from edukit.annotate.engine import _run_cost

    prices = load_prices()
    summary = {
        "input_tokens": 3_000_000,
        "output_tokens": 1_000_000,
        "batch_input_tokens": 2_000_000,
        "batch_output_tokens": 0,
    }
    price = prices.lookup("gpt-4o-mini")
    expected = (1_000_000 * price.input + 1_000_000 * price.output) / 1e6 + (
        2_000_000 * price.input / 1e6
    ) * (1 - prices.batch_discount)
    assert _run_cost(prices, "gpt-4o-mini", summary) == pytest.approx(expected)
    assert _run_cost(prices, "no-such-model", summary) is None


def test_leases_a_live_process_holds_a_dead_or_expired_one_is_taken_over(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from edukit.annotate.store import HOST

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with RunStore(tmp_path / "r.sqlite") as store:

        def lease(key, owner, pid, expires):
            store.db.execute(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?)",
                (key, owner, HOST, pid, expires),
            )

        later = time.time() + 600
        lease("live", "other", os.getppid(), later)  # our parent process: alive
        lease("dead", "other", dead.pid, later)  # a killed process's lease
        lease("old", "other", os.getppid(), time.time() - 1)  # expired
        with store.write():
            got = {k: store.claim(k, "me", 60) for k in ("live", "dead", "old", "new")}
        assert got == {"live": "busy", "dead": "mine", "old": "mine", "new": "mine"}
        store.record_response("done", {"status": "ok"})
        with store.write():
            assert store.claim("done", "me", 60) == "finished"
            store.release_all("me")
        owners = dict(store.db.execute("SELECT key, owner FROM leases").fetchall())
        assert owners == {"live": "other"}
