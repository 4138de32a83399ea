"""One arm against the human labels: the `agree` comparison plus classification scores.

Every agreement figure of an arm (agreement with each human, with the human majority, the mean,
human-human on the same items, the difference and the verdict) is `edukit.agreement.compare` run
with the humans and that arm alone, exactly what `edukit agree --humans ... --models ARM` gives.
Beside it, the arm's labels are scored as classifications against the human reference (the one
human or gold rater; with several humans their strict majority, ties left out): accuracy,
per-class F1 and macro-F1 (scikit-learn's definitions, zero_division=0, macro over the classes
either side used), with percentile intervals from the same clustered resamples as `agree`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import Estimate, pair_table, percentile_ci, table_statistic
from edukit.agreement.extras import macro_f1_tables
from edukit.agreement.label import LabelData, Options, undefined
from edukit.agreement.results import LabelComparison, plain

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Settings:
    """How arms are compared (the `agree` estimator settings, the verdict margin, the pairs)."""

    metric: str = "cohen"
    n_boot: int = 1000
    seed: int = 0
    margin: float = 0.1
    labels: Sequence[str] | None = None
    baseline: str | None = None  # paired differences against this arm only (else every pair)
    alpha: float = 0.05  # family-wise error rate of the paired differences (Holm)


@dataclass
class ArmLabel:
    """One arm's figures on one label."""

    comparison: LabelComparison
    arm: str
    accuracy: Estimate
    macro_f1: Estimate
    f1: dict[str, Estimate]
    invalid_rate: Estimate

    @property
    def human_model_mean(self) -> Estimate:
        return self.comparison.human_model_mean[self.arm]

    @property
    def human_human(self) -> Estimate:
        """Human-human agreement on the items every human and this arm rated."""
        same = self.comparison.same_items.get(self.arm)
        return same["human_human"] if same else self.comparison.human_human

    @property
    def verdict(self) -> str | None:
        return self.comparison.verdict[self.arm]

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "human_model_mean": self.human_model_mean.to_json(),
            "human_human": self.human_human.to_json(),
            "human_human_all": c.human_human.to_json(),
            "human_model": {h: e.to_json() for h, e in c.human_model[self.arm].items()},
            "model_vs_majority": c.model_vs_majority[self.arm].to_json(),
            "difference": c.difference[self.arm].to_json(),
            "verdict": self.verdict,
            "f1": {k: e.to_json() for k, e in self.f1.items()},
            "accuracy": self.accuracy.to_json(),
            "macro_f1": self.macro_f1.to_json(),
            "invalid_rate": self.invalid_rate.to_json(),
            "kind": c.kind,
            "categories": [plain(x) for x in c.categories],
            "warnings": list(c.warnings),
        }


@dataclass
class ArmResult:
    """One arm: its figures per label, usage and cost (None when unknown)."""

    name: str
    labels: dict[str, ArmLabel]
    cost_usd: float | None = None
    tokens: dict[str, int] | None = None
    latency_s: float | None = None
    items: int | None = None
    invalid: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (invalid, asked)
    info: dict[str, Any] = field(default_factory=dict)  # rubric, strategy, model, run id

    def mean(self, what: str = "human_model_mean") -> float:
        """Mean over labels of a figure (NaN labels left out)."""
        vals = [getattr(lab, what).value for lab in self.labels.values()]
        vals = [v for v in vals if v == v]
        return sum(vals) / len(vals) if vals else math.nan

    @property
    def cost_per_item(self) -> float | None:
        if self.cost_usd is None or not self.items:
            return None
        return self.cost_usd / self.items


def evaluate_arm(
    annotations: pd.DataFrame,
    humans: Sequence[str],
    arm: str,
    settings: Settings,
    groups: Any,
    invalid: Mapping[str, tuple[int, int]] | None = None,
) -> dict[str, ArmLabel]:
    """Every figure of one arm, per label (the arm is rater `arm` in `annotations`)."""
    from edukit.agreement.compare import compare

    comparison = compare(
        annotations,
        list(humans),
        [arm],
        metric=settings.metric,
        n_boot=settings.n_boot,
        seed=settings.seed,
        groups=groups,
        labels=_labels(annotations, humans, arm, settings.labels),
        margin=settings.margin,
    )
    group_map = _group_map(annotations, groups)
    opts = Options(settings.metric, "nominal", None, None, settings.n_boot, settings.seed)
    out = {}
    for name, lab in comparison.labels.items():
        data = LabelData(annotations, name, [*humans, arm], opts, group_map)
        acc, macro, f1 = classification_vs_reference(data, len(humans))
        bad, asked = (invalid or {}).get(name, (0, 0))
        out[name] = ArmLabel(lab, arm, acc, macro, f1, _rate(bad, asked))
    return out


def _labels(
    annotations: pd.DataFrame, humans: Sequence[str], arm: str, wanted: Sequence[str] | None
) -> list[str] | None:
    from edukit.agreement.matrix import labels_of

    have = labels_of(annotations, [*humans, arm])
    return have if wanted is None else [lab for lab in wanted if lab in have]


def _group_map(annotations: pd.DataFrame, groups: Any) -> Mapping[str, Any] | None:
    from edukit.agreement.compare import _groups

    return _groups(annotations, groups)[0]


def _rate(bad: int, asked: int) -> Estimate:
    if not asked:
        return undefined("invalid answers are not recorded in an annotation file")
    return Estimate(bad / asked, None, asked)


def reference(codes: np.ndarray, n_humans: int) -> np.ndarray:
    """The human reference per item: the one human, else the strict majority (ties NaN)."""
    from edukit.agreement.versus import _majority

    return codes[:, 0] if n_humans == 1 else _majority(codes[:, :n_humans])


def classification_vs_reference(
    lab: LabelData, n_humans: int
) -> tuple[Estimate, Estimate, dict[str, Estimate]]:
    """Accuracy, macro-F1 and per-class F1 of the last rater against the human reference."""
    import numpy as np

    ref = reference(lab.codes, n_humans)
    arm = lab.codes[:, -1]
    per_group = pair_table(ref, arm, lab.gidx, lab.n_groups, lab.k)
    table = per_group.sum(axis=0)
    n = int(table.sum())
    names = [str(plain(c)) for c in lab.categories]
    if n == 0:
        e = undefined("no item has both a human reference label and this arm's label")
        return e, e, {c: e for c in names}
    used = np.nonzero(table.sum(axis=0) + table.sum(axis=1))[0]
    boot = lab.resampler.tables(per_group) if lab.opts.n_boot else None
    acc_value = float(np.trace(table) / n)
    macro_value = float(macro_f1_tables(table[None], used)[0])

    def est(value: float, samples: np.ndarray | None) -> Estimate:
        if samples is None:
            return Estimate(value, None, n)
        ci, und = percentile_ci(samples)
        return Estimate(value, ci, n, None, und)

    acc = est(acc_value, None if boot is None else table_statistic("percent", lab.k)(boot))
    macro = est(macro_value, None if boot is None else macro_f1_tables(boot, used))
    f1 = {}
    for c, cname in enumerate(names):
        one = np.array([c])
        f1[cname] = est(
            float(macro_f1_tables(table[None], one)[0]),
            None if boot is None else macro_f1_tables(boot, one),
        )
    return acc, macro, f1
