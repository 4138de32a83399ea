"""Labels to group rates: per session, teacher, video or playlist, how often each category occurs.

One row per group (the values of the `by` columns) with `n_items` (the group's items in the items
table) and, per label and category:
- `LABEL.CATEGORY.count`: items of the group the rater gave that category;
- `LABEL.CATEGORY.rate`: count / `LABEL.n_rated` (the group's items the rater labelled: a teacher
  move is a rate per teacher turn);
- `LABEL.CATEGORY.per100`: 100 * count / `n_items` (per 100 items or turns of the group).
Both are empty (NaN) for a group none of whose items the rater labelled.
With a role column (MathDial's `speaker`), the same per role: `n_items.ROLE`, `LABEL.n_rated.ROLE`,
`LABEL.CATEGORY.ROLE.count`, `.rate`, `.per100` (per 100 items of that role), for the roles
that have labelled items.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edukit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class AggregateSettings:
    by: list[str]
    rater: str | None = None
    role_col: str | None = None
    version: str | None = None
    labels: list[str] | None = None


@dataclass
class Rates:
    table: pd.DataFrame
    rater: str
    versions: dict[str, str]
    notes: list[str] = field(default_factory=list)


def read_items(path: str | os.PathLike) -> pd.DataFrame:
    """The items table of a corpus file (MathDial: every utterance, teacher and student; SIGHT:
    its comments) or of any table with an `item_id` column."""
    from edukit.corpora.detect import detect
    from edukit.resources import resolve_input

    path = resolve_input(path)
    kind = detect(path)
    if kind == "mathdial":
        from edukit.corpora.mathdial import read_mathdial

        return read_mathdial(path).utterances
    if kind in ("sight", "sight-full"):
        from edukit.corpora.sight import read_sight

        return read_sight(path).items
    from edukit.corpora.tables import normalise_id, read_table, table_format

    table = read_table(path, dtype=str if table_format(path) == ".csv" else None)
    if "item_id" not in table.columns:
        raise InputError(
            f"no item_id column (columns: {', '.join(map(str, table.columns))})", path=path
        )
    table["item_id"] = table["item_id"].map(normalise_id)
    return table


def pick_rater(ann: pd.DataFrame, rater: str | None) -> str:
    raters = sorted(map(str, set(ann["rater"])))
    if rater is None:
        if len(raters) != 1:
            raise InputError(f"several raters ({', '.join(raters)}): pick one with --rater")
        return raters[0]
    if rater not in raters:
        raise InputError(f"--rater: no rater {rater!r} in the annotations ({', '.join(raters)})")
    return rater


def aggregate(annotations: pd.DataFrame, items: pd.DataFrame, settings: AggregateSettings) -> Rates:
    """Counts, rates and rates per 100 items of each category per group (module docstring)."""
    import pandas as pd

    from edukit.findings.estimate import one_version

    s = settings
    missing = [c for c in [*s.by, *([s.role_col] if s.role_col else [])] if c not in items.columns]
    if missing:
        raise InputError(
            f"the items have no column(s) {', '.join(missing)} "
            f"(columns: {', '.join(map(str, items.columns))})"
        )
    rater = pick_rater(annotations, s.rater)
    rows, versions = one_version(annotations[annotations["rater"] == rater], s.version, rater)
    if s.labels:
        unknown = [lab for lab in s.labels if lab not in set(rows["label"])]
        if unknown:
            raise InputError(f"--label: {rater} has no label {', '.join(unknown)}")
        rows = rows[rows["label"].isin(s.labels)]
    items = items.drop_duplicates("item_id").copy()
    items["item_id"] = items["item_id"].map(str)
    keys = items[s.by].astype(str).apply(tuple, axis=1) if s.by else None
    group_of = dict(zip(items["item_id"], keys, strict=True))
    role_of = (
        dict(zip(items["item_id"], items[s.role_col].astype(str), strict=True))
        if (s.role_col)
        else {}
    )
    notes = []
    known = rows["item_id"].isin(group_of)
    if not known.all():
        notes.append(f"{int((~known).sum())} annotation rows name items not in the items table")
        rows = rows[known]
    if rows.empty:
        raise InputError("no annotation matches an item of the items table (item_id)")

    groups = sorted(set(keys))
    n_items = keys.value_counts()
    out = pd.DataFrame([dict(zip(s.by, g, strict=True)) for g in groups])
    out["n_items"] = [int(n_items[g]) for g in groups]
    roles = sorted(set(role_of.values())) if s.role_col else []
    role_items = items.assign(_g=keys, _r=items[s.role_col].astype(str)) if roles else None
    cols: dict[str, list] = {}
    rows = rows.assign(_g=rows["item_id"].map(group_of), value=rows["value"].map(str))
    if roles:
        rows = rows.assign(_r=rows["item_id"].map(role_of))
        counts_role = role_items.groupby(["_g", "_r"]).size()
        labelled_roles = sorted(set(rows["_r"]))
        for r in labelled_roles:
            cols[f"n_items.{r}"] = [int(counts_role.get((g, r), 0)) for g in groups]
    for label, lab_rows in rows.groupby("label", sort=True):
        rated = lab_rows.groupby("_g").size()
        cats = sorted(set(lab_rows["value"]), key=_key)
        counts = lab_rows.groupby(["_g", "value"]).size()
        cols[f"{label}.n_rated"] = [int(rated.get(g, 0)) for g in groups]
        for c in cats:
            cnt = [int(counts.get((g, c), 0)) for g in groups]
            _fill(cols, f"{label}.{c}", cnt, cols[f"{label}.n_rated"], out["n_items"].tolist())
        if roles:
            rated_r = lab_rows.groupby(["_g", "_r"]).size()
            counts_r = lab_rows.groupby(["_g", "_r", "value"]).size()
            for r in sorted(set(lab_rows["_r"])):
                n_rated = [int(rated_r.get((g, r), 0)) for g in groups]
                cols[f"{label}.n_rated.{r}"] = n_rated
                for c in cats:
                    cnt = [int(counts_r.get((g, r, c), 0)) for g in groups]
                    _fill(cols, f"{label}.{c}.{r}", cnt, n_rated, cols[f"n_items.{r}"])
    out = pd.concat([out, pd.DataFrame(cols)], axis=1)
    return Rates(out, rater, versions, notes)


def _fill(cols: dict, stem: str, count: list[int], rated: list[int], n: list[int]) -> None:
    cols[f"{stem}.count"] = count
    cols[f"{stem}.rate"] = [c / r if r else float("nan") for c, r in zip(count, rated, strict=True)]
    # a group the rater labelled nothing in has no rate (empty), not a rate of 0
    cols[f"{stem}.per100"] = [
        100 * c / k if k and r else float("nan") for c, r, k in zip(count, rated, n, strict=True)
    ]


def _key(c: str):
    try:
        return (0, float(c), c)
    except ValueError:
        return (1, 0.0, c)
