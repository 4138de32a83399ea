"""SIGHT (Wang et al., BEA 2023): YouTube comments on math lectures, labelled by humans and GPT.

The published files are wide: one row per comment, one column per (annotator, label), named
`annotator_<H1|H2>_<label>` for humans and `annotator_openaichat_<version>_<label>` for the model
(a blank cell means "not annotated"). `read_sight` turns one into an items table and a long
annotation table; `read_sight_videos` loads the per-video metadata and transcripts.

Quirks handled: `sample_dataset.csv` is comma-separated and has a stray column named `68`;
`sight_dataset.csv` is space-separated with quoted fields (and CR characters inside comments);
comment ids are written as floats (`7134.0`); `sight_dataset.csv` repeats 38 comment ids.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edukit.annotations import ANNOTATION_COLUMNS, filter_versions
from edukit.corpora.tables import is_missing, normalise_id, source_row
from edukit.errors import InputError
from edukit.jsonsafe import loads
from edukit.resources import resolve_input

if TYPE_CHECKING:
    import pandas as pd

ITEM_COLUMNS = ("item_id", "comment", "video_id", "video_name", "playlist_name", "datasplit")
LABELS = (
    "general",
    "confusion",
    "pedagogy",
    "setup",
    "gratitude",
    "personal_experience",
    "clarification",
    "bookmark",
    "non_english",
    "na",
)
_ANNOTATOR = re.compile(r"annotator_(?P<rater>[^_]+)_(?:(?P<version>v\d+[a-z]*)_)?(?P<label>\w+)")
_PROMPT_FILE = re.compile(r"(?P<version>v\d+[a-z]*)_(?P<label>\w+)\.txt")
_SOURCE_COLUMNS = ("comment", "video_id", "video_name", "playlist_name", "comment_id", "datasplit")


@dataclass
class Sight:
    """A SIGHT file as tables: `items` (one row per comment) and long `annotations`.

    `rows` counts the file's data rows: more than `len(items)` when comment ids repeat.
    """

    items: pd.DataFrame
    annotations: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    rows: int = 0


def sniff_separator(header: str) -> str:
    """The field separator of a SIGHT CSV, from its header line (column names hold no spaces):
    comma, semicolon or tab as sniffed, else space (the `sight_dataset.csv` layout)."""
    from edukit.corpora.csvfiles import dialect, sniff

    sep = sniff(header)
    if dialect().sep is None and sep == "," and "," not in header and " " in header.strip():
        return " "
    return sep


def read_sight(path: str | os.PathLike, prompts: str | os.PathLike | None = None) -> Sight:
    """Read a SIGHT annotations file (`sample_dataset.csv` or `sight_dataset.csv`).

    `prompts` (a SIGHT prompt folder such as `prompts/bin_zeroshot`) keeps only the model
    versions it holds: `label_prompts/v39_general.txt` keeps version v39 of label general.
    """
    import pandas as pd

    from edukit.userfile import check_user_file

    p = path = check_user_file(path, what="file")
    from edukit.corpora.csvfiles import header_line, read_csv

    header = header_line(p)
    if not header.strip():
        raise InputError("empty file (no header)", path=path, where=1)
    raw = read_csv(
        p, sep=sniff_separator(header), dtype=str, na_empty=False, what="malformed SIGHT row"
    )
    for col in ("comment", "comment_id"):
        if col not in raw.columns:
            raise InputError(
                f"not a SIGHT file: missing column {col!r} (columns: {', '.join(raw.columns)})",
                path=path,
                where=1,
            )
    if raw.empty:
        raise InputError("no comments: the file has a header but no rows", path=path)

    warnings: list[str] = []
    annotator_cols: list[tuple[str, str, str, str]] = []  # column, rater, label, version
    for col in raw.columns:
        m = _ANNOTATOR.fullmatch(col)
        if m:
            annotator_cols.append((col, m["rater"], m["label"], m["version"] or ""))
        elif col not in _SOURCE_COLUMNS:
            filled = int((raw[col].str.strip() != "").sum())
            warnings.append(
                f"ignored column {col!r}: not annotator_<rater>_<label> "
                f"({filled} non-empty value{'s' if filled != 1 else ''})"
            )

    ids = []
    for i, value in enumerate(raw["comment_id"]):
        item_id = normalise_id(value)
        if is_missing(value) or not item_id.isdigit():
            raise InputError(
                f"comment_id must be an integer, got {value!r}", path=path, where=source_row(p, i)
            )
        ids.append(item_id)
    raw.insert(0, "item_id", ids)

    n_rows = len(raw)
    dup = raw["item_id"].duplicated()
    if dup.any():
        repeated = raw[raw["item_id"].isin(raw.loc[dup, "item_id"])]
        differing = repeated.drop_duplicates().duplicated("item_id").sum()
        warnings.append(
            f"{len(raw):,} rows, {len(raw) - int(dup.sum()):,} comments: {int(dup.sum())} "
            f"{'rows repeat' if dup.sum() != 1 else 'row repeats'} a comment_id seen earlier "
            f"({int(differing)} with different values); kept the first of each"
        )
        raw = raw[~dup]  # keep the index: it is the file position that errors report

    items = pd.DataFrame({"item_id": raw["item_id"].astype(object)})
    for col in ITEM_COLUMNS[1:]:
        items[col] = raw[col].to_numpy() if col in raw.columns else ""

    annotations = _long(raw, annotator_cols, p)
    if prompts is not None:
        wanted = prompt_versions(prompts)
        present = {(label, version) for _, rater, label, version in annotator_cols if version}
        for label, version in sorted(wanted.items()):
            if (label, version) not in present:
                warnings.append(f"prompt {version}_{label} has no annotator column in {p.name}")
        annotations = filter_versions(annotations, prompts)
    return Sight(items=items, annotations=annotations, warnings=warnings, rows=n_rows)


def _long(raw: pd.DataFrame, columns: list[tuple[str, str, str, str]], path: Path) -> pd.DataFrame:
    import pandas as pd

    parts = []
    for col, rater, label, version in columns:
        cells = raw[col].str.strip()
        filled = cells != ""
        values = cells[filled].map(_binary_cell)
        bad = values.isna()
        if bad.any():
            i = int(values.index[bad.to_numpy()][0])
            raise InputError(
                f"column {col!r}: expected 0/1, got {cells[i]!r}",
                path=path,
                where=source_row(path, i),
            )
        parts.append(
            pd.DataFrame(
                {
                    "item_id": raw.loc[filled, "item_id"].to_numpy(),
                    "rater": rater,
                    "label": label,
                    "value": values.astype("int64").to_numpy(),
                    "version": version,
                }
            )
        )
    if not parts:
        from edukit.annotations import empty_annotations

        return empty_annotations()
    out = pd.concat(parts, ignore_index=True)
    for col in ("item_id", "rater", "label", "version"):
        out[col] = out[col].astype(object)
    return out[list(ANNOTATION_COLUMNS)]


def _binary_cell(text: str) -> int | None:
    return {"0": 0, "1": 1, "0.0": 0, "1.0": 1}.get(text)


def prompt_versions(folder: str | os.PathLike) -> dict[str, str]:
    """`{label: version}` named by a SIGHT prompt folder (`label_prompts/v73d_pedagogy.txt`)."""
    from edukit.userfile import check_user_folder

    p = check_user_folder(folder, what="prompt folder")
    files = p / "label_prompts" if (p / "label_prompts").is_dir() else p
    versions: dict[str, str] = {}
    for f in sorted(files.glob("*.txt")):
        m = _PROMPT_FILE.fullmatch(f.name)
        if not m:
            continue
        if m["label"] in versions:
            raise InputError(
                f"two prompt versions for label {m['label']!r}: "
                f"{versions[m['label']]} and {m['version']}",
                path=f,
            )
        versions[m["label"]] = m["version"]
    if not versions:
        raise InputError("no <version>_<label>.txt prompt files (e.g. v39_general.txt)", path=files)
    return versions


def read_sight_videos(folder: str | os.PathLike) -> pd.DataFrame:
    """One row per video from a SIGHT folder's `metadata/*.json` and `transcripts/*.txt`.

    Columns: video_id, the metadata fields (video_title, channel_name, teaching_environment,
    playlist_id, transcription_model) and transcript (text, leading space stripped). The two
    folders overlap only partly in the published release: missing parts are missing values.
    """
    import pandas as pd

    root = resolve_input(folder)
    meta_dir, text_dir = root / "metadata", root / "transcripts"
    if not meta_dir.is_dir() and not text_dir.is_dir():
        raise InputError("no metadata/ or transcripts/ folder (expected a SIGHT folder)", path=root)
    records: dict[str, dict] = {}
    from edukit.userfile import read_user_text

    for f in sorted(meta_dir.glob("*.json")) if meta_dir.is_dir() else []:
        meta = loads(read_user_text(f, what="file"), path=f)
        if not isinstance(meta, dict):
            raise InputError("expected a JSON object", path=f, where=1)
        video_id = str(meta.get("video_id") or f.stem)
        records[video_id] = {**meta, "video_id": video_id}
    for f in sorted(text_dir.glob("*.txt")) if text_dir.is_dir() else []:
        transcript = read_user_text(f, what="file").strip()
        records.setdefault(f.stem, {"video_id": f.stem})["transcript"] = transcript
    videos = pd.DataFrame.from_records(list(records.values()))
    if videos.empty:
        videos = pd.DataFrame({"video_id": pd.Series(dtype=object)})
    if "transcript" not in videos.columns:
        videos["transcript"] = None
    cols = ["video_id", *[c for c in videos.columns if c not in ("video_id", "transcript")]]
    return videos[[*cols, "transcript"]].sort_values("video_id", ignore_index=True)


def join_videos(items: pd.DataFrame, videos: pd.DataFrame) -> pd.DataFrame:
    """Comment items with their video's metadata and transcript (a left join on video_id)."""
    extra = [c for c in videos.columns if c == "video_id" or c not in items.columns]
    return items.merge(videos[extra], on="video_id", how="left", validate="many_to_one")
