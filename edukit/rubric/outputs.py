"""The answer side of a request: its JSON Schema, its validator, and tolerant text parsing."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError, create_model


class InvalidOutput(ValueError):
    """A model answer that does not fit the request's schema; the message can be sent back."""


def answer_schema(fields: dict[str, list[str] | None], reasoning: bool) -> dict[str, Any]:
    """Strict JSON Schema: `reasoning` first if asked, then each field (None → boolean)."""
    props: dict[str, Any] = {}
    if reasoning:
        props["reasoning"] = {"type": "string"}
    for name, enum in fields.items():
        props[name] = {"type": "boolean"} if enum is None else {"type": "string", "enum": enum}
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


def answer_fields(schema: dict[str, Any]) -> dict[str, list[str] | None]:
    """The decision fields of a schema built by `answer_schema` (reasoning left out)."""
    return {
        name: prop.get("enum") for name, prop in schema["properties"].items() if name != "reasoning"
    }


@lru_cache(maxsize=256)
def _model(fields: tuple[tuple[str, tuple | None], ...]) -> type[BaseModel]:
    # One validator per distinct answer shape (field names and their enums), built once.
    spec: dict[str, Any] = {}
    for name, enum in fields:
        if name == "reasoning":
            spec[name] = (StrictStr, ...)
        elif enum is not None:
            spec[name] = (Literal[enum], ...)
        else:
            spec[name] = (StrictBool, ...)
    return create_model("Answer", __config__=ConfigDict(extra="forbid", strict=True), **spec)


def _shape(schema: dict[str, Any]) -> tuple[tuple[str, tuple | None], ...]:
    """What the validator depends on, hashable and cheaper than the schema's JSON (every
    answer is validated, twice per response)."""
    return tuple(
        sorted(
            (name, tuple(prop["enum"]) if "enum" in prop else None)
            for name, prop in schema["properties"].items()
        )
    )


def validate_answer(schema: dict[str, Any], obj: Any) -> dict[str, Any]:
    """The answer as a dict if it fits `schema`, else InvalidOutput with a short reason."""
    if not isinstance(obj, dict):
        raise InvalidOutput(f"the answer must be a JSON object, got {type(obj).__name__}")
    model = _model(_shape(schema))
    try:
        return model.model_validate(obj).model_dump()
    except ValidationError as exc:
        raise InvalidOutput(_explain(exc, schema)) from None


def _explain(exc: ValidationError, schema: dict[str, Any]) -> str:
    reasons = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "answer"
        prop = schema["properties"].get(err["loc"][0] if err["loc"] else "", {})
        if err["type"] == "extra_forbidden":
            reasons.append(f"unexpected key {key!r}")
        elif err["type"] == "missing":
            reasons.append(f"missing key {key!r}")
        elif "enum" in prop:
            allowed = ", ".join(prop["enum"])
            reasons.append(f"{key} must be one of {allowed}; got {err['input']!r}")
        elif prop.get("type") == "boolean":
            reasons.append(f"{key} must be true or false; got {err['input']!r}")
        else:
            reasons.append(f"{key} must be a string")
    keys = ", ".join(schema["properties"])
    return "; ".join(reasons) + f" (answer with a JSON object with keys: {keys})"


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_FINAL = re.compile(r"(?:^|\n)\s*(?:label|answer)\s*:\s*([^\n]+)\s*$", re.I)
_TRIM = " \t\r\n.!\"'`*_()[]"


def parse_text(schema: dict[str, Any], text: str) -> Any:
    """Parse a plain-text answer for servers without JSON mode (see Rubric.parse_text)."""
    stripped = text.strip()
    for candidate in (stripped, *_FENCE.findall(stripped)):
        try:
            obj = json.loads(candidate.strip())
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    found = _first_object(stripped, set(schema["properties"]))
    if found is not None:
        return found
    fields = answer_fields(schema)
    if len(fields) == 1:
        (name, enum), reasoning = next(iter(fields.items())), "reasoning" in schema["properties"]
        value = _one_value(stripped, enum)
        if value is not None and not reasoning:
            return {name: value}
        # "…explanation…\nLabel: true", the shape SIGHT's reasoning prompts ask for.
        final = _FINAL.search(stripped)
        if final is not None:
            value = _one_value(final.group(1), enum)
            if value is not None:
                before = stripped[: final.start()].strip()
                return {"reasoning": before, name: value} if reasoning else {name: value}
    keys = ", ".join(schema["properties"])
    raise InvalidOutput(f"could not find an answer; reply with a JSON object with keys: {keys}")


def _first_object(text: str, keys: set[str]) -> dict | None:
    decoder = json.JSONDecoder()
    first = None
    for match in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(obj, dict):
            if keys & set(obj):
                return obj
            first = first if first is not None else obj
    return first


def _one_value(text: str, enum: list[str] | None) -> bool | str | None:
    word = text.strip(_TRIM).casefold()
    if enum is None:
        return {"true": True, "false": False}.get(word)
    matches = [v for v in enum if v.casefold() == word]
    return matches[0] if matches else None
