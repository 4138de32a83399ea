"""The run store under hostile servers and everyday accidents (issue 13), through the CLI.

Malformed 200 bodies, a second endpoint, a trickling server, a gateway echoing the key, --limit
narrower than an earlier run, `runs show`, and durability checked from a second connection.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter

import pandas as pd
import pytest


@pytest.fixture
def fast_retries(monkeypatch):
    """Retries without the real backoff (the waits are tested in test_faults)."""
    from edukit.annotate import exchange

    monkeypatch.setattr(exchange, "BACKOFF_BASE", 0.01)


def _items_csv(tmp_path, kit, n):
    path = tmp_path / "items.csv"
    items = kit.make_items(n)
    items.to_csv(path, index=False)
    return path, items


def _rows(out):
    df = pd.read_csv(out, dtype={"item_id": str})
    return {(r.item_id, r.label): r.value for r in df.itertuples()}


def _errors(db) -> list[str]:
    with sqlite3.connect(db) as con:
        return [e for (e,) in con.execute("SELECT error FROM attempts WHERE error IS NOT NULL")]


MALFORMED = ["not_json", "cut", "empty_choices", "json_list"]


def test_malformed_200_bodies_are_retried_api_errors(
    cli, binary_rubric_path, binary_rubric, fake_server, tmp_path, kit, fast_retries
):
    items_csv, items = _items_csv(tmp_path, kit, 6)
    faults = [*MALFORMED, "usage_strings", "usage_absurd"]
    fake_server.fault_rules = [(f"Comment number {i}:", [f]) for i, f in enumerate(faults)]
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--out", out))
    assert r.code == 0, r.err
    assert "Traceback" not in r.err and "Done." in r.out
    assert _rows(out) == kit.expected_rows(binary_rubric, items)
    # each malformed body was one failed call with its reason, then a retry
    errors = _errors(db)
    reasons = Counter(e.split(" (")[0].split(":")[1].strip() for e in errors if "malformed" in e)
    assert reasons == {
        "the 200 answer is not JSON": 2,  # a gateway's page, and a body cut off
        "the 200 answer has a bad choices": 1,
        "the 200 answer is a JSON list, not an object": 1,
    }
    assert len(kit.request_ids(fake_server)) == 12 + 4
    # unusable usage is unknown usage: recorded as such, never added as the server gave it
    # (it is estimated from the text instead)
    assert sum(e.startswith("usage unknown") for e in errors) == 2
    assert "~$" in r.out or "tokens ~" in r.out


def test_a_body_malformed_on_every_retry_is_one_api_error(
    cli, binary_rubric_path, fake_server, tmp_path, kit, fast_retries
):
    items_csv, _ = _items_csv(tmp_path, kit, 3)
    fake_server.fault_rules = [("Comment number 1:", ["not_json"] * 6)]  # 1 call + 5 retries
    db = tmp_path / "r.sqlite"
    # both requests of item 1 have its text: with one at a time, the first meets all six
    r = cli(
        *kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--concurrency", "1")
    )
    assert r.code == 3 and "Traceback" not in r.err and "Done." not in r.out
    assert "5 ok, 0 invalid, 1 API errors, 0 pending; 11 requests sent" in r.out
    assert "1 items left: 1 requests failed with API errors" in r.out
    with sqlite3.connect(db) as con:
        (errors,) = con.execute("SELECT errors FROM responses WHERE status='api_error'").fetchone()
    assert "malformed answer: the 200 answer is not JSON" in errors and "502 Bad Gateway" in errors
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db))
    assert r.code == 0 and "Done." in r.out and "1 requests sent" in r.out


def test_endpoint_is_part_of_the_request_identity(
    cli, binary_rubric_path, fake_server, tmp_path, kit
):
    items_csv, _ = _items_csv(tmp_path, kit, 4)
    db = tmp_path / "r.sqlite"
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db))
    assert r.code == 0 and len(fake_server.chat_requests) == 8
    first_run = r.out.split()[1].rstrip(":")
    # the same endpoint spelled differently is the same run: nothing sent
    fake_server.reset_log()
    same = fake_server.base_url.replace("/v1", "//v1/")
    args = kit.annotate_args(items_csv, binary_rubric_path, fake_server, db)
    r = cli(*[same if a == fake_server.base_url else a for a in args])
    assert r.code == 0 and fake_server.chat_requests == [] and first_run in r.out
    # another server: its own answers, sent again
    other = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    third = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    try:
        r = cli(*kit.annotate_args(items_csv, binary_rubric_path, other, db))
        assert r.code == 0 and len(other.chat_requests) == 8 and first_run not in r.out
        # moving the first run's answers to a third endpoint is explicit
        r = cli(
            *kit.annotate_args(items_csv, binary_rubric_path, third, db, "--reuse-from", first_run)
        )
        assert r.code == 0 and third.chat_requests == [], r.err
        assert "8 reused from another run" in r.out and "tokens 0 in / 0 out" in r.out
        third_run = r.out.split()[1].rstrip(":")
        r = cli("runs", "show", third_run, "--run-db", db)
        assert f"at endpoint {third.base_url}" in r.out and f"reuse_from={first_run}" in r.out
    finally:
        other.stop()
        third.stop()


def test_a_trickling_server_times_out_and_is_retried(
    cli, binary_rubric_path, binary_rubric, fake_server, tmp_path, kit, fast_retries
):
    items_csv, items = _items_csv(tmp_path, kit, 2)
    fake_server.trickle_seconds = 0.05  # ~400 bytes: 20 s for the answer, each read quick
    fake_server.fault_rules = [("Comment number 0:", ["trickle"])]
    db, out = tmp_path / "r.sqlite", tmp_path / "o.csv"
    start = time.monotonic()
    r = cli(
        *kit.annotate_args(
            items_csv, binary_rubric_path, fake_server, db, "--timeout", "1", "--out", out
        )
    )
    assert r.code == 0, r.err
    assert time.monotonic() - start < 10  # the whole call was cut at 1 s, then retried
    assert _rows(out) == kit.expected_rows(binary_rubric, items)
    assert _errors(db) == ["timeout: no complete answer within 1 s"]
    assert "5 requests sent" in r.out  # four requests, one of them twice


def test_the_api_key_is_in_no_file_and_no_message(
    cli, binary_rubric_path, fake_server, tmp_path, kit, fast_retries
):
    items_csv, _ = _items_csv(tmp_path, kit, 3)
    db, out = tmp_path / "r.sqlite", tmp_path / "o.csv"
    # a key pasted where the variable's name belongs is refused without echoing it
    r = cli(
        *kit.annotate_args(items_csv, binary_rubric_path, fake_server, db),
        "--api-key-env",
        kit.secret,
    )
    assert r.code == 2 and kit.secret not in r.out + r.err and "not a valid name" in r.err
    r = cli(
        *kit.annotate_args(items_csv, binary_rubric_path, fake_server, db),
        "--api-key-env",
        "sk_abc12",
    )
    assert r.code == 2 and "sk_abc12" not in r.out + r.err
    # a gateway echoing the credentials in a 400 (on every rung of the ladder) and in a 200
    fake_server.fault_rules = [
        ("Comment number 0:", ["echo_auth"] * 3),
        ("Comment number 1:", ["echo_auth_200"]),
    ]
    args = kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--out", out)
    r = cli(*args, "--concurrency", "1")
    assert r.code == 3 and kit.secret not in r.out + r.err
    with sqlite3.connect(db) as con:
        raws = [x for (x,) in con.execute("SELECT raw FROM responses") if x and "seen" in x]
        (errors,) = con.execute("SELECT errors FROM responses WHERE status='api_error'").fetchone()
    assert raws and all("Authorization: Bearer ***" in x for x in raws)
    assert "Bearer ***" in errors
    r = cli("runs", "show", r.out.split()[1].rstrip(":"), "--run-db", db)
    assert r.code == 0 and kit.secret not in r.out
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"r.sqlite", "o.csv"}
    for f in files:
        assert kit.secret.encode() not in f.read_bytes(), f


def test_scrubbing_replaces_only_whole_long_keys():
    from edukit.annotate.secrets import Scrubber

    assert Scrubber("x")("example text x") == "example text x"  # short keys: left alone
    key = "sk-live-0123456789"
    s = Scrubber(key)
    assert s(f"key {key}, again {key}.") == "key ***, again ***."
    assert s(f"{key}9 is another token") == f"{key}9 is another token"
    assert s("Authorization: Bearer abc") == "Authorization: Bearer ***"
    assert s('{"api-key": "short"}') == '{"api-key": "***"}'
    assert s("a key-value store, bearer bonds") == "a key-value store, bearer bonds"
    assert s("sent with bearer abcdefgh12345") == "sent with bearer ***"


def test_limit_smaller_than_an_earlier_run(
    cli, binary_rubric_path, binary_rubric, fake_server, tmp_path, kit, fast_retries
):
    items_csv, items = _items_csv(tmp_path, kit, 8)
    db, out = tmp_path / "r.sqlite", tmp_path / "o.csv"
    fake_server.fault_rules = [("Comment number 6:", ["429"] * 6)]
    r = cli(
        *kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--concurrency", "1")
    )
    assert r.code == 3 and "7 of 8 items done (1 left)" in r.out
    fake_server.reset_log()
    r = cli(
        *kit.annotate_args(
            items_csv, binary_rubric_path, fake_server, db, "--limit", "3", "--out", out
        )
    )
    assert r.code == 0 and fake_server.chat_requests == [], r.out
    assert "3 of 3 items done; 6 ok, 0 invalid, 0 API errors, 0 pending" in r.out
    assert "Done." in r.out and "API errors; re-run" not in r.out
    assert _rows(out) == kit.expected_rows(binary_rubric, items.head(3))


def test_runs_show_gives_options_endpoint_time_and_latency(
    cli, binary_rubric_path, fake_server, tmp_path, kit, fast_retries
):
    items_csv, _ = _items_csv(tmp_path, kit, 3)
    fake_server.faults = ["500"]
    db = tmp_path / "r.sqlite"
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--limit", "3"))
    assert r.code == 0
    r = cli("runs", "show", r.out.split()[1].rstrip(":"), "--run-db", db)
    assert f"at endpoint {fake_server.base_url}" in r.out
    assert (
        "concurrency=auto" in r.out and "limit=3" in r.out
    )  # auto: a local server and "input=" in r.out
    assert "samples=1" in r.out
    assert "HTTP calls 7: 1 HTTP 500, 6 ok; elapsed " in r.out
    assert "latency p50 " in r.out and " p99 " in r.out


def test_each_response_is_committed_before_progress_hears_of_it(
    binary_rubric, fake_server, tmp_path, kit
):
    """Durability without timing: a second connection sees every finished request at once."""
    from edukit.annotate.engine import annotate

    db = tmp_path / "r.sqlite"
    checks = []

    def progress(snap):
        with sqlite3.connect(db) as con:
            (answered,) = con.execute("SELECT COUNT(*) FROM responses").fetchone()
            (rows,) = con.execute("SELECT COUNT(*) FROM annotations").fetchone()
        checks.append((snap["done"], answered, rows))

    items = kit.make_items(10)
    res = annotate(
        items,
        binary_rubric,
        "fake-model",
        base_url=fake_server.base_url,
        run_db=db,
        concurrency=4,
        progress=progress,
    )
    assert res.counts["ok"] == 20 and [c[0] for c in checks] == list(range(1, 21))
    # binary rubric: one annotation row per request, written with its response
    assert all(answered >= done and rows >= done for done, answered, rows in checks)


@pytest.fixture
def priced(set_prices):
    """Every input token of fake-model costs $1, output is free (budgets are easy to read)."""
    set_prices("fake-model")


def test_max_cost_reserves_in_flight_requests_and_counts_only_this_runs_spending(
    priced, cli, binary_rubric_path, fake_server, tmp_path, kit
):
    items_csv, _ = _items_csv(tmp_path, kit, 20)
    db = tmp_path / "r.sqlite"
    fake_server.latency = 0.05
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--max-cost", "500"))
    assert r.code == 3 and "Done." not in r.out and "--max-cost $500" in r.out
    served = [i for i, _ in fake_server.served_usage]
    # eight requests in flight at a time, yet at most one request's cost over the budget
    assert sum(served) <= 500 + max(served)
    assert f"cost ${sum(served):,.4f}" in r.out
    m = re.search(r"(\d+) of 20 items done \((\d+) left\)", r.out)
    assert m and int(m.group(2)) == 20 - int(m.group(1)) > 0
    assert f"{40 - len(served)} pending" in r.out  # items never started are pending too
    # finish the run without a budget, then move it to another endpoint: the reused answers
    # cost this run nothing, so a small budget does not block it
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, fake_server, db))
    assert r.code == 0 and "Done." in r.out
    first_run = r.out.split()[1].rstrip(":")
    other = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    try:
        args = kit.annotate_args(items_csv, binary_rubric_path, other, db, "--max-cost", "1")
        r = cli(*args, "--reuse-from", first_run)
        assert r.code == 0 and other.chat_requests == [] and "cost $0.0000" in r.out
        assert "40 reused from another run" in r.out
    finally:
        other.stop()


def test_a_failing_progress_callback_stops_the_run_with_its_error(
    binary_rubric, fake_server, tmp_path, kit
):
    from edukit.annotate.engine import annotate

    def progress(snap):
        raise ValueError("callback broke")

    with pytest.raises(ValueError, match="callback broke"):
        annotate(
            kit.make_items(3),
            binary_rubric,
            "fake-model",
            base_url=fake_server.base_url,
            run_db=tmp_path / "r.sqlite",
            progress=progress,
        )
