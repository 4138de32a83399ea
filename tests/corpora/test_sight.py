"""SIGHT: the wide files become items + long annotations, checked against independent counts."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from edukit.annotations import ANNOTATION_COLUMNS, read_annotations
from edukit.corpora.sight import (
    ITEM_COLUMNS,
    join_videos,
    prompt_versions,
    read_sight,
    read_sight_videos,
    sniff_separator,
)
from edukit.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "datasets" / "sight"


def csv_counts(path: Path, delimiter: str = ",") -> tuple[int, Counter, Counter]:
    """Rows, non-blank cells and positives per (rater, version, label), with the csv module."""
    filled: Counter = Counter()
    positives: Counter = Counter()
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=delimiter))
    for row in rows:
        for col, cell in row.items():
            if not col.startswith("annotator_") or cell == "":
                continue
            parts = col.split("_")[1:]
            rater = parts[0]
            if rater == "openaichat":
                key = (rater, parts[1], "_".join(parts[2:]))
            else:
                key = (rater, "", "_".join(parts[1:]))
            filled[key] += 1
            positives[key] += float(cell) == 1.0
    return len(rows), filled, positives


def long_counts(annotations) -> tuple[Counter, Counter]:
    filled: Counter = Counter()
    positives: Counter = Counter()
    for r in annotations.itertuples():
        filled[(r.rater, r.version, r.label)] += 1
        positives[(r.rater, r.version, r.label)] += r.value
    return filled, positives


def check_against_csv(path: Path, delimiter: str = ",") -> None:
    n_rows, filled, positives = csv_counts(path, delimiter)
    sight = read_sight(path)
    assert len(sight.items) == n_rows
    got_filled, got_positives = long_counts(sight.annotations)
    assert got_filled == filled
    assert got_positives == positives


# ---------------------------------------------------------------- the real files


@pytest.mark.shared
def test_real_sample_dataset(shared_data):
    path = shared_data / "sight" / "annotations" / "sample_dataset.csv"
    sight = read_sight(path)
    items, ann = sight.items, sight.annotations
    assert len(items) == 289 and items["item_id"].is_unique
    assert tuple(items.columns) == ITEM_COLUMNS
    assert tuple(ann.columns) == ANNOTATION_COLUMNS
    assert set(ann["rater"]) == {"H1", "H2", "openaichat"}
    assert items.loc[0, "item_id"] == "54"  # written 54.0 in the file
    assert all(i.isdigit() for i in items["item_id"])
    assert Counter(items["datasplit"]) == {
        "train": 100,
        "expansion": 79,
        "validation": 60,
        "test": 50,
    }
    humans = ann[ann["rater"] != "openaichat"]
    assert set(humans["version"]) == {""}
    assert set(ann.loc[ann["rater"] == "openaichat", "version"]) >= {"v39", "v73d", "v75"}
    assert set(ann["value"]) == {0, 1} and str(ann["value"].dtype) == "int64"
    # the stray column '68' is reported, not read as a label
    assert sight.warnings == [
        "ignored column '68': not annotator_<rater>_<label> (1 non-empty value)"
    ]
    assert "68" not in set(ann["label"])
    # every blank cell is "not annotated": H1 left 2 comments unlabelled except for general
    assert (humans["rater"] == "H1").sum() == 289 * 10 - 2 * 9
    check_against_csv(path)
    # published figures independent of our parser: H1 general 60 positives, H2 na 97
    pos = ann[ann["value"] == 1].groupby(["rater", "label"]).size()
    assert pos[("H1", "general")] == 60 and pos[("H2", "na")] == 97


@pytest.mark.shared
def test_real_prompts_leave_one_version_per_label(shared_data):
    sight_dir = shared_data / "sight"
    path = sight_dir / "annotations" / "sample_dataset.csv"
    full = read_sight(path).annotations
    for folder in ("bin_zeroshot", "bin_kshot", "bin_kshot_reasoning"):
        prompts = sight_dir / "prompts" / folder
        ann = read_sight(path, prompts=prompts).annotations
        versions = ann.groupby(["rater", "label"])["version"].nunique()
        assert versions.max() == 1
        model = ann[ann["rater"] == "openaichat"]
        wanted = prompt_versions(prompts)
        assert dict(zip(model["label"], model["version"], strict=True)) == wanted
        # humans untouched
        assert (ann["rater"] != "openaichat").sum() == (full["rater"] != "openaichat").sum()
    zeroshot = prompt_versions(sight_dir / "prompts" / "bin_zeroshot")
    assert zeroshot["pedagogy"] == "v73d" and zeroshot["general"] == "v39"
    assert len(zeroshot) == 9
    # read_annotations delegates to read_sight for a wide file
    same = read_annotations(path, prompts=sight_dir / "prompts" / "bin_zeroshot")
    assert len(same) == len(
        read_sight(path, prompts=sight_dir / "prompts/bin_zeroshot").annotations
    )


@pytest.mark.shared
def test_real_sight_dataset_space_separated(shared_data):
    path = shared_data / "sight" / "annotations" / "sight_dataset.csv"
    with path.open(encoding="utf-8") as fh:
        header = fh.readline()
    assert sniff_separator(header) == " "
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=" "))
    assert len(rows) == 15_784
    sight = read_sight(path)
    # 38 rows repeat a comment id: one item per comment, and the repeat is reported
    unique_ids = {str(int(float(r["comment_id"]))) for r in rows}
    assert len(unique_ids) == 15_746
    assert set(sight.items["item_id"]) == unique_ids and sight.items["item_id"].is_unique
    assert sight.warnings == [
        "15,784 rows, 15,746 comments: 38 rows repeat a comment_id seen earlier "
        "(6 with different values); kept the first of each"
    ]
    assert sight.items.loc[0, "item_id"] == "7134"
    assert sight.items.loc[0, "comment"] == "Jerison rocks!"
    assert set(sight.items["datasplit"]) == {""}
    first = {}
    for r in rows:
        first.setdefault(str(int(float(r["comment_id"]))), r)
    expected = Counter()
    for r in first.values():
        for col in ("v0_setup", "v8_confusion", "v74_pedagogy"):
            if r[f"annotator_openaichat_{col}"] != "":
                version, label = col.split("_", 1)
                expected[(version, label)] += float(r[f"annotator_openaichat_{col}"]) == 1.0
    ann = sight.annotations
    got = ann[ann["value"] == 1].groupby(["version", "label"]).size().to_dict()
    assert got == dict(expected)
    # 17 blank cells are "not annotated"
    assert len(ann) == 15_746 * 3 - sum(
        r[f"annotator_openaichat_{c}"] == ""
        for r in first.values()
        for c in ("v0_setup", "v8_confusion", "v74_pedagogy")
    )


@pytest.mark.shared
def test_real_videos_join(shared_data):
    root = shared_data / "sight"
    videos = read_sight_videos(root)
    meta = {p.stem for p in (root / "metadata").glob("*.json")}
    texts = {p.stem for p in (root / "transcripts").glob("*.txt")}
    assert len(videos) == len(meta | texts) and videos["video_id"].is_unique
    assert list(videos.columns) == [
        "video_id",
        "video_title",
        "channel_name",
        "teaching_environment",
        "playlist_id",
        "transcription_model",
        "transcript",
    ]
    assert videos["transcript"].notna().sum() == len(texts)
    assert videos["channel_name"].notna().sum() == len(meta)
    items = read_sight(root / "annotations" / "sample_dataset.csv").items
    joined = join_videos(items, videos)
    assert len(joined) == len(items) and joined["item_id"].tolist() == items["item_id"].tolist()
    # every commented video has a transcript; the first comment's transcript is its file
    assert joined["transcript"].notna().all()
    first = joined.iloc[0]
    text = (root / "transcripts" / f"{first['video_id']}.txt").read_text(encoding="utf-8")
    assert first["transcript"] == text.strip()
    assert joined["channel_name"].notna().sum() == sum(v in meta for v in items["video_id"])


# ---------------------------------------------------------------- errors

HEADER = "datasplit,comment,video_id,video_name,playlist_name,annotator_H1_general,comment_id\n"


@pytest.mark.parametrize(
    ("body", "row", "message"),
    [
        (
            "train,Great!,v1,L1,P,1.0,3.0\ntrain,Hmm,v1,L1,P,0.5,4.0\n",
            3,
            "column 'annotator_H1_general': expected 0/1, got '0.5'",
        ),
        (
            "train,Great!,v1,L1,P,1.0,3.0\ntrain,Hmm,v1,L1,P,0.0,x\n",
            3,
            "comment_id must be an integer, got 'x'",
        ),
        ("train,Great!,v1,L1,P,1.0,\n", 2, "comment_id must be an integer, got ''"),
    ],
)
def test_bad_rows_are_named(tmp_path, body, row, message):
    p = tmp_path / "s.csv"
    p.write_text(HEADER + body)
    with pytest.raises(InputError) as e:
        read_sight(p)
    assert e.value.format() == f"{p}:{row}: {message}"


def test_not_a_sight_file(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,text\n1,a\n")
    with pytest.raises(InputError, match="not a SIGHT file: missing column 'comment'"):
        read_sight(p)
    with pytest.raises(InputError, match="file not found"):
        read_sight(tmp_path / "nope.csv")


def test_bad_prompt_folders(tmp_path):
    with pytest.raises(InputError, match="prompt folder not found"):
        prompt_versions(tmp_path / "missing")
    (tmp_path / "label_prompts").mkdir()
    with pytest.raises(InputError, match=r"no <version>_<label>\.txt"):
        prompt_versions(tmp_path)
    (tmp_path / "label_prompts" / "v1_general.txt").write_text("x")
    (tmp_path / "label_prompts" / "v2_general.txt").write_text("x")
    with pytest.raises(InputError, match="two prompt versions for label 'general'"):
        prompt_versions(tmp_path)


def test_bad_metadata_json_names_line(tmp_path):
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata" / "abc.json").write_text('{\n"video_id": "abc",\n}')
    with pytest.raises(InputError) as e:
        read_sight_videos(tmp_path)
    assert e.value.where == 3 and e.value.path.endswith("abc.json")
    with pytest.raises(InputError, match="no metadata/ or transcripts/"):
        read_sight_videos(tmp_path / "metadata")


# ---------------------------------------------------------------- the synthetic samples


def test_synthetic_sample_has_the_real_layout(shared_data):
    real = shared_data / "sight" / "annotations" / "sample_dataset.csv"
    with real.open(encoding="utf-8") as a, (SAMPLE / "sample_dataset.csv").open() as b:
        assert a.readline() == b.readline()


def test_synthetic_sample():
    path = SAMPLE / "sample_dataset.csv"
    sight = read_sight(path)
    items, ann = sight.items, sight.annotations
    assert len(items) == 161 and items["item_id"].is_unique
    assert Counter(items["datasplit"]) == {
        "train": 89,
        "expansion": 16,
        "validation": 16,
        "test": 40,
    }
    assert sight.warnings == [
        "ignored column '68': not annotator_<rater>_<label> (1 non-empty value)"
    ]
    check_against_csv(path)
    assert (ann["rater"] == "H1").sum() == 161 * 10 - 2 * 9
    assert (ann["rater"] == "H2").sum() == 161 * 10 - 9
    # quirks survive: a CR LF and a newline inside comments, doubled quotes, UTF-8
    texts = set(items["comment"])
    assert "Great lecture.\r\nBut the audio is too quiet after minute 30." in texts
    assert 'He says "obviously" a lot, but it really was obvious after the picture.' in texts
    assert "Muito obrigado pela aula, professor incrível!" in texts
    # the zero-shot prompt folder keeps one model version per label
    ann = read_sight(path, prompts=SAMPLE / "prompts" / "bin_zeroshot").annotations
    model = ann[ann["rater"] == "openaichat"]
    assert model.groupby("label")["version"].nunique().max() == 1
    assert dict(zip(model["label"], model["version"], strict=True))["pedagogy"] == "v73d"
    assert len(model) == 161 * 9


def test_synthetic_space_separated_file():
    path = SAMPLE / "sight_dataset.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=" "))
    assert len(rows) == 25
    sight = read_sight(path)
    assert len(sight.items) == 24
    assert sight.warnings == [
        "25 rows, 24 comments: 1 row repeats a comment_id seen earlier "
        "(0 with different values); kept the first of each"
    ]
    assert len(sight.annotations) == 24 * 3 - 1  # one blank cell
    assert sight.items["comment"].tolist() == [r["comment"] for r in rows[:24]]


def test_synthetic_videos_join():
    videos = read_sight_videos(SAMPLE)
    assert videos["video_id"].tolist() == [
        "-hN2mZq8YtU",
        "Qs7fLk2vR1a",
        "Zr4_pKe91sM",
        "b9XcT0pLw4E",
    ]
    assert videos["transcript"].notna().tolist() == [True, True, True, False]
    assert videos["channel_name"].notna().tolist() == [True, True, False, True]
    assert videos.loc[0, "transcript"].startswith("Okay, so this is lecture five")
    joined = join_videos(read_sight(SAMPLE / "sample_dataset.csv").items, videos)
    assert len(joined) == 161
    by_video = joined.groupby("video_id")["transcript"].apply(lambda s: s.notna().all())
    assert by_video.to_dict() == {
        "-hN2mZq8YtU": True,
        "Qs7fLk2vR1a": True,
        "Zr4_pKe91sM": True,
        "b9XcT0pLw4E": False,
        "m0Vd7wQx3Jc": False,
    }
