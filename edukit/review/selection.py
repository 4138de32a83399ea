"""Which items people review, and with what probability each was picked.

Rules (applied in the order given, each among the items the earlier rules left):
- `disagreement`: items on which the raters disagree on some label (model vs human, model vs
  model, or the arms of a compare sweep given as model raters), least confident first;
- `low-confidence`: the items whose lowest stored model confidence is lowest;
- `random`: a simple random sample (probability n / N of the items still in the pool);
- `stratified`: a random sample within each stratum, the first model's value of one label
  (`stratify_by`, default the first label; equal allocation, one slot per stratum in turn;
  probability n_h / N_h);
- `all`: every item (probability 1).

Agreement measured on items picked for disagreement or low confidence is not the corpus's
agreement: those rules record no probability, and only the random, stratified and all rows
support corpus-level numbers (inverse-probability weights, issue 25's `estimate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edukit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

RULES = ("disagreement", "low-confidence", "random", "stratified", "all")
SELECTION_COLUMNS = ("item_id", "rule", "probability", "stratum")
MAX_BUDGET = 1_000_000
MAX_SEED = 2**32 - 1


@dataclass
class SelectionSettings:
    """`rules`: RULE or RULE:N entries; `budget`: items in all (rules without :N share it);
    `models`: the model raters (default: raters with a version); `seed` for random picks;
    `stratify_by`: the label whose model values are the strata (default: the first label)."""

    rules: list[str] = field(default_factory=lambda: ["all"])
    budget: int | None = None
    seed: int = 0
    models: list[str] | None = None
    stratify_by: str | None = None


@dataclass
class Selection:
    """The picked items (`table`: item_id, rule, probability, stratum) and notes on shortfalls."""

    table: pd.DataFrame
    notes: list[str]


def parse_rules(rules: list[str], budget: int | None) -> list[tuple[str, int | None]]:
    """(rule, how many) per rule, the budget shared by the rules without their own count.

    Raises InputError for an unknown rule, a bad count or a budget that does not add up."""
    if budget is not None and not 1 <= budget <= MAX_BUDGET:
        raise InputError(f"--budget must be between 1 and {MAX_BUDGET:,}, not {budget}")
    parsed: list[tuple[str, int | None]] = []
    for spec in rules:
        name, _, count = spec.strip().partition(":")
        name = name.strip()
        if name not in RULES:
            raise InputError(f"--select: unknown rule {name!r} (one of {', '.join(RULES)})")
        if any(name == p[0] for p in parsed):
            raise InputError(f"--select: rule {name!r} given twice")
        n = None
        if count.strip():
            if name == "all":
                raise InputError("--select: 'all' takes every item, it has no count")
            if not count.strip().isdigit() or not 1 <= int(count) <= MAX_BUDGET:
                raise InputError(f"--select {spec!r}: the count must be 1 to {MAX_BUDGET:,}")
            n = int(count)
        parsed.append((name, n))
    if not parsed:
        raise InputError("--select: give at least one rule")
    if any(name == "all" for name, _ in parsed):
        if len(parsed) > 1 or budget is not None:
            raise InputError("--select all takes every item: no other rule and no --budget")
        return [("all", None)]
    fixed = sum(n for _, n in parsed if n is not None)
    open_rules = [i for i, (_, n) in enumerate(parsed) if n is None]
    if open_rules and budget is None:
        raise InputError(f"--select {parsed[open_rules[0]][0]}: give --budget N (or RULE:N)")
    if budget is not None and fixed > budget:
        raise InputError(f"--select counts add up to {fixed}, more than --budget {budget}")
    if budget is not None and not open_rules and fixed != budget:
        raise InputError(f"--select counts add up to {fixed}, not --budget {budget}")
    if open_rules:
        left = budget - fixed
        if left < len(open_rules):
            raise InputError(f"--budget {budget} leaves fewer than one item per rule")
        share, extra = divmod(left, len(open_rules))
        for k, i in enumerate(open_rules):
            parsed[i] = (parsed[i][0], share + (1 if k < extra else 0))
    return parsed


def model_raters(ann: pd.DataFrame, models: list[str] | None) -> list[str]:
    """The model raters: as given (each must be in the table), else every rater with a version."""
    raters = list(dict.fromkeys(ann["rater"]))
    if models:
        missing = [m for m in models if m not in raters]
        if missing:
            raise InputError(
                f"--models: no rater {missing[0]!r} in the annotations "
                f"(raters: {', '.join(raters)})"
            )
        return list(models)
    found = list(dict.fromkeys(ann.loc[ann["version"].astype(str) != "", "rater"]))
    if not found:
        raise InputError(
            "no model rater in the annotations (no row has a version): name them with --models"
        )
    return found


def item_confidence(ann: pd.DataFrame, models: list[str]) -> pd.Series:
    """Per item, the lowest stored confidence of the model raters' labels (NaN when none)."""
    import pandas as pd

    rows = ann[ann["rater"].isin(models)]
    if "confidence" not in rows.columns:
        return pd.Series(math.nan, index=pd.Index(sorted(set(rows["item_id"]))), dtype=float)
    conf = pd.to_numeric(rows["confidence"], errors="coerce")
    return conf.groupby(rows["item_id"]).min().sort_index()


def disagreeing_items(ann: pd.DataFrame, models: list[str]) -> list[str]:
    """Items where the model raters, or a model and any other rater, give different values
    to one label (the first model's version per rater when a rater has several)."""
    from collections import defaultdict

    values: dict[tuple[str, str], set] = defaultdict(set)
    raters: dict[tuple[str, str], set] = defaultdict(set)
    modelled = set(ann.loc[ann["rater"].isin(models), "item_id"])
    for item, rater, label, value in zip(
        ann["item_id"], ann["rater"], ann["label"], ann["value"], strict=True
    ):
        if item in modelled:
            values[(item, label)].add(str(value))
            raters[(item, label)].add(rater)
    return sorted(
        {
            item
            for key, vals in values.items()
            if len(vals) > 1 and len(raters[key]) > 1
            for item in [key[0]]
        }
    )


def strata(ann: pd.DataFrame, model: str, label: str | None = None) -> dict[str, str]:
    """Item -> stratum `label=value`: the model's value of `label` (default: the first label
    of the table); items without it share the stratum ``."""
    rows = ann[ann["rater"] == model]
    if label is None:
        label = str(rows["label"].iloc[0]) if len(rows) else ""
    elif label not in set(rows["label"]):
        raise InputError(
            f"--stratify-by: {model} has no label {label!r} "
            f"(its labels: {', '.join(sorted(set(rows['label'])))})"
        )
    rows = rows[rows["label"] == label]
    out: dict[str, str] = {}
    for item, value in zip(rows["item_id"], rows["value"], strict=True):
        out.setdefault(item, f"{label}={value}")  # a rater's first version
    return out


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"--seed must be between 0 and {MAX_SEED:,}, not {seed}")


def select_items(ann: pd.DataFrame, settings: SelectionSettings) -> Selection:
    """Pick the items to review from the items the model raters labelled (see module doc)."""
    import numpy as np
    import pandas as pd

    check_seed(settings.seed)
    rules = parse_rules(settings.rules, settings.budget)
    models = model_raters(ann, settings.models)
    pool = sorted(set(ann.loc[ann["rater"].isin(models), "item_id"]))
    rng = np.random.default_rng(settings.seed)
    picked: list[tuple[str, str, float, str]] = []
    notes: list[str] = []
    conf = item_confidence(ann, models)
    for rule, n in rules:
        taken = {p[0] for p in picked}
        left = [i for i in pool if i not in taken]
        if rule == "all":
            picked += [(i, "all", 1.0, "") for i in left]
            continue
        if rule == "low-confidence":
            known = conf.reindex(left).dropna()
            if known.empty:
                raise InputError(
                    "--select low-confidence: the model rows have no stored confidence "
                    "(a confidence column, from logprobs or --samples votes)"
                )
            order = sorted(known.index, key=lambda i: (known[i], i))
            chosen = order[:n]
            if len(known) < len(left):
                notes.append(
                    f"low-confidence: {len(left) - len(known)} items have no stored confidence "
                    "and were not considered"
                )
            picked += [(i, rule, math.nan, "") for i in chosen]
        elif rule == "disagreement":
            if len(set(ann["rater"])) < 2:
                raise InputError(
                    "--select disagreement needs two raters (two models, or a model and a human)"
                )
            dis = set(disagreeing_items(ann, models)) - taken
            order = sorted(dis, key=lambda i: (_conf_key(conf, i), i))
            chosen = order[:n]
            picked += [(i, rule, math.nan, "") for i in chosen]
        elif rule == "random":
            k = min(n, len(left))
            idx = rng.choice(len(left), size=k, replace=False) if k else []
            chosen = sorted(left[j] for j in idx)
            picked += [(i, rule, k / len(left), "") for i in chosen]
        else:  # stratified
            by = strata(ann, models[0], settings.stratify_by)
            chosen = _stratified(left, by, n, rng, picked)
        if len(chosen) < n:
            notes.append(f"{rule}: {len(chosen)} of {n} items (no more items fit the rule)")
    table = pd.DataFrame(picked, columns=list(SELECTION_COLUMNS))
    return Selection(table, notes)


def _conf_key(conf: pd.Series, item: str) -> float:
    value = conf.get(item, math.nan)
    return math.inf if value is None or math.isnan(value) else float(value)


def _stratified(left, item_strata, n, rng, picked) -> list[str]:
    """Equal allocation over the strata (one slot each in turn, strata by name), a seeded
    random sample in each; appends (item, rule, n_h / N_h, stratum) to `picked`."""
    groups: dict[str, list[str]] = {}
    for item in left:
        groups.setdefault(item_strata.get(item, ""), []).append(item)
    names = sorted(groups)
    quota = dict.fromkeys(names, 0)
    remaining = n
    while remaining and any(quota[s] < len(groups[s]) for s in names):
        for s in names:
            if remaining and quota[s] < len(groups[s]):
                quota[s] += 1
                remaining -= 1
    chosen = []
    for s in names:
        k = quota[s]
        if not k:
            continue
        members = groups[s]
        idx = rng.choice(len(members), size=k, replace=False)
        for item in sorted(members[j] for j in idx):
            picked.append((item, "stratified", k / len(members), s))
            chosen.append(item)
    return chosen


def read_selection(path) -> pd.DataFrame:
    """A selection file (item_id, rule, probability, stratum) as written by `review export`."""
    import pandas as pd

    from edukit.corpora.tables import read_table

    table = read_table(path, dtype=str)
    missing = [c for c in ("item_id", "rule") if c not in table.columns]
    if missing:
        raise InputError(
            f"not a selection file: no column {missing[0]} (need {', '.join(SELECTION_COLUMNS)})",
            path=path,
            where=1,
        )
    for i, rule in enumerate(table["rule"]):
        if str(rule).strip() not in RULES:
            raise InputError(
                f"unknown rule {rule!r} (one of {', '.join(RULES)})", path=path, where=i + 2
            )
    if "probability" in table.columns:
        prob = pd.to_numeric(table["probability"], errors="coerce")
        bad = prob.notna() & ~((prob > 0) & (prob <= 1))
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError("probability must be in (0, 1]", path=path, where=i + 2)
        table["probability"] = prob
    return table
