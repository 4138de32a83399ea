"""Resuming: kill -9 mid-run, finished runs, and --max-cost stops that resume."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from edukit.annotate.engine import annotate
from edukit.annotate.store import RunStore


def _ids_of_committed(db, fake):
    """Item texts of the requests whose response was committed (status ok)."""
    with RunStore(db) as store:
        run_id = store.runs()[0]["id"]
        return {
            fake.first_user_text(r["messages"])
            for r in store.requests(run_id)
            if store.status(r["key"]) == "ok"
        }


def test_kill_9_then_resume_sends_no_finished_request(
    single_rubric_path, single_rubric, tmp_path, kit, repo_root, cli, kill_9_after
):
    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.2).start()
    try:
        items = kit.make_items(40)
        items_csv = tmp_path / "items.csv"
        items.to_csv(items_csv, index=False)
        db, out = tmp_path / "runs.sqlite", tmp_path / "out.csv"
        args = kit.annotate_args(items_csv, single_rubric_path, server, db, "--concurrency", "4")
        env = {**os.environ, "OPENAI_API_KEY": kit.secret}
        proc = subprocess.Popen(
            [sys.executable, str(repo_root / "cli.py"), *map(str, args)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        kill_9_after(proc, server, 16)
        first = list(kit.request_ids(server))
        committed = _ids_of_committed(db, kit.fake)
        assert 12 <= len(committed) < 40  # it died mid-run, with work saved
        server.reset_log()
        r = cli(*args, "--out", out)
        assert r.code == 0, r.err
        second = kit.request_ids(server)
        second_texts = {kit.fake.first_user_text(b["messages"]) for b in server.chat_requests}
        # nothing committed is sent again; only what was in flight (at most 4) is repeated
        assert not second_texts & committed
        assert len(second) == 40 - len(committed)
        assert len(set(first) & set(second)) <= 4
        both = Counter(first + second)
        assert len(both) == 40
        import pandas as pd

        df = pd.read_csv(out, dtype={"item_id": str})
        assert len(df) == 40
        assert {(r.item_id, r.label): r.value for r in df.itertuples()} == kit.expected_rows(
            single_rubric, items
        )
    finally:
        server.stop()


def test_finished_run_rerun_sends_zero_requests(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(6)
    db = tmp_path / "r.sqlite"
    kw = dict(base_url=fake_server.base_url, run_db=db, quiet=True)
    first = annotate(items, binary_rubric, "fake-model", **kw)
    assert first.sent == 12 and not first.resumed
    fake_server.reset_log()
    again = annotate(items, binary_rubric, "fake-model", **kw)
    assert fake_server.chat_requests == [] and again.sent == 0 and again.cached == 12
    assert again.resumed and again.run_id == first.run_id
    assert again.annotations.equals(first.annotations)
    # a larger corpus continues the cache: only the new items are sent
    more = kit.make_items(9)
    grown = annotate(more, binary_rubric, "fake-model", **kw)
    assert len(fake_server.chat_requests) == 6 and grown.cached == 12


@pytest.fixture
def priced(set_prices):
    """A price file that makes every input token cost $1 (so budgets are easy to read)."""
    set_prices("fake-priced")


def test_max_cost_stops_cleanly_and_resumes(
    priced, binary_rubric_path, fake_server, tmp_path, kit, cli
):
    items_csv = tmp_path / "items.csv"
    kit.make_items(10).to_csv(items_csv, index=False)
    db = tmp_path / "r.sqlite"
    base = [
        "annotate",
        items_csv,
        "--rubric",
        binary_rubric_path,
        "--model",
        "fake-priced",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        db,
        "--quiet",
        "--concurrency",
        "1",
    ]
    r = cli(*base, "--max-cost", "500")
    assert r.code == 3, r.err  # items left: a script can tell
    assert "Stopped: the run reached --max-cost $500" in r.out and "Done." not in r.out
    assert "re-run the same command with a higher --max-cost" in r.out
    with RunStore(db) as store:
        rows = store.db.execute("SELECT input_tokens FROM responses ORDER BY finished").fetchall()
    spent = [t for (t,) in rows]
    # each request's estimated cost is reserved before it is sent: the run stops when the next
    # one would not fit, so it never passes the budget by more than one request's cost
    assert sum(spent) <= 500 + max(spent) and sum(spent) + 2 * max(spent) > 500
    assert 0 < len(spent) < 20 and len(fake_server.chat_requests) == len(spent)
    # every request not sent is pending (also those of items never started)
    assert f"{20 - len(spent)} pending" in r.out
    # the same budget again sends nothing more, and says so (never "Done.")
    r = cli(*base, "--max-cost", "500")
    assert r.code == 3 and len(fake_server.chat_requests) == len(spent)
    assert "Stopped" in r.out and "Done." not in r.out
    # resume without a budget: the rest, no duplicates
    r = cli(*base)
    assert r.code == 0 and "20 ok" in r.out
    ids = Counter(kit.request_ids(fake_server))
    assert len(ids) == 20 and set(ids.values()) == {1}


def test_max_cost_needs_a_price(binary_rubric, fake_server, tmp_path, kit):
    from edukit.errors import AnnotationError

    with pytest.raises(AnnotationError, match="needs a price for model 'no-price-model'"):
        annotate(
            kit.make_items(1),
            binary_rubric,
            "no-price-model",
            base_url=fake_server.base_url,
            run_db=tmp_path / "r.sqlite",
            max_cost=1.0,
            quiet=True,
        )
