"""Scripted faults: every item is annotated exactly once and errors are recorded, not coerced."""

from __future__ import annotations

from collections import Counter

from edukit.annotate.engine import annotate
from edukit.annotate.store import RunStore


def _run(items, rubric, server, db, **kw):
    kw.setdefault("quiet", True)
    kw.setdefault("timeout", 1.0)
    kw.setdefault("max_retries", 3)
    return annotate(items, rubric, "fake-model", base_url=server.base_url, run_db=db, **kw)


def test_every_fault_is_survived_exactly_once(binary_rubric, fake_server, tmp_path, kit):
    fake_server.hang_seconds = 2.0  # past the client's 1 s timeout
    faults = ["429", "500", "hang", "reset", "malformed", "bad_enum"]
    # one fault per item, so each hits exactly one request (the first for that item's text)
    fake_server.fault_rules = [(f"Comment number {i}:", [f]) for i, f in enumerate(faults)]
    items = kit.make_items(8)
    res = _run(items, binary_rubric, fake_server, tmp_path / "r.sqlite", concurrency=3)
    df = res.annotations
    assert res.counts == {"ok": 16, "invalid": 0, "api_error": 0, "pending": 0}
    # exactly one row per (item, label), each equal to what the server answered
    assert Counter(zip(df["item_id"], df["label"], strict=True)).most_common(1)[0][1] == 1
    got = {(r.item_id, r.label): r.value for r in df.itertuples()}
    assert got == kit.expected_rows(binary_rubric, items)
    # 16 requests + one repeat for each fault (a retry by the client or a re-ask by edukit)
    ids = Counter(kit.request_ids(fake_server))
    assert len(ids) == 16 and sum(ids.values()) == 16 + len(faults)
    assert sorted(ids.values(), reverse=True)[: len(faults) + 1] == [2] * len(faults) + [1]
    assert [s for _, _, s in fake_server.log].count(429) == 1
    assert [s for _, _, s in fake_server.log].count(500) == 1
    # every HTTP call is an attempt (the engine retries, not the SDK): six faulted requests
    with RunStore(tmp_path / "r.sqlite") as store:
        attempts = [r[0] for r in store.db.execute("SELECT attempts FROM responses")]
        logged = store.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    assert sorted(attempts) == [1] * 10 + [2] * 6
    assert logged == 16 + len(faults) == res.sent
    # the two invalid answers were re-asked with the error appended
    reasks = [b for b in fake_server.chat_requests if len(b["messages"]) > 2]
    assert len(reasks) == 2
    assert all(b["messages"][-1]["content"].startswith("Your answer could not") for b in reasks)
    assert all(b["messages"][-2]["role"] == "assistant" for b in reasks)


def test_invalid_after_n_reasks_is_recorded_not_coerced(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(3)
    target = items["text"][1]
    fake_server.fault_rules = [(target, ["bad_enum"] * 3)]
    db = tmp_path / "r.sqlite"
    res = _run(items, binary_rubric, fake_server, db, max_reasks=2, concurrency=1)
    # both labels of item 1 ask with that text: the first eats the three faults
    assert res.counts == {"ok": 5, "invalid": 1, "api_error": 0, "pending": 0}
    df = res.annotations
    assert len(df) == 5
    with RunStore(db) as store:
        row = store.db.execute(
            "SELECT raw, attempts, errors, input_tokens FROM responses WHERE status='invalid'"
        ).fetchone()
    raw, attempts, errors, tokens_in = row
    assert '"maybe"' in raw and attempts == 3 and errors.count("must be true or false") == 3
    assert tokens_in > 0  # usage of failed attempts is counted
    # invalid is final: a re-run sends nothing
    fake_server.reset_log()
    res2 = _run(items, binary_rubric, fake_server, db, max_reasks=2)
    assert fake_server.chat_requests == [] and res2.counts["invalid"] == 1


def test_api_errors_are_distinct_and_retried_next_run(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(2)
    db = tmp_path / "r.sqlite"
    # max_retries=2: three attempts, all 500; then the ladder checks the next rung (a 500 with
    # response_format and not without would be the format's fault): three more 500s, so it is not
    fake_server.faults = ["500"] * 6
    res = _run(items, binary_rubric, fake_server, db, max_retries=2, concurrency=1)
    assert res.counts == {"ok": 3, "invalid": 0, "api_error": 1, "pending": 0}
    assert len(res.annotations) == 3
    fake_server.reset_log()
    res2 = _run(items, binary_rubric, fake_server, db, max_retries=2)
    assert len(fake_server.chat_requests) == 1  # only the api_error request is sent again
    assert res2.counts == {"ok": 4, "invalid": 0, "api_error": 0, "pending": 0}
    assert {(r.item_id, r.label): r.value for r in res2.annotations.itertuples()} == (
        kit.expected_rows(binary_rubric, items)
    )


def test_key_echoed_by_server_is_scrubbed(binary_rubric, fake_server, tmp_path, kit):
    fake_server.faults = ["echo_auth"] * 3  # 400 on every rung of the ladder
    db = tmp_path / "r.sqlite"
    res = _run(kit.make_items(1), binary_rubric, fake_server, db, concurrency=1)
    assert res.counts["api_error"] == 1
    with RunStore(db) as store:
        (errors,) = store.db.execute(
            "SELECT errors FROM responses WHERE status='api_error'"
        ).fetchone()
    assert "refused" in errors and "***" in errors
    for f in tmp_path.iterdir():
        assert kit.secret.encode() not in f.read_bytes(), f


def test_retry_after_is_honoured(binary_rubric, fake_server, tmp_path, kit):
    """The retry waits what the server's Retry-After says: longer, and shorter, than backoff."""
    items = kit.make_items(1)  # two requests; the first meets the 429
    gaps = {}
    for wait in ("1.2", "0.05"):  # the client's own first backoff is 0.375-0.5 s
        fake_server.reset_log()
        fake_server.retry_after = wait
        fake_server.faults = ["429"]
        db = tmp_path / f"r{wait}.sqlite"
        res = _run(items, binary_rubric, fake_server, db, concurrency=1)
        assert res.counts["ok"] == 2 and [s for *_, s in fake_server.log][:2] == [429, 200]
        gaps[wait] = fake_server.chat_times[1] - fake_server.chat_times[0]
    assert 1.2 <= gaps["1.2"] < 2.0
    assert gaps["0.05"] < 0.3


def test_usage_of_failed_attempts_is_counted(binary_rubric, fake_server, tmp_path, kit):
    """Tokens of invalid answers, of re-asks and of attempts before an API error all count."""
    items = kit.make_items(2)
    target = items["text"][0]
    # item 0, first request: an invalid answer (usage), then its re-ask fails with 500s
    # (and the ladder's check of the next rung meets the same 500s: not a format refusal)
    fake_server.fault_rules = [(target, ["bad_enum"] + ["500"] * 4)]
    db = tmp_path / "r.sqlite"
    res = _run(items, binary_rubric, fake_server, db, max_retries=1, concurrency=1)
    assert res.counts == {"ok": 3, "invalid": 0, "api_error": 1, "pending": 0}
    served = list(fake_server.served_usage)
    assert len(served) == 4  # the invalid answer and three good ones
    assert (res.input_tokens, res.output_tokens) == tuple(map(sum, zip(*served, strict=True)))
    with RunStore(db) as store:
        err = store.db.execute(
            "SELECT input_tokens, attempts FROM responses WHERE status = 'api_error'"
        ).fetchone()
    assert err[0] == served[0][0] > 0  # the invalid first answer's tokens are on the error row
    # the next run retries it; the failed run's tokens stay counted (not replaced)
    fake_server.reset_log()
    res2 = _run(items, binary_rubric, fake_server, db, concurrency=1)
    assert res2.counts["ok"] == 4 and len(fake_server.served_usage) == 1
    served += fake_server.served_usage
    assert (res2.input_tokens, res2.output_tokens) == tuple(map(sum, zip(*served, strict=True)))
    with RunStore(db) as store:
        (attempts,) = store.db.execute(
            "SELECT attempts FROM responses WHERE input_tokens = (SELECT MAX(input_tokens)"
            " FROM responses)"
        ).fetchone()
    assert attempts == 4  # invalid, the re-ask and its retry (two 500s), then the success


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint_stops_with_an_error_and_keeps_work(binary_rubric, tmp_path, kit):
    import time

    import pytest

    from edukit.errors import AnnotationError

    server = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    db = tmp_path / "r.sqlite"
    items = kit.make_items(4)
    done = _run(items.head(2), binary_rubric, server, db, max_retries=0)
    assert done.counts["ok"] == 4
    server.stop()  # the server goes away
    down = f"http://127.0.0.1:{_closed_port()}/v1"
    began = time.monotonic()
    with pytest.raises(AnnotationError, match="cannot reach the endpoint") as err:
        annotate(
            items,
            binary_rubric,
            "fake-model",
            base_url=down,
            run_db=db,
            quiet=True,
            max_retries=1,
            timeout=1.0,
            concurrency=4,
        )
    assert time.monotonic() - began < 10  # not every item, one after another
    assert err.value.path == down and "\n" not in str(err.value)
    # nothing already computed is lost: the first run's answers are still there
    with RunStore(db) as store:
        assert (
            store.db.execute("SELECT COUNT(*) FROM responses WHERE status='ok'").fetchone()[0] == 4
        )
