"""Arms of a sweep: rubric version x prompt strategy x model, from options and a plan file.

Strategies change the rubric before any prompt is built, so each arm is an ordinary annotate run
(its own rubric hash, run id and request keys):
- `zero-shot`: the rubric's examples removed, no reasoning field;
- `few-shot`: the rubric's examples, no reasoning field;
- `reasoning`: no examples, a reasoning field before each label;
- `few-shot+reasoning`: the examples and a reasoning field;
- `verify`: `few-shot`, then a second request per answer in which the model reviews its label
  against the definition and may change it (both passes recorded and costed).

An arm is named `RUBRIC/STRATEGY/MODEL` (the rubric file's stem or bundled name) unless a plan
names it; names are stable across runs and must be unique.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edukit.errors import AnnotationError, InputError

STRATEGIES = ("zero-shot", "few-shot", "reasoning", "few-shot+reasoning", "verify")
DEFAULT_STRATEGY = "few-shot"


@dataclass(frozen=True)
class Arm:
    """One cell of the sweep: what `annotate` is called with."""

    name: str
    rubric: str  # a rubric file or a bundled rubric's name
    strategy: str
    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = None
    samples: int | None = None


class PlanArm(BaseModel):
    """One arm of a plan file (`--plan sweep.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    rubric: str | None = None
    strategy: str = DEFAULT_STRATEGY
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = Field(None, ge=0, le=2)
    samples: int | None = Field(None, ge=1, le=100)


class Plan(BaseModel):
    """A sweep plan: its arms (fields left out come from the command line or the rubric)."""

    model_config = ConfigDict(extra="forbid")

    arms: list[PlanArm] = Field(min_length=1)


def read_plan(path: str | os.PathLike) -> Plan:
    """Read and validate a plan YAML file (the rubric's bounded YAML reader); one `InputError`
    naming the file, the line and the key."""
    from edukit.errors import RubricError
    from edukit.rubric.source import read_source

    p = Path(path)
    try:
        source = read_source(p)
    except RubricError as exc:
        raise InputError(exc.message.replace("rubric", "plan"), path=p, where=exc.where) from None
    try:
        return Plan.model_validate(source.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = None
        for n in range(len(loc), 0, -1):  # the deepest key the file marks
            where = source.where(loc[:n])
            if where is not None:
                break
        name = ".".join(str(x) for x in loc) or "(top level)"
        raise InputError(f"{name}: {err['msg']}", path=p, where=where) from None


def arm_name(rubric: str, strategy: str, model: str) -> str:
    return (
        f"{Path(rubric).stem if rubric.endswith(('.yaml', '.yml')) else rubric}/{strategy}/{model}"
    )


def build_arms(
    rubrics: Sequence[str],
    models: Sequence[str],
    strategies: Sequence[str],
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    plan: Plan | None = None,
) -> list[Arm]:
    """The cartesian product of rubrics x strategies x models, then the plan's arms.

    With a plan, `rubrics` and `models` fill its arms' missing fields (when there is one of
    them) and the product is added only when `strategies` are given too. A missing model is the
    rubric's `defaults.model`; none is an error, as are an unknown strategy, an unknown rubric
    and two arms with one name.
    """
    arms: list[Arm] = []
    if strategies or (plan is None and (rubrics or models)):
        if not rubrics:
            raise AnnotationError("give at least one --rubric (or a --plan)")
        for rubric in rubrics:
            for strategy in strategies or [DEFAULT_STRATEGY]:
                for model in models or [None]:
                    arms.append(_arm(None, rubric, strategy, model, base_url, api_key_env))
    for i, p in enumerate(plan.arms if plan else []):
        rubric = p.rubric or (rubrics[0] if len(rubrics) == 1 else None)
        if rubric is None:
            raise AnnotationError(f"plan arm {i + 1}: no rubric (give `rubric:` or one --rubric)")
        model = p.model or (models[0] if len(models) == 1 else None)
        arms.append(
            _arm(
                p.name,
                rubric,
                p.strategy,
                model,
                p.base_url or base_url,
                p.api_key_env,
                p.temperature,
                p.samples,
            )
        )
    if plan is not None and not strategies:  # the options only fill the plan's arms' gaps
        for option, given, field in (("--rubric", rubrics, "rubric"), ("--model", models, "model")):
            if given and (len(given) > 1 or all(getattr(p, field) for p in plan.arms)):
                raise AnnotationError(
                    f"{option} {', '.join(given)}: no plan arm uses it (one {option} fills the "
                    f"arms without `{field}:`; add --strategy for the product of the options)"
                )
    if not arms:
        raise AnnotationError("no arms: give --rubric (and --model, --strategy) or --plan")
    seen: set[str] = set()
    for arm in arms:
        if arm.name in seen:
            raise AnnotationError(f"duplicate arm name {arm.name!r}: give each arm its own name")
        seen.add(arm.name)
    return arms


def _arm(
    name: str | None,
    rubric: str,
    strategy: str,
    model: str | None,
    base_url: str | None,
    api_key_env: str,
    temperature: float | None = None,
    samples: int | None = None,
) -> Arm:
    if strategy not in STRATEGIES:
        raise AnnotationError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    rub = load(rubric)
    model = model or rub.defaults.get("model")
    if not model:
        raise AnnotationError(
            f"no model for rubric {rubric!r}: give --model (the rubric sets no defaults.model)"
        )
    return Arm(
        name or arm_name(str(rubric), strategy, model),
        str(rubric),
        strategy,
        model,
        base_url,
        api_key_env,
        temperature,
        samples,
    )


_CACHE: dict[str, Any] = {}


def load(rubric: str) -> Any:
    """The rubric (cached per path: arms share it)."""
    from edukit.rubric import load_rubric

    if rubric not in _CACHE:
        _CACHE[rubric] = load_rubric(rubric)
    return _CACHE[rubric]


def variant(rubric: Any, strategy: str) -> Any:
    """The rubric as the strategy asks it (see the module docstring); `verify` is `few-shot`."""
    from edukit.rubric.model import Rubric

    spec = rubric.spec
    shots = strategy in ("few-shot", "few-shot+reasoning", "verify")
    reasoning = strategy in ("reasoning", "few-shot+reasoning")
    labels = [label.model_copy(update={"reasoning": None}) for label in spec.labels]
    output = spec.output.model_copy(update={"reasoning": reasoning})
    new = spec.model_copy(
        update={
            "labels": labels,
            "output": output,
            "examples": list(spec.examples) if shots else [],
            "examples_file": spec.examples_file if shots else None,
        }
    )
    out = Rubric(new, list(rubric.examples) if shots else [], rubric.source)
    if shots:
        out.example_origins = list(rubric.example_origins)
    return out


def label_names(rubric: Any) -> list[str]:
    """The labels an arm's annotations carry (a single-choice rubric: its target)."""
    if rubric.task == "single":
        return [rubric.target or "label"]
    return list(rubric.labels)
