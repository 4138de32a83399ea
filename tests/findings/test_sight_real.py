"""The real SIGHT files: prevalence over the model-labelled comments of sight_dataset.csv,
corrected with the human-coded comments of sample_dataset.csv, per playlist."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def sight(shared_data):
    folder = shared_data / "sight" / "annotations"
    full, sample = folder / "sight_dataset.csv", folder / "sample_dataset.csv"
    if not (full.is_file() and sample.is_file()):
        pytest.skip(f"SIGHT files not available: copy them to {folder}")
    return full, sample


def test_sample_matches_the_corpus_by_video_and_text(sight):
    from edukit.corpora.sight import read_sight
    from edukit.findings.sample import match_items

    full, sample = sight
    f, s = read_sight(full), read_sight(sample)
    match = match_items(s.items, f.items, ["video_id", "comment"])
    # exact text alone finds 284 of the 289 (line breaks differ: \r\n in sight_dataset.csv)
    with sample.open(encoding="utf-8") as fh:
        texts = [row["comment"] for row in csv.DictReader(fh)]
    exact = set(pd.read_csv(full, sep=" ")["comment"])
    assert sum(t in exact for t in texts) == 284
    assert len(match.mapping) == 289 and not match.unmatched and not match.ambiguous
    # the files number comments differently: no matched pair shares its comment_id
    assert sum(k == v for k, v in match.mapping.items()) == 0
    # the match is right: the model's labels that both files carry agree on the matched comments
    fm = f.annotations.set_index(["item_id", "label", "version"])["value"]
    sm = s.annotations[s.annotations["rater"] == "openaichat"]
    same = total = 0
    for row in sm[sm["version"].isin(["v0", "v8"])].itertuples():
        key = (match.mapping[row.item_id], row.label, row.version)
        if key in fm.index:
            total += 1
            same += int(fm[key] == row.value)
    assert total >= 570 and same / total >= 0.99


def test_prevalence_per_playlist_three_methods(cli, sight, tmp_path):
    full, sample = sight
    out = tmp_path / "sight.json"
    r = cli(
        "estimate", full, "--model", "openaichat", "--humans", "H1,H2", "--gold", sample,
        "--match-on", "video_id,comment", "--assume", "random", "--by", "playlist_name",
        "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["n_items"] == 15746 and doc["n_human_coded"] == 289
    assert set(doc["labels"]) == {"confusion", "pedagogy", "setup"}
    raw = pd.read_csv(full, sep=" ").drop_duplicates("comment_id")  # edukit keeps the first
    for label, column in (
        ("confusion", "annotator_openaichat_v8_confusion"),
        ("pedagogy", "annotator_openaichat_v74_pedagogy"),
        ("setup", "annotator_openaichat_v0_setup"),
    ):
        cat = doc["labels"][label]["categories"]["1"]
        assert cat["model"]["value"] == pytest.approx(raw[column].dropna().mean())
        assert cat["human"]["n"] == cat["ppi"]["n"] == 289
        ppi_w = cat["ppi"]["ci"][1] - cat["ppi"]["ci"][0]
        assert ppi_w < cat["human"]["ci"][1] - cat["human"]["ci"][0]
        assert cat["ppi"]["effective_n"] > 289
    assert len(doc["groups"]) == 10
    linear = doc["groups"]["MIT 18.06 Linear Algebra, Spring 2005"]["labels"]["confusion"]
    assert linear["categories"]["1"]["ppi"]["n"] == 97
    # a playlist with 4 coded comments gets no human or PPI interval, and says why
    small = doc["groups"]["MIT 18.102 Introduction to Functional Analysis, Spring 2021"]
    ppi = small["labels"]["confusion"]["categories"]["1"]["ppi"]
    assert ppi["value"] is None and "fewer than 10" in ppi["reason"]
    assert "simple random sample" in doc["selection"]
    assert "289 of 289" in doc["provenance"]["matching"]
