"""The result of `edukit compare`: arms, paired differences, cost, and their stable JSON.

JSON (`CompareResult.to_json()`, NaN is null)::

    {"metric", "n_boot", "seed", "groups", "resampling", "margin", "verdict_rule",
     "humans": [...], "ranking": [ARM, ...] (by mean human-model agreement over labels),
     "arms": {ARM: {"labels": {LABEL: {"human_model_mean", "human_human", "verdict", "f1",
                                        "accuracy", "macro_f1", "invalid_rate", ...}},
                    "summary": {"human_model_mean", "difference", "accuracy", "macro_f1",
                                "verdicts": {"yes", "no", "inconclusive"}},
                    "cost_usd", "cost_per_item", "tokens": {"input", "output"} | null,
                    "latency_s", "items", "pareto": bool, "info": {...}}},
     "differences": [{"label", "a", "b", "value", "ci", "better", "n", "level", "ci_95", "p"}],
     "multiplicity", "holdout": null | {"fraction", "seed", "group_col", "n_items", "n_held_out",
     "gold_sha256", "final_looks", "final": ARM | null, "evaluated_on"}, "plan": [...] | null}

Each statistic is `{"value", "ci", "n"}` as in `edukit agree`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.agreement.results import num, resampling_note, verdict_rule
from edukit.develop.evaluate import ArmResult, Settings
from edukit.develop.paired import Difference, multiplicity_note

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class CompareResult:
    """Arms compared with the humans (see the module docstring for the JSON)."""

    humans: list[str]
    arms: dict[str, ArmResult]
    differences: list[Difference]
    settings: Settings
    groups: str | None
    annotations: pd.DataFrame  # the arms' labels, rater = arm name
    gold: pd.DataFrame  # the humans' labels on the items compared
    holdout: dict[str, Any] | None = None
    plan: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ranking(self) -> list[str]:
        """Arms by mean human-model agreement over labels, best first (NaN last)."""

        def key(name: str) -> tuple[int, float, str]:
            v = self.arms[name].mean()
            return (1, 0.0, name) if v != v else (0, -v, name)

        return sorted(self.arms, key=key)

    @property
    def pareto(self) -> list[str]:
        """Arms on the cost-agreement Pareto front (no other arm is cheaper per item and at least
        as good, or as cheap and better); arms without a cost are left out."""
        pts = {
            a: (r.cost_per_item, r.mean())
            for a, r in self.arms.items()
            if r.cost_per_item is not None and r.mean() == r.mean()
        }
        front = []
        for a, (c, v) in pts.items():
            dominated = any(
                (c2 <= c and v2 >= v) and (c2 < c or v2 > v)
                for b, (c2, v2) in pts.items()
                if b != a
            )
            if not dominated:
                front.append(a)
        return sorted(front, key=lambda a: pts[a][0])

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        pareto = set(self.pareto)
        return {
            "metric": s.metric,
            "n_boot": s.n_boot,
            "seed": s.seed,
            "groups": self.groups,
            "resampling": resampling_note(self.groups, s.n_boot),
            "margin": s.margin,
            "verdict_rule": verdict_rule(s.margin),
            "humans": list(self.humans),
            "ranking": self.ranking,
            "arms": {name: self._arm_json(arm, name in pareto) for name, arm in self.arms.items()},
            "differences": [d.to_json() for d in self.differences],
            "multiplicity": multiplicity_note(s.alpha, len(self.differences)),
            "holdout": self.holdout,
            "plan": self.plan,
            "warnings": list(self.warnings),
        }

    def _arm_json(self, arm: ArmResult, on_front: bool) -> dict[str, Any]:
        verdicts = [lab.verdict for lab in arm.labels.values()]
        return {
            "labels": {name: lab.to_json() for name, lab in arm.labels.items()},
            "summary": {
                "human_model_mean": num(arm.mean()),
                "human_human": num(arm.mean("human_human")),
                "difference": num(
                    _mean(
                        [lab.comparison.difference[arm.name].value for lab in arm.labels.values()]
                    )
                ),
                "accuracy": num(arm.mean("accuracy")),
                "macro_f1": num(arm.mean("macro_f1")),
                "verdicts": {v: verdicts.count(v) for v in ("yes", "no", "inconclusive")},
            },
            "cost_usd": num(arm.cost_usd) if arm.cost_usd is not None else None,
            "cost_per_item": num(arm.cost_per_item) if arm.cost_per_item is not None else None,
            "tokens": arm.tokens,
            "latency_s": num(arm.latency_s) if arm.latency_s is not None else None,
            "items": arm.items,
            "pareto": on_front,
            "info": arm.info,
        }

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The ranked summary: one row per arm (means over labels)."""
        from edukit.report import fmt

        header = [
            "rank",
            "arm",
            "labels",
            "human-model",
            "human-human",
            "difference",
            "verdicts yes/no/?",
            "accuracy",
            "macro-F1",
            "$ / item",
        ]
        rows = []
        for i, name in enumerate(self.ranking, 1):
            arm = self.arms[name]
            j = self._arm_json(arm, False)["summary"]
            v = j["verdicts"]
            cpi = arm.cost_per_item
            rows.append(
                [
                    str(i),
                    name,
                    str(len(arm.labels)),
                    fmt(arm.mean()),
                    fmt(arm.mean("human_human")),
                    fmt(j["difference"]),
                    f"{v['yes']}/{v['no']}/{v['inconclusive']}",
                    fmt(arm.mean("accuracy")),
                    fmt(arm.mean("macro_f1")),
                    "n/a" if cpi is None else f"{cpi:.5f}",
                ]
            )
        return header, rows

    def label_rows(self) -> tuple[list[str], list[list[str]]]:
        """Per arm and label: every figure with its interval."""
        from edukit.report import fmt

        header = [
            "arm",
            "label",
            "n",
            "human-model (mean)",
            "human-human (same items)",
            "difference",
            "verdict",
            "vs majority",
            "accuracy",
            "macro-F1",
            "invalid",
        ]
        rows = []
        for name in self.ranking:
            for label, lab in self.arms[name].labels.items():
                diff = lab.comparison.difference[name]
                maj = lab.comparison.model_vs_majority[name]
                hm, hh = lab.human_model_mean, lab.human_human
                inv = lab.invalid_rate
                rows.append(
                    [
                        name,
                        label,
                        str(hm.n),
                        fmt(hm.value, hm.ci),
                        fmt(hh.value, hh.ci),
                        fmt(diff.value, diff.ci),
                        lab.verdict or "n/a",
                        fmt(maj.value, maj.ci),
                        fmt(lab.accuracy.value, lab.accuracy.ci),
                        fmt(lab.macro_f1.value, lab.macro_f1.ci),
                        "n/a" if inv.value != inv.value else f"{inv.value:.1%}",
                    ]
                )
        return header, rows

    def difference_rows(self) -> tuple[list[str], list[list[str]]]:
        from edukit.report import fmt

        header = ["label", "a", "b", "n", "b - a", "interval (Holm level)", "p", "better"]
        rows = []
        for d in self.differences:
            better = {"a": d.a, "b": d.b}.get(d.better, "neither")
            level = "" if d.level is None else f" @{d.level:.4g}"
            ci = "n/a" if d.ci is None else f"[{fmt(d.ci[0])}, {fmt(d.ci[1])}]{level}"
            p = "n/a" if d.p != d.p else f"{d.p:.3f}"
            rows.append([d.label, d.a, d.b, str(d.n), fmt(d.value), ci, p, better])
        return header, rows


def _mean(values: list[float]) -> float:
    ok = [v for v in values if v == v]
    return sum(ok) / len(ok) if ok else math.nan
