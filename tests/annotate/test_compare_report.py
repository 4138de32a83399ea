"""The `edukit compare --report` HTML: heatmap, paired-difference matrix, cost vs agreement with
the Pareto front, plan and provenance, rendered by headless Chromium."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture
def report(tmp_path, kit, binary_rubric_path, fake_server, cli, set_prices):
    set_prices("m1")
    items = tmp_path / "items.csv"
    kit.make_items(8).to_csv(items, index=False)
    gold = tmp_path / "gold.csv"
    rows = [
        {"item_id": str(1000 + i), "rater": h, "label": lab, "value": (i + j) % 2}
        for i in range(8)
        for j, lab in enumerate(("confusion", "gratitude"))
        for h in ("H1", "H2")
    ]
    pd.DataFrame(rows).to_csv(gold, index=False)
    page, out = tmp_path / "c.html", tmp_path / "c.json"
    r = cli(
        "compare",
        items,
        "--gold",
        gold,
        "--humans",
        "H1,H2",
        "--rubric",
        binary_rubric_path,
        "--model",
        "m1",
        "--strategy",
        "zero-shot",
        "--strategy",
        "reasoning",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        tmp_path / "r.sqlite",
        "--quiet",
        "--n-boot",
        "50",
        "--report",
        page,
        "--json",
        out,
    )
    assert r.code == 0, r.err
    return page, out


def test_report_has_every_part(report):
    page, out = report
    j = json.loads(out.read_text())
    assert all(a["cost_per_item"] > 0 for a in j["arms"].values())
    assert any(a["pareto"] for a in j["arms"].values())
    html = page.read_text()
    for part in (
        'id="heatmap"',
        'id="matrix"',
        'id="pareto"',
        'id="plan"',
        'id="command"',
        "sha256",
    ):
        assert part in html, part
    assert "edukit compare " in html and "--strategy reasoning" in html  # the command as run


@pytest.mark.browser
def test_report_renders_in_a_browser(report, render_in_chromium):
    page, _ = report
    rendered = render_in_chromium(page)
    assert rendered["imgs"] and all(rendered["imgs"])
    assert rendered["rows"]["ranking"] == 3  # header + 2 arms
    assert rendered["rows"]["labels"] == 5  # header + 2 arms x 2 labels
    assert rendered["rows"]["differences"] == 3  # header + 1 pair x 2 labels
    assert rendered["rows"]["matrix"] == 3
    assert rendered["rows"]["plan"] == 3
