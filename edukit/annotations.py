"""The long annotation table: one row per (item, rater, label[, version]) decision.

Columns `item_id` (str), `rater` (str), `label` (str), `value` (0/1 int for binary labels, the
class name for single-choice labels), `version` (str, "" for humans), then any provenance columns.
Human labels (loaders), model labels (run store) and gold moves all meet in this shape.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from edukit.corpora.tables import (
    is_missing,
    normalise_id,
    read_table,
    source_row,
    table_format,
)
from edukit.errors import InputError
from edukit.resources import resolve_input
from edukit.userfile import check_user_file

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ANNOTATION_COLUMNS = ("item_id", "rater", "label", "value", "version")
REQUIRED_COLUMNS = ("item_id", "rater", "label", "value")
NUMERIC_COLUMNS = ("sample", "confidence")

_BINARY = {
    "0": 0,
    "1": 1,
    "0.0": 0,
    "1.0": 1,
    "false": 0,
    "true": 1,
    "no": 0,
    "yes": 1,
}


def read_annotations(
    source: str | os.PathLike | pd.DataFrame, prompts: str | os.PathLike | None = None
) -> pd.DataFrame:
    """Read and validate a long annotation table from a file or a DataFrame.

    A file is a long table (CSV/JSONL/Parquet), a SIGHT wide file (`annotator_<rater>_<label>`
    columns, converted by `edukit.corpora.sight.read_sight`) or a MathDial file, whose gold teacher
    moves become rater `gold`, label `move`, or an MRBench JSON file (its gold labels, rater
    `gold`), or a TalkMoves folder or lesson `.xlsx` (rater `gold`, labels `teacher_move` and
    `student_move`). `prompts` (a SIGHT prompt folder) keeps the human rows and only the model
    rows of the versions it holds.
    Errors name the file and row.
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        df = normalise_annotations(source)
    else:
        path = resolve_input(source)
        from edukit.corpora.mrbench import is_mrbench

        if is_mrbench(path):
            from edukit.corpora.mrbench import gold_annotations as mrbench_gold

            return mrbench_gold(path)
        from edukit.corpora.detect import is_talkmoves

        if is_talkmoves(path):
            from edukit.corpora.talkmoves import read_talkmoves

            return normalise_annotations(read_talkmoves(path, "annotations"), path=path)
        if is_sight_wide(path):
            from edukit.corpora.sight import read_sight

            return read_sight(path, prompts=prompts).annotations
        from edukit.corpora.detect import detect

        if detect(path) == "mathdial":
            from edukit.corpora.mathdial import gold_annotations, read_mathdial

            return gold_annotations(read_mathdial(path).utterances)
        # Every column as text (a model's reasoning "0" or a rubric_version "1.0" must come back
        # as written); the numeric provenance columns are converted back below.
        table = read_table(path, dtype=str if table_format(path) == ".csv" else None)
        for col in NUMERIC_COLUMNS:
            if col in table.columns and table_format(path) == ".csv":
                table[col] = _numeric(table[col])
        if table.empty:
            raise InputError("no annotations: the file has a header but no rows", path=path)
        df = normalise_annotations(table, path=path)
    if prompts is not None:
        df = filter_versions(df, prompts)
    return df


def is_sight_wide(path: str | os.PathLike) -> bool:
    """True for a SIGHT wide CSV (comma- or space-separated): `comment_id` and `annotator_*`."""
    path = resolve_input(path)
    try:
        folder = path.is_dir()
    except OSError:  # a name the system refuses (too long): check_user_file below says so
        folder = False
    if folder or path.suffix.lower() in (".xlsx", ".xlsm"):  # TalkMoves
        return False
    if table_format(path) != ".csv":
        return False
    check_user_file(path, what="file")
    with path.open(encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    return "comment_id" in header and "annotator_" in header


def filter_versions(df: pd.DataFrame, prompts: str | os.PathLike) -> pd.DataFrame:
    """Keep, for the model raters a SIGHT prompt folder describes, only the versions it names
    (`label_prompts/v39_general.txt` keeps version v39 of label general).

    A rater is described by the folder when at least one of its (label, version) pairs is in it;
    human rows (empty version) and other raters (e.g. your own `edukit annotate` output) are kept.
    """
    from edukit.corpora.sight import prompt_versions

    wanted = prompt_versions(prompts)
    in_folder = [
        wanted.get(label) == version
        for label, version in zip(df["label"], df["version"], strict=True)
    ]
    described = set(df.loc[in_folder, "rater"])
    keep = [
        ok or not version or rater not in described
        for ok, version, rater in zip(in_folder, df["version"], df["rater"], strict=True)
    ]
    return df[keep].reset_index(drop=True)


def normalise_annotations(df: pd.DataFrame, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Validate and normalise a long table (see module docstring); `path` only names errors."""
    import numpy as np
    import pandas as pd

    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        where = 1 if path is not None and table_format(path) == ".csv" else None
        raise InputError(
            f"not a long annotation table: missing column(s) {', '.join(missing)} "
            f"(need {', '.join(ANNOTATION_COLUMNS)}; version optional)",
            path=path,
            where=where,
        )
    df = df.reset_index(drop=True)
    _check_scalars(df, path)
    for col in REQUIRED_COLUMNS:
        empty = _map_unique(df[col], is_missing).astype(bool)
        if empty.any():
            i = int(empty.nonzero()[0][0])
            raise InputError(f"empty {col}", path=path, where=source_row(path, i))
    nan = _map_unique(df["value"], _is_nan_text).astype(bool)
    if nan.any():
        i = int(nan.nonzero()[0][0])
        raise InputError(
            f"value {str(df['value'].iloc[i]).strip()!r} is a missing value, not a category: "
            "leave the rows a rater did not annotate out",
            path=path,
            where=source_row(path, i),
        )
    labels = _map_unique(df["label"], _strip)
    out = pd.DataFrame(
        {
            "item_id": _map_unique(df["item_id"], normalise_id),
            "rater": _map_unique(df["rater"], _strip),
            "label": labels,
            "value": _values(df["value"], labels),
            "version": (
                _map_unique(df["version"], _version)
                if "version" in df.columns
                else np.full(len(df), "", dtype=object)
            ),
        }
    )
    extras = [c for c in df.columns if c not in ANNOTATION_COLUMNS]
    for col in extras:
        out[col] = df[col].to_numpy()
    return out


def _check_scalars(df: pd.DataFrame, path: str | os.PathLike | None) -> None:
    """A JSONL or Parquet cell holding a list or an object where a value belongs: one line."""
    if path is not None and os.fspath(path).lower().endswith(".csv"):
        return  # CSV cells are text (a corpus folder or workbook is no table file: checked)
    for col in (*REQUIRED_COLUMNS, "version"):
        if col not in df.columns or df[col].dtype != object:
            continue
        nested = df[col].map(lambda v: isinstance(v, (list, dict, tuple))).to_numpy(dtype=bool)
        if nested.any():
            i = int(nested.nonzero()[0][0])
            kind = "an object" if isinstance(df[col].iloc[i], dict) else "a list"
            raise InputError(
                f"{col} is {kind}, not a single value (one row per item, rater and label)",
                path=path,
                where=source_row(path, i),
            )


def _numeric(values: pd.Series) -> pd.Series:
    import pandas as pd

    try:
        return pd.to_numeric(values)
    except (ValueError, TypeError):
        return values  # kept as text: whoever reads the column names the bad cell


def _is_nan_text(value: Any) -> bool:
    # pandas and R write a missing number as NaN/nan; as a category it is never meant.
    return isinstance(value, str) and value.strip().lower() == "nan"


def _version(value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _binary(value: Any) -> int | None:
    """0/1 for a binary-like value, else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    return _BINARY.get(str(value).strip().lower())


def _strip(value: Any) -> str:
    return str(value).strip()


def _map_unique(values: pd.Series, fn: Callable[[Any], Any]) -> np.ndarray:
    """`fn` applied to each distinct value once (long tables repeat raters, labels, ids)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [fn(u) for u in uniques]
    return mapped[codes]


def _values(values: pd.Series, labels: np.ndarray) -> pd.Series:
    import pandas as pd

    binary = _map_unique(values, _binary)
    is_binary = pd.notna(binary)
    # a label is binary when every one of its values is binary-like
    non_binary_labels = set(labels[~is_binary])
    if not non_binary_labels:
        return pd.Series(binary, dtype="int64")
    keep_text = pd.Series(labels).isin(non_binary_labels).to_numpy()
    text = _map_unique(values, _strip)
    out = binary.copy()
    out[keep_text] = text[keep_text]
    out[~keep_text] = [int(b) for b in binary[~keep_text]]
    return pd.Series(out, dtype=object)


def concat_annotations(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack long tables (e.g. humans from a loader and models from a run) and normalise them."""
    import pandas as pd

    frames = [f for f in frames if f is not None]
    if not frames:
        return empty_annotations()
    return normalise_annotations(pd.concat(frames, ignore_index=True))


def empty_annotations() -> pd.DataFrame:
    """A long table with no rows and the standard columns."""
    import pandas as pd

    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "value" else object) for c in ANNOTATION_COLUMNS}
    )
