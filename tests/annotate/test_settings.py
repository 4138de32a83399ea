"""annotate()'s settings objects (issue 26): four groups, the former keywords still accepted."""

from __future__ import annotations

import pytest

from edukit.annotate.engine import annotate
from edukit.annotate.settings import Endpoint, Limits, Output, Sampling, settings_from


def test_settings_objects_and_keywords_are_the_same_run(fake_server, tmp_path, binary_rubric, kit):
    items = kit.make_items(4)
    db = tmp_path / "r.sqlite"
    grouped = annotate(
        items,
        binary_rubric,
        "fake-model",
        endpoint=Endpoint(base_url=fake_server.base_url, concurrency=2),
        sampling=Sampling(max_reasks=1),
        limits=Limits(limit=3),
        output=Output(run_db=db, quiet=True),
    )
    assert grouped.finished and grouped.sent == 6 and grouped.items == 3
    flat = annotate(
        items,
        binary_rubric,
        "fake-model",
        base_url=fake_server.base_url,
        run_db=db,
        limit=3,
        quiet=True,
        concurrency=2,
    )
    assert flat.run_id == grouped.run_id and flat.sent == 0 and flat.cached == 6


def test_defaults_and_bad_arguments(binary_rubric, kit, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    est = annotate(kit.make_items(2), binary_rubric, "gpt-4o-mini", limits=Limits(dry_run=True))
    assert est.dry_run and est.estimate["requests"] == 4
    ep, sm, lim, out = settings_from(options={"rpm": 60, "samples": 3, "max_cost": 1.0})
    assert (ep.rpm, sm.samples, lim.max_cost, out.run_db) == (60, 3, 1.0, "edukit-runs.sqlite")
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        annotate([], binary_rubric, "m", bogus=1)
    with pytest.raises(TypeError, match="takes an Endpoint"):
        annotate([], binary_rubric, "m", endpoint={"base_url": "x"})
