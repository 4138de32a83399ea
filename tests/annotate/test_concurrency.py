"""--concurrency auto (issue 26): AIMD per replica against a server with a capacity."""

from __future__ import annotations

import pytest

from edukit.annotate.concurrency import (
    FIXED_MAX,
    Aimd,
    default_concurrency,
    is_hosted,
    parse_concurrency,
)
from edukit.errors import AnnotationError


def _feed(aimd: Aimd, capacity: int, base: float, rounds: int) -> list[int]:
    """Answers whose latency follows a capacity model at the controller's own level."""
    levels = []
    for _ in range(rounds):
        latency = base * max(1.0, aimd.limit / capacity)
        for _ in range(max(aimd.limit, 8)):
            aimd.on_answer(latency)
        levels.append(aimd.limit)
    return levels


@pytest.mark.parametrize("capacity", [8, 64, 512])
def test_aimd_settles_between_capacity_and_the_latency_bound(capacity):
    aimd = Aimd()
    levels = _feed(aimd, capacity, 0.1, 60)
    tail = levels[-30:]
    # at or past capacity (full throughput), never more than one step (level/16) past twice
    # it (the latency bound is 2x the best)
    assert min(tail) >= capacity and max(tail) <= 2 * capacity * 17 / 16 + 1, tail
    assert aimd.history[0] == (0.0, 4, "start") and aimd.changes == len(aimd.history) - 1


def test_overload_halves_the_level_once_per_round_trip():
    aimd = Aimd(start=64)
    _feed(aimd, 1000, 0.05, 1)  # a best latency to measure round trips by
    level = aimd.limit
    aimd.on_overload()
    aimd.on_overload()  # the same burst: no second cut
    assert aimd.limit == level // 2 and aimd.history[-1][2] == "overload"


def test_concurrency_values_and_defaults():
    assert parse_concurrency("auto") == "auto" and parse_concurrency("AUTO") == "auto"
    assert parse_concurrency("12") == 12 and parse_concurrency(FIXED_MAX) == FIXED_MAX
    for bad in ("0", "-3", str(FIXED_MAX + 1), "many", "2.5", 2.5, None):
        with pytest.raises(AnnotationError, match="auto or a whole number from 1 to 1000"):
            parse_concurrency(bad)
    assert is_hosted(None) and is_hosted("https://api.openai.com/v1")
    assert is_hosted("https://my-east.openai.azure.com/openai")
    assert not is_hosted("http://127.0.0.1:8000/v1") and not is_hosted("http://gpu-3:8000/v1")
    assert default_concurrency([None]) == 8
    assert default_concurrency(["http://10.0.0.5:8000/v1", "http://10.0.0.6:8000/v1"]) == "auto"


def test_auto_finds_the_capacity_of_a_fake_server_without_a_503_storm(
    cli, tmp_path, binary_rubric_path, kit
):
    server = kit.fake.FakeOpenAI(
        api_key=kit.secret, latency=0.03, capacity=12, queue_limit=48
    ).start()
    try:
        items = tmp_path / "items.csv"
        kit.make_items(80).to_csv(items, index=False)
        db = tmp_path / "r.sqlite"
        r = cli(*kit.annotate_args(items, binary_rubric_path, server, db))  # auto: the default
        assert r.code == 0, r.err
        assert "160 ok, 0 invalid, 0 API errors, 0 pending" in r.out
        line = next(x for x in r.out.splitlines() if x.startswith("Concurrency auto: level "))
        peak = int(line.split("peak ")[1].split(",")[0])
        assert peak >= 12 and server.peak_in_flight >= 12, (line, server.peak_in_flight)
        assert server.refused <= 8, server.refused  # no storm of 503s
        run_id = r.out.split("Run ", 1)[1].split(":", 1)[0]
        shown = cli("runs", "show", run_id, "--run-db", db)
        assert f"concurrency auto at {server.base_url}: level " in shown.out
        assert "concurrency=auto" in shown.out
        # a fixed level is kept as it is
        server.reset_log()
        server.peak_in_flight = 0
        r2 = cli(
            *kit.annotate_args(
                items,
                binary_rubric_path,
                server,
                tmp_path / "b.sqlite",
                "--concurrency",
                "3",
                "--limit",
                "20",
            )
        )
        assert r2.code == 0 and server.peak_in_flight == 3 and "Concurrency auto" not in r2.out
    finally:
        server.stop()


def test_bad_concurrency_is_one_line_before_any_work(
    cli, tmp_path, items_csv, binary_rubric_path, fake_server, kit
):
    db = tmp_path / "r.sqlite"
    for bad in ("0", "1001", "fast"):
        r = cli(
            *kit.annotate_args(items_csv, binary_rubric_path, fake_server, db, "--concurrency", bad)
        )
        assert r.code == 2 and "--concurrency must be auto" in r.err, r.err
    assert fake_server.chat_requests == [] and not db.exists()
