"""The rubric file format as pydantic models (also the source of `edukit rubric schema`)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_SAMPLES = 100  # answers per request; each is a slot per request in memory and in the store
MAX_TOKENS = 1_000_000  # no model answers more; a larger value is a typo


class _Strict(BaseModel):
    # A typo in a rubric key must be an error, not a silently ignored setting; no number in a
    # rubric may be infinite or NaN (`.inf` validates as a float, then breaks every request).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Unit(_Strict):
    """Which fields of an item the prompt reads."""

    id_field: str = Field("item_id", description="Column holding the item id.")
    text_field: str = Field("text", description="Column holding the text to annotate.")
    context_fields: list[str] = Field(
        default_factory=list, description="Other columns the prompt shows (e.g. video_name)."
    )


class Subcategory(_Strict):
    """A named sub-type of a label (e.g. a teacher move's intent), shown in its definition."""

    name: str = Field(description="Sub-type name, e.g. `seek strategy`.")
    definition: str = Field(description="What the sub-type means.")


class Category(_Strict):
    """One class of a `scales` label, in the label's declared order."""

    name: str = Field(description="Class name as the long table records it.")
    definition: str = Field(description="When this class applies.")


class Label(_Strict):
    """One category of the scheme."""

    name: str = Field(pattern=_NAME, description="Long-table label (or class) name.")
    definition: str = Field(description="What the label means, in the annotator's words.")
    include: list[str] = Field(default_factory=list, description="Cases that count.")
    exclude: list[str] = Field(default_factory=list, description="Cases that do not count.")
    subcategories: list[Subcategory] = Field(
        default_factory=list, description="Named sub-types, listed under the definition."
    )
    categories: list[Category] | None = Field(
        None,
        description="scales only: this label's classes in their declared order (ordinal "
        "labels best first), so that weighted agreement can use the order.",
    )
    values: dict[bool, int] | None = Field(
        None,
        description="Binary/multi: the long-table value of each answer. Default {true: 1, "
        "false: 0}; {true: 0, false: 1} when the question is asked the other way round.",
    )
    version: str | None = Field(None, description="This label's prompt version (binary).")
    instructions: str | None = Field(None, description="Replaces the rubric instructions.")
    template: str | None = Field(None, description="Replaces the rubric template (binary).")
    reasoning: bool | None = Field(None, description="Replaces output.reasoning (binary).")


class Example(_Strict):
    """A few-shot example: the item's fields and its expected label(s)."""

    item: dict[str, Any] = Field(description="Item fields used by the template.")
    labels: list[str] | str | dict[str, str] = Field(
        description="single: the class name; binary/multi: the labels that apply (others "
        "are false); scales: each label's class."
    )
    reasoning: str | None = Field(
        None, description="The reasoning shown before the answer (needed if output.reasoning)."
    )


class Output(_Strict):
    """How the model answers."""

    reasoning: bool = Field(False, description="Ask for a reasoning string before the answer.")
    samples: int = Field(
        1, ge=1, le=MAX_SAMPLES, description="Answers per request (self-consistency), 1-100."
    )


class Defaults(_Strict):
    """Model parameters sent with each request unless the run overrides them."""

    model: str | None = Field(None, description="Model name at the endpoint.")
    temperature: float | None = Field(
        None, ge=0, le=2, allow_inf_nan=False, description="Sampling temperature, 0-2."
    )
    seed: int | None = Field(
        None,
        ge=-(2**63),
        le=2**63 - 1,
        description="Sampling seed, where the provider supports it (a 64-bit integer).",
    )
    max_tokens: int | None = Field(
        None, ge=1, le=MAX_TOKENS, description="Longest answer, in tokens (at most 1,000,000)."
    )
    timeout: float | None = Field(
        None,
        ge=1,
        le=3600,
        allow_inf_nan=False,
        description="Seconds one HTTP call may take in all (not sent to the model), at most 3600.",
    )
    logprobs: bool | None = Field(
        None,
        description="Ask for token logprobs and store the chosen label's probability as its "
        "confidence (where the server supports logprobs).",
    )


class RubricSpec(_Strict):
    """An annotation scheme: labels, examples, prompt template, output and model defaults."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$", description="Rubric name (letters, digits, _.-)."
    )
    version: str = Field(description="Version recorded on every model annotation (quote it).")
    description: str | None = Field(None, description="What the scheme is for.")
    citation: str | None = Field(None, description="The paper the categories come from.")
    task: Literal["binary", "single", "multi", "scales"] = Field(
        description="binary: one yes/no request per label; single: exactly one label per item; "
        "multi: any subset of the labels in one request; scales: one class of each label's "
        "own categories, all labels in one request."
    )
    target: str | None = Field(
        None, pattern=_NAME, description="single: long-table label name of the choice."
    )
    unit: Unit = Field(default_factory=Unit, description="Which item fields the prompt reads.")
    instructions: str | None = Field(None, description="System text placed before everything.")
    template: str | None = Field(
        None, description="Jinja2 template of the item message (sandboxed, StrictUndefined)."
    )
    labels: list[Label] = Field(min_length=1, description="The categories, in prompt order.")
    examples: list[Example] = Field(default_factory=list, description="Inline few-shot examples.")
    examples_file: str | None = Field(
        None, description="JSONL or CSV of further examples, relative to the rubric file."
    )
    output: Output = Field(default_factory=Output, description="How the model answers.")
    defaults: Defaults = Field(
        default_factory=Defaults, description="Model parameters sent with each request."
    )


def safe_identifier(text: str, limit: int = 64) -> str:
    """A schema name providers accept: letters, digits, `_` and `-`, at most `limit` long."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:limit]
