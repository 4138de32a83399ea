"""Compare arms (model raters, prompt folders, sweep runs) with human labels.

`compare_arms` takes one long table in which each arm is a rater; `from_annotations` makes that
table from a file that already holds model labels: a long table (the arms are its model raters)
or a SIGHT wide file with one arm per prompt folder (named after the folder).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.develop.evaluate import ArmResult, Settings, evaluate_arm
from edukit.develop.paired import holm, paired_difference, pairs_of
from edukit.develop.result import CompareResult
from edukit.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd


def compare_arms(
    annotations: pd.DataFrame,
    humans: Sequence[str],
    arms: Sequence[str],
    settings: Settings | None = None,
    groups: Any = "auto",
    usage: Mapping[str, Mapping[str, Any]] | None = None,
) -> CompareResult:
    """Each arm (a rater of `annotations`) against the humans, and paired differences.

    `groups` clusters the bootstrap as in `edukit.agreement.compare` ("auto", a column, a
    mapping item -> cluster, or None). `usage` gives, per arm, what a run recorded: `cost_usd`,
    `tokens`, `latency_s`, `items`, `invalid` (label -> (invalid, asked)) and `info`.
    """
    from edukit.agreement.compare import _groups, check_options
    from edukit.agreement.label import Options

    settings = settings or Settings()
    humans, arms = list(humans), list(arms)
    check_options(settings.metric, "nominal", None, settings.n_boot, settings.margin)
    _check_arms(annotations, humans, arms, settings.baseline)
    ann = annotations[annotations["rater"].isin([*humans, *arms])]
    group_map, group_name = _groups(ann, groups)
    usage = usage or {}
    results = {}
    for arm in arms:
        u = usage.get(arm, {})
        labels = evaluate_arm(ann, humans, arm, settings, group_map, u.get("invalid"))
        results[arm] = ArmResult(
            arm,
            labels,
            cost_usd=u.get("cost_usd"),
            tokens=u.get("tokens"),
            latency_s=u.get("latency_s"),
            items=u.get("items"),
            info=dict(u.get("info") or {}),
        )
    opts = Options(settings.metric, "nominal", None, None, settings.n_boot, settings.seed)
    diffs = []
    for a, b in pairs_of(arms, settings.baseline):
        for label in results[a].labels:
            if label in results[b].labels:
                diffs.append(paired_difference(ann, label, humans, a, b, opts, group_map))
    holm(diffs, settings.alpha)
    for d in diffs:
        d.samples = None  # the resamples were only needed for the intervals
    return CompareResult(
        humans=humans,
        arms=results,
        differences=diffs,
        settings=settings,
        groups=group_name,
        annotations=ann[ann["rater"].isin(arms)].reset_index(drop=True),
        gold=ann[ann["rater"].isin(humans)].reset_index(drop=True),
    )


def _check_arms(
    annotations: pd.DataFrame, humans: list[str], arms: list[str], baseline: str | None
) -> None:
    if not humans:
        raise AgreementError("name the human raters (or the gold rater) with --humans")
    if not arms:
        raise AgreementError("no arms to compare: the file has no model raters besides the humans")
    dup = sorted({a for a in arms if arms.count(a) > 1})
    if dup:
        raise AgreementError(f"duplicate arm name(s): {', '.join(dup)}")
    both = sorted(set(humans) & set(arms))
    if both:
        raise AgreementError(f"{', '.join(both)} is both a human and an arm")
    present = set(annotations["rater"])
    absent = [r for r in humans if r not in present]
    if absent:
        raise AgreementError(
            f"no ratings from human(s) {', '.join(absent)} "
            f"(raters present: {', '.join(sorted(map(str, present)))})"
        )
    if baseline is not None and baseline not in arms:
        raise AgreementError(f"--baseline {baseline!r} is not an arm ({', '.join(arms)})")
    from edukit.agreement.matrix import labels_of

    for arm in arms:
        if arm in present and not labels_of(annotations, [*humans, arm]):
            human_labels = labels_of(annotations, humans)
            arm_labels = labels_of(annotations, [arm])
            raise AgreementError(
                f"arm {arm!r} shares no label with the humans (arm: {', '.join(arm_labels)}; "
                f"humans: {', '.join(human_labels) or 'none in common'})"
            )


def from_annotations(
    path: str | os.PathLike,
    humans: Sequence[str],
    prompts: Sequence[str | os.PathLike] = (),
    arms: Sequence[str] | None = None,
    settings: Settings | None = None,
    group_col: str | None = None,
) -> CompareResult:
    """Compare the model labels a file already holds (no requests).

    A long table: the arms are its raters other than `humans` (or `arms`). A SIGHT wide file:
    with `prompts`, one arm per prompt folder (its model versions, named after the folder; with
    several model raters `FOLDER:RATER`); without, one arm per model rater (each must have one
    version per label). `group_col` clusters the bootstrap ("none": no clusters; default: a
    video_id, dialogue_id or conversation_id column, or a SIGHT file's video_id).
    """
    from edukit.annotations import is_sight_wide, read_annotations

    humans = list(humans)
    sight = is_sight_wide(path)
    if prompts:
        if not sight:
            raise AgreementError(
                "--prompts needs a SIGHT wide file (annotator_* columns)", path=path
            )
        ann, arm_names = _prompt_arms(path, humans, prompts)
        if arms is not None:  # only these of the folders' arms
            unknown = [a for a in arms if a not in arm_names]
            if unknown:
                raise AgreementError(
                    f"--arms {', '.join(unknown)}: not an arm of --prompts "
                    f"({', '.join(arm_names)})",
                    path=path,
                )
            arm_names = list(arms)
    else:
        ann = read_annotations(path)
        model_raters = [r for r in dict.fromkeys(ann["rater"]) if r not in humans]
        arm_names = list(arms) if arms is not None else model_raters
        unknown = [a for a in arm_names if a not in set(ann["rater"])]
        if unknown:
            raise AgreementError(f"no rater {', '.join(unknown)} in the file", path=path)
    groups = _groups_for(path, ann, group_col, sight)
    try:
        return compare_arms(ann, humans, arm_names, settings, groups)
    except AgreementError as exc:
        if exc.path is None:
            raise AgreementError(exc.message, path=path, where=exc.where) from None
        raise


def _prompt_arms(
    path: str | os.PathLike, humans: list[str], prompts: Sequence[str | os.PathLike]
) -> tuple[pd.DataFrame, list[str]]:
    """One arm per SIGHT prompt folder: its model rows renamed to the folder's name."""
    import pandas as pd

    from edukit.annotations import filter_versions, read_annotations
    from edukit.corpora.sight import prompt_versions

    everything = read_annotations(path)
    parts = [everything[everything["rater"].isin(humans)]]
    names: list[str] = []
    for folder in prompts:
        name = Path(os.fspath(folder)).name
        if name in names:
            raise AgreementError(f"duplicate arm name {name!r}: two prompt folders with one name")
        wanted = prompt_versions(folder)
        rows = filter_versions(everything, folder)
        rows = rows[~rows["rater"].isin(humans)]
        rows = rows[
            [wanted.get(lab) == v for lab, v in zip(rows["label"], rows["version"], strict=True)]
        ]
        raters = list(dict.fromkeys(rows["rater"]))
        if not raters:
            raise AgreementError(
                f"prompt folder {name}: none of its versions has an annotator column", path=path
            )
        for rater in raters:
            arm = name if len(raters) == 1 else f"{name}:{rater}"
            names.append(arm)
            parts.append(rows[rows["rater"] == rater].assign(rater=arm))
    return pd.concat(parts, ignore_index=True), names


def _groups_for(path: str | os.PathLike, ann: pd.DataFrame, col: str | None, sight: bool) -> Any:
    """The bootstrap's clusters, as `edukit agree` finds them."""
    from edukit.agreement.compare import CLUSTER_COLUMNS, cluster_column

    if col is not None and col.strip().lower() == "none":
        return None
    if col is not None and col in ann.columns:
        return col
    if col is None and cluster_column(ann.columns):
        return "auto"
    if sight:
        from edukit.corpora.sight import read_sight

        items = read_sight(path).items
        for c in [col] if col else CLUSTER_COLUMNS:
            if c in items.columns:
                return _Named(zip(items["item_id"].astype(str), items[c], strict=True), c)
    if col is not None:
        raise AgreementError(f"no column {col!r} to group items by", path=path)
    return None


class _Named(dict):
    """An item -> cluster mapping with its column's name (shown in the outputs)."""

    def __init__(self, pairs, name: str) -> None:
        super().__init__(pairs)
        self.name = name
