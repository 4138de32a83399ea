"""Issue 21, point 5: --max-cost passes the budget by at most one request's cost even when the
token estimate is far too low, because the estimate is calibrated on the tokens the run has seen."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("factor", [1, 3])
def test_max_cost_overshoots_by_at_most_one_request_with_a_low_estimate(
    set_prices, cli, kit, single_rubric_path, tmp_path, factor
):
    set_prices("fake-model")  # every input token costs $1, output is free
    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.05).start()
    server.usage_factor = factor  # the server counts `factor` times the estimated tokens
    try:
        items = tmp_path / "items.csv"
        kit.make_items(40).to_csv(items, index=False)
        db = tmp_path / "r.sqlite"
        budget = 3000
        args = kit.annotate_args(items, single_rubric_path, server, db, "--concurrency", "8")
        r = cli(*args, "--max-cost", str(budget))
        assert r.code == 3, r.out + r.err
        assert f"--max-cost ${budget}" in r.out
        served = [i for i, _ in server.served_usage]
        assert len(served) < 40  # the budget stopped the run
        assert sum(served) <= budget + max(served), (sum(served), max(served))
        assert f"cost ${sum(served):,.4f}" in r.out
    finally:
        server.stop()


def test_a_dry_run_calibrates_its_estimate_on_the_answered_requests(
    cli, kit, single_rubric_path, tmp_path
):
    import re

    server = kit.fake.FakeOpenAI(api_key=kit.secret).start()
    server.usage_factor = 3
    try:
        items = tmp_path / "items.csv"
        kit.make_items(10).to_csv(items, index=False)
        db = tmp_path / "r.sqlite"
        args = kit.annotate_args(items, single_rubric_path, server, db)

        def dry() -> tuple[int, str]:
            r = cli(*args, "--dry-run")
            assert r.code == 0, r.err
            return int(re.search(r"~([\d,]+) input", r.out).group(1).replace(",", "")), r.out

        fresh, _ = dry()  # 10 requests, estimated from characters
        assert cli(*args, "--limit", "5").code == 0
        left, out = dry()  # 5 requests left, calibrated on the 5 answered
        assert "calibrated on 5 answered requests (input x" in out
        ratio = float(re.search(r"input x([\d.]+)", out).group(1))
        assert 2.0 < ratio < 3.5  # the server counted 3x the characters / 4
        assert left > 1.8 * fresh / 2
    finally:
        server.stop()
