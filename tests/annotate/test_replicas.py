"""Replicas of one model (issue 26): --base-url repeated, --endpoints FILE, routing, draining."""

from __future__ import annotations

import pandas as pd
import pytest

from edukit.annotate.replicas import Replica, read_endpoints
from edukit.errors import InputError


@pytest.fixture
def two_fakes(kit):
    servers = [kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.01).start() for _ in range(2)]
    yield servers
    for s in servers:
        s.stop()


def _args(kit, items_csv, rubric, db, servers, *extra):
    args = kit.annotate_args(items_csv, rubric, servers[0], db, *extra)
    for s in servers[1:]:
        args += ["--base-url", s.base_url]
    return args


def test_two_replicas_share_one_run_and_answers_are_interchangeable(
    cli, two_fakes, tmp_path, items_csv, binary_rubric_path, binary_rubric, kit
):
    db, out = tmp_path / "runs.sqlite", tmp_path / "ann.csv"
    r = cli(*_args(kit, items_csv, binary_rubric_path, db, two_fakes, "--out", out))
    assert r.code == 0, r.err
    sent = [len(s.chat_requests) for s in two_fakes]
    assert sum(sent) == 24 and min(sent) >= 4  # 12 items x 2 labels, both replicas used
    df = pd.read_csv(out, dtype={"item_id": str})
    items = pd.read_csv(items_csv, dtype={"item_id": str})
    assert {(x.item_id, x.label): x.value for x in df.itertuples()} == kit.expected_rows(
        binary_rubric, items
    )
    for s in two_fakes:
        assert f"replica {s.base_url}: " in r.out
    # the same run with the replicas the other way round, or with only one of them (an
    # endpoints file): nothing is sent again
    for s in two_fakes:
        s.reset_log()
    r2 = cli(*_args(kit, items_csv, binary_rubric_path, db, two_fakes[::-1]))
    assert r2.code == 0 and "0 requests sent, 24 answered from the run store" in r2.out
    listing = tmp_path / "endpoints.txt"
    listing.write_text(f"# one replica left\n{two_fakes[1].base_url} OPENAI_API_KEY 2\n")
    args = kit.annotate_args(items_csv, binary_rubric_path, two_fakes[1], db)
    i = args.index("--base-url")
    args[i : i + 2] = ["--endpoints", listing]
    r3 = cli(*args)
    assert r3.code == 0 and "0 requests sent" in r3.out, r3.out + r3.err
    assert all(s.chat_requests == [] for s in two_fakes)
    # runs show: per replica calls
    run_id = r.out.split("Run ", 1)[1].split(":", 1)[0]
    r4 = cli("runs", "show", run_id, "--run-db", db)
    assert "endpoint replicas:fake-model" in r4.out
    for s, n in zip(two_fakes, sent, strict=True):
        assert f"replica {s.base_url}: {n} calls, 0 errors" in r4.out


def test_different_models_or_a_single_url_stay_distinct(
    cli, two_fakes, tmp_path, items_csv, binary_rubric_path, kit
):
    db = tmp_path / "runs.sqlite"
    assert cli(*_args(kit, items_csv, binary_rubric_path, db, two_fakes)).code == 0
    two_fakes[0].reset_log()
    # one URL alone is the endpoint itself, as before (not the replica set): sent again
    r = cli(*kit.annotate_args(items_csv, binary_rubric_path, two_fakes[0], db))
    assert r.code == 0 and len(two_fakes[0].chat_requests) == 24
    two_fakes[1].reset_log()
    args = _args(kit, items_csv, binary_rubric_path, db, two_fakes)
    args[args.index("fake-model")] = "other-model"
    assert cli(*args).code == 0
    assert sum(len(s.chat_requests) for s in two_fakes) >= 24


def test_a_dead_replica_is_drained_and_nothing_is_lost(
    cli, two_fakes, tmp_path, items_csv, binary_rubric_path, kit
):
    dead_port = two_fakes[1].port
    two_fakes[1].stop()  # connection refused from the start
    db = tmp_path / "runs.sqlite"
    r = cli(*_args(kit, items_csv, binary_rubric_path, db, two_fakes))
    assert r.code == 0, r.err
    assert "24 ok, 0 invalid, 0 API errors, 0 pending" in r.out
    assert len(two_fakes[0].chat_requests) == 24
    assert f"replica http://127.0.0.1:{dead_port}/v1: " in r.out and "drained" in r.out


def test_repeated_5xx_drain_a_replica(cli, two_fakes, tmp_path, items_csv, binary_rubric_path, kit):
    two_fakes[1].faults = ["500"] * 100
    db = tmp_path / "runs.sqlite"
    r = cli(*_args(kit, items_csv, binary_rubric_path, db, two_fakes, "--concurrency", "2"))
    assert r.code == 0, r.err
    assert "24 ok" in r.out and "0 API errors" in r.out
    # drained after 3 errors in a row: most calls went to the healthy one
    assert len(two_fakes[1].chat_requests) <= 6 and len(two_fakes[0].chat_requests) >= 24


def test_endpoints_file_lines_are_validated(tmp_path):
    f = tmp_path / "e.txt"
    f.write_text("http://a:8000/v1\n  # comment\n\nhttp://b:8000/v1 KEY_B 3 # the big one\n")
    assert read_endpoints(f) == [
        Replica("http://a:8000/v1"),
        Replica("http://b:8000/v1", "KEY_B", 3.0),
    ]
    bad = {
        "localhost:8000\n": "line 1",
        "http://a/v1\nhttp://a/v1/\n": "listed twice",
        "http://a/v1 sk-abc-123\n": "not shown",
        "http://a/v1 KEY 0\n": "weight",
        "http://a/v1 KEY nan\n": "weight",
        "http://a/v1 K 1 extra\n": "fields",
        "http://a/v1 KEY abc\n": "weight",  # not a weight: refused, not dropped
        "# nothing\n": "no endpoint",
    }
    for text, what in bad.items():
        f.write_text(text)
        with pytest.raises(InputError, match=what) as info:
            read_endpoints(f)
        assert "sk-abc" not in info.value.format()
    with pytest.raises(InputError, match="no such"):
        read_endpoints(tmp_path / "missing.txt")


def test_bad_endpoints_file_is_one_error_line_before_any_work(
    cli, tmp_path, items_csv, binary_rubric_path, fake_server, kit
):
    f = tmp_path / "e.txt"
    f.write_text(f"{fake_server.base_url}\nftp://nope\n")
    db = tmp_path / "runs.sqlite"
    args = kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--endpoints", f)
    r = cli(*args)
    assert r.code == 2 and "line 2" in r.err and len(r.err.strip().splitlines()) == 1
    assert fake_server.chat_requests == [] and not db.exists()


def test_a_url_given_twice_is_one_error_line_before_any_work(
    cli, tmp_path, items_csv, binary_rubric_path, fake_server, kit
):
    """Repeated --base-url, or one also in --endpoints, is refused as a file listing it twice."""
    f = tmp_path / "e.txt"
    f.write_text(f"{fake_server.base_url}/\n")
    db = tmp_path / "runs.sqlite"
    args = kit.annotate_args(items_csv, binary_rubric_path, fake_server, db)
    for extra in (["--base-url", fake_server.base_url], ["--endpoints", f]):
        r = cli(*args, *extra)
        assert r.code == 2 and "given twice" in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1
    assert fake_server.chat_requests == [] and not db.exists()
