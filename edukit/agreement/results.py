"""Result objects of `compare` / `raters_agreement` and their stable JSON shape.

See `edukit.agreement.compare` for the definitions and the documented JSON layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.agreement.bootstrap import Estimate
from edukit.agreement.domain import Domain

if TYPE_CHECKING:
    import pandas as pd

VERDICTS = ("yes", "no", "inconclusive")


def verdict_rule(margin: float) -> str:
    """The three-way verdict's rule, in words (stated beside every table)."""
    d = f"{margin:g}"
    return (
        f"'as good as a human?' compares mean human-model agreement with human-human agreement on "
        f"the same items (every human and the model rated them), by the paired 95% bootstrap "
        f"interval of their difference and a margin of {d}: yes when the lower end is >= -{d} "
        f"(non-inferior by at most {d}), no when the upper end is < -{d} (worse by more than "
        f"{d}), inconclusive otherwise (the interval is too wide to tell)"
    )


def verdict(ci: tuple[float, float] | None, margin: float) -> str:
    """`yes` (lower >= -margin), `no` (upper < -margin) or `inconclusive`."""
    if ci is None or ci[0] != ci[0] or ci[1] != ci[1]:
        return "inconclusive"
    if ci[0] >= -margin:
        return "yes"
    if ci[1] < -margin:
        return "no"
    return "inconclusive"


FEW_POINTS_CAVEAT = (
    "Each point is one label, so the correlation rests on {n} points: it is descriptive, its "
    "p-value is fragile and one label can move it; read it with the per-label intervals."
)


@dataclass
class LabelComparison:
    """Every figure `compare` computes for one label (see `edukit.agreement.compare`)."""

    label: str
    kind: str
    domain: Domain
    human_human: Estimate
    human_model: dict[str, dict[str, Estimate]]
    human_model_mean: dict[str, Estimate]
    model_vs_majority: dict[str, Estimate]
    difference: dict[str, Estimate]
    same_items: dict[str, dict[str, Estimate]]  # model -> human_human / human_model on its items
    verdict: dict[str, str | None]
    n_rated: dict[str, int]
    n_human_items: int = 0  # items rated by at least one human
    warnings: list[str] = field(default_factory=list)
    constant: dict[str, Any] = field(default_factory=dict)  # rater -> its only value
    positives: dict[str, int] = field(default_factory=dict)
    prevalence: dict[str, float] = field(default_factory=dict)
    ac1: dict[str, Any] = field(default_factory=dict)
    specific: dict[str, Any] = field(default_factory=dict)
    confusion: dict[str, dict[str, Any]] = field(default_factory=dict)
    classification: dict[str, dict[str, dict[str, Estimate]]] = field(default_factory=dict)

    @property
    def categories(self) -> list[Any]:
        return list(self.domain.categories)

    @property
    def mean_value(self) -> float:
        """Mean human-model agreement over every (model, human) pair with a defined value."""
        vals = [e.value for per in self.human_model.values() for e in per.values()]
        vals = [v for v in vals if v == v]
        return sum(vals) / len(vals) if vals else math.nan

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "categories": [plain(c) for c in self.categories],
            "domain": self.domain.to_json(),
            "human_human": self.human_human.to_json(),
            "human_model": {
                m: {h: e.to_json() for h, e in per.items()} for m, per in self.human_model.items()
            },
            "human_model_mean": self._mean_json(),
            "model_vs_majority": {m: e.to_json() for m, e in self.model_vs_majority.items()},
            "difference": {m: e.to_json() for m, e in self.difference.items()},
            "same_items": {
                m: {k: e.to_json() for k, e in per.items()} for m, per in self.same_items.items()
            },
            "verdict": dict(self.verdict),
            "n_rated": dict(self.n_rated),
            "n_human_items": int(self.n_human_items),
            "warnings": list(self.warnings),
            "constant_raters": {r: plain(v) for r, v in self.constant.items()},
        }
        if self.kind == "binary":
            out["positives"] = dict(self.positives)
            out["prevalence"] = {r: num(p) for r, p in self.prevalence.items()}
            out["ac1"] = clean(self.ac1)
            out["specific_agreement"] = clean(self.specific)
        if self.confusion:
            out["confusion"] = self.confusion
        if self.classification:
            out["classification"] = clean(self.classification)
        return out

    def _mean_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": num(self.mean_value)}
        if out["value"] is None:
            reasons = [e.reason for per in self.human_model.values() for e in per.values()]
            out["reason"] = next((r for r in reasons if r), "no human-model value is defined")
        out["by_model"] = {m: e.to_json() for m, e in self.human_model_mean.items()}
        return out


def _settings_json(result: Comparison | RatersAgreement) -> dict[str, Any]:
    """The estimator settings both results' JSON opens with (same keys, same order)."""
    return {
        "metric": result.metric,
        "level": result.level,
        "weights": result.weights,
        "categories": None if result.categories is None else [plain(c) for c in result.categories],
        "categories_source": result.categories_source,
        "n_boot": result.n_boot,
        "seed": result.seed,
        "groups": result.groups,
        "resampling": resampling_note(result.groups, result.n_boot),
    }


@dataclass
class Comparison:
    """Result of `compare`: per-label results and the across-label correlation."""

    metric: str
    level: str
    weights: str | None
    categories: list[Any] | None
    humans: list[str]
    models: list[str]
    n_boot: int
    seed: int
    groups: str | None
    labels: dict[str, LabelComparison]
    correlation: dict[str, dict[str, Any]]
    margin: float = 0.1
    categories_source: str = "observed"

    @property
    def verdict_rule(self) -> str:
        return verdict_rule(self.margin)

    def to_json(self) -> dict[str, Any]:
        """The documented, stable JSON shape; NaN becomes null."""
        return {
            **_settings_json(self),
            "humans": list(self.humans),
            "models": list(self.models),
            "margin": self.margin,
            "verdict_rule": self.verdict_rule,
            "labels": {name: lab.to_json() for name, lab in self.labels.items()},
            "correlation": {m: clean(c) for m, c in self.correlation.items()},
        }

    def table(self) -> pd.DataFrame:
        """Table 3 shape: one row per label; human-human and human-model columns with CIs."""
        import pandas as pd

        rows = []
        for name, lab in self.labels.items():
            row: dict[str, Any] = {
                "label": name,
                "n": lab.human_human.n,
                "human_human": lab.human_human.value,
                "human_human_ci": lab.human_human.ci,
            }
            for m in self.models:
                e = lab.human_model_mean[m]
                row[f"{m}"] = e.value
                row[f"{m}_ci"] = e.ci
                row[f"{m}_vs_majority"] = lab.model_vs_majority[m].value
                row[f"{m}_difference"] = lab.difference[m].value
                row[f"{m}_difference_ci"] = lab.difference[m].ci
                row[f"{m}_verdict"] = lab.verdict[m]
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class RatersAgreement:
    """Result of `raters_agreement`: one coefficient per label over the given raters."""

    metric: str
    level: str
    weights: str | None
    categories: list[Any] | None
    raters: list[str]
    n_boot: int
    seed: int
    labels: dict[str, Estimate]
    domains: dict[str, Domain] = field(default_factory=dict)
    groups: str | None = None
    categories_source: str = "observed"

    def to_json(self) -> dict[str, Any]:
        return {
            **_settings_json(self),
            "raters": list(self.raters),
            "labels": {
                name: {**e.to_json(), "domain": self.domains[name].to_json()}
                if name in self.domains
                else e.to_json()
                for name, e in self.labels.items()
            },
        }


def resampling_note(groups: str | None, n_boot: int) -> str:
    if n_boot == 0:
        return "no bootstrap (--n-boot 0): no intervals"
    if groups:
        return f"clustered bootstrap: whole {groups} groups resampled ({n_boot} resamples)"
    return f"items resampled independently ({n_boot} resamples)"


def num(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if x != x else x + 0.0  # + 0.0: no -0.0


def plain(v: Any) -> Any:
    """numpy scalars to Python; NaN to None; -0.0 to 0.0."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return None if v != v else v + 0.0
    return v


def clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, Estimate):
        return obj.to_json()
    return plain(obj)
