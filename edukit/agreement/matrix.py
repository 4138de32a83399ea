"""From the long annotation table to one items x raters matrix per label.

Items are aligned by `item_id`, never by position. A rater with several versions of one label (a
model run with two prompt versions) is ambiguous and raises `AgreementError` unless `version`
selects one. Missing ratings stay NaN: each coefficient then uses, pair by pair, exactly the items
both raters annotated (pairwise-complete).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from edukit.agreement.domain import BLANK, canonical
from edukit.corpora.tables import is_missing
from edukit.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("item_id", "rater", "label", "value")


def _versions_wanted(version: str | Iterable[str] | None) -> set[str] | None:
    if version is None:
        return None
    if isinstance(version, str):
        return {v.strip() for v in version.split(",") if v.strip()}
    return {str(v) for v in version}


def select_versions(
    annotations: pd.DataFrame, version: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """Keep one version per (rater, label); several without a selection is an `AgreementError`.

    `version` is a version name, a comma-separated list or an iterable of names: for a (rater,
    label) with several versions, the rows whose version is in it are kept (exactly one must be).
    """
    missing = [c for c in REQUIRED if c not in annotations.columns]
    if missing:
        raise AgreementError(f"annotations lack column(s) {', '.join(missing)}")
    df = annotations
    if "version" not in df.columns:
        return df.assign(version="")
    df = df.assign(version=df["version"].fillna("").astype(str))
    wanted = _versions_wanted(version)
    counts = df.groupby(["rater", "label"], sort=True)["version"].nunique()
    import pandas as pd

    keep = pd.Series(True, index=df.index)
    for (rater, label), n in counts[counts > 1].items():
        rows = (df["rater"] == rater) & (df["label"] == label)
        present = sorted(df.loc[rows, "version"].unique())
        if wanted is None:
            raise AgreementError(
                f"rater {rater!r} has {n} versions of label {label!r} ({', '.join(present)}); "
                "select one with --version (Python: version=) or --prompts"
            )
        chosen = [v for v in present if v in wanted]
        if len(chosen) != 1:
            raise AgreementError(
                f"rater {rater!r}, label {label!r}: versions {', '.join(present)}; "
                f"the selection {', '.join(sorted(wanted))} matches {len(chosen)} of them"
            )
        keep &= ~rows | (df["version"] == chosen[0])
    return df[keep]


def rating_matrix(
    annotations: pd.DataFrame,
    label: str,
    raters: Sequence[str] | None = None,
    version: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Items x raters matrix of one label (index `item_id` sorted, NaN = not rated).

    Raises `AgreementError` for a rater with several versions (unless `version` selects one), for
    conflicting duplicate ratings of one item, and for a requested rater who never rated `label`.
    """
    import pandas as pd

    df = select_versions(annotations, version)
    df = df[df["label"] == label]
    if raters is not None:
        absent = [r for r in raters if r not in set(df["rater"])]
        if absent:
            raise AgreementError(f"label {label!r}: no ratings from {', '.join(absent)}")
        df = df[df["rater"].isin(list(raters))]
    df = df.assign(item_id=df["item_id"].astype(str))
    blank = df["value"].map(lambda v: is_missing(v) or canonical(v) is BLANK)
    if blank.any():
        row = df[blank].iloc[0]
        raise AgreementError(
            f"label {label!r}: rater {row['rater']!r} has a blank value ({row['value']!r}) for "
            f"item {row['item_id']!r}; remove the row or give a value"
        )
    # 3, 3.0 and " 3 " are one value: not a conflict
    keyed = df.assign(_key=df["value"].map(lambda v: repr(canonical(v))))
    dup = keyed.drop_duplicates(["item_id", "rater", "_key"]).duplicated(["item_id", "rater"])
    if dup.any():
        row = keyed.drop_duplicates(["item_id", "rater", "_key"])[dup].iloc[0]
        raise AgreementError(
            f"label {label!r}: rater {row['rater']!r} gave item {row['item_id']!r} "
            "conflicting values; keep one rating per item (e.g. one sample)"
        )
    df = df.drop_duplicates(["item_id", "rater"])
    columns = list(raters) if raters is not None else sorted(set(df["rater"]))
    if df.empty:
        return pd.DataFrame(index=pd.Index([], name="item_id"), columns=columns, dtype=object)
    matrix = df.pivot(index="item_id", columns="rater", values="value")
    matrix = matrix.reindex(columns=columns).sort_index().astype(object)
    matrix.columns.name = "rater"
    return matrix.where(matrix.notna(), float("nan"))


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def labels_of(annotations: pd.DataFrame, raters: Iterable[str] | None = None) -> list[str]:
    """Labels rated by every one of `raters` (all labels when None), in first-seen order."""
    df = annotations
    if raters is None:
        return list(dict.fromkeys(df["label"]))
    raters = list(raters)
    seen = df.groupby("label", sort=False)["rater"].agg(set)
    return [lab for lab, rs in seen.items() if set(raters) <= rs]
