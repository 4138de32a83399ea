"""`edukit aggregate`: rates counted by hand on MathDial's test split and the SIGHT sample."""

from __future__ import annotations

import csv
from collections import Counter

import pandas as pd
import pytest


def test_mathdial_per_conversation_and_role(cli, shared_data, tmp_path):
    src = shared_data / "mathdial" / "test.csv"
    out = tmp_path / "rates.csv"
    r = cli("aggregate", src, "--by", "dialogue_id", "--role-col", "speaker", "--out", out)
    assert r.code == 0, r.err
    rates = pd.read_csv(out).set_index("dialogue_id")
    assert len(rates) == 599
    # test-0, read by hand from the file's first conversation: 8 turns, 4 by the teacher,
    # moves generic, focus, telling, generic
    row = rates.loc["test-0"]
    assert row["n_items"] == 8 and row["n_items.teacher"] == 4
    assert row["move.generic.count"] == 2 and row["move.focus.count"] == 1
    assert row["move.telling.count"] == 1 and row["move.probing.count"] == 0
    assert row["move.generic.rate"] == pytest.approx(0.5)  # per labelled (teacher) turn
    assert row["move.generic.per100"] == pytest.approx(25.0)  # per 100 turns of the dialogue
    assert row["move.generic.teacher.per100"] == pytest.approx(50.0)  # per 100 teacher turns
    # every conversation: the moves written in the raw conversation text
    with src.open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    for i in (0, 1, 17, 598):
        turns = raw[i]["conversation"].split("|EOM|")
        moves = Counter(
            t.split("(", 1)[1].split(")", 1)[0] for t in turns if t.startswith("Teacher: (")
        )
        row = rates.loc[f"test-{i}"]
        assert row["n_items"] == len(turns)
        for move in ("focus", "probing", "generic", "telling"):
            assert row[f"move.{move}.count"] == moves.get(move, 0), (i, move)


def test_sight_sample_per_playlist(cli, repo_root, tmp_path):
    out = tmp_path / "rates.csv"
    r = cli(
        "aggregate", "sample:sight", "--by", "playlist_name", "--rater", "H1", "--out", out
    )  # fmt: skip
    assert r.code == 0, r.err
    rates = pd.read_csv(out).set_index("playlist_name")
    with (repo_root / "datasets" / "sight" / "sample_dataset.csv").open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    n = Counter(row["playlist_name"] for row in raw)
    confused = Counter(
        row["playlist_name"] for row in raw if row["annotator_H1_confusion"] in ("1", "1.0")
    )
    rated = Counter(row["playlist_name"] for row in raw if row["annotator_H1_confusion"] != "")
    for playlist, k in n.items():
        row = rates.loc[playlist]
        assert row["n_items"] == k
        assert row["confusion.1.count"] == confused[playlist]
        assert row["confusion.1.rate"] == pytest.approx(confused[playlist] / rated[playlist])
        assert row["confusion.1.per100"] == pytest.approx(100 * confused[playlist] / k)


def test_several_groupings_and_errors(cli, tmp_path):
    out = tmp_path / "rates.csv"
    r = cli("aggregate", "sample:sight", "--by", "playlist_name,video_id", "--rater", "H2",
            "--out", out)  # fmt: skip
    assert r.code == 0, r.err
    rates = pd.read_csv(out)
    assert {"playlist_name", "video_id", "n_items"} <= set(rates.columns)
    assert rates["n_items"].sum() == 161
    r = cli("aggregate", "sample:sight", "--by", "playlist_name", "--out", out)
    assert r.code == 2 and "--rater" in r.err  # several raters: say which
    r = cli("aggregate", "sample:sight", "--by", "nope", "--rater", "H1", "--out", out)
    assert r.code == 2 and "nope" in r.err
    r = cli("aggregate", "sample:sight", "--by", "video_id", "--rater", "openaichat", "--out", out)
    assert r.code == 2 and "--version" in r.err  # several prompt versions of a label
