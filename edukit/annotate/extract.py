"""The answer in a model's message: after any `<think>` block, the JSON object that fits the schema.

Reasoning models served without a reasoning parser (Ollama, LM Studio, vLLM) write
`<think>draft ...</think> answer`; the draft may itself be JSON and is never the answer. Servers
that ignore `response_format` (`transformers serve`) answer in prose around the JSON; the answer is
then the last complete JSON object in the text that validates against the schema. A server's
`reasoning_content` field is never read. The mode actually obtained is recorded per response:
the requested mode when the message was pure JSON, `text` when the answer had to be found in
prose.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from edukit.rubric.outputs import InvalidOutput, parse_text, validate_answer

_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.I)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.I)


@dataclass(frozen=True)
class Extracted:
    """The answer object and how it was found: "json" (the whole answer), "found" (in prose)."""

    obj: Any
    how: str


def strip_think(text: str) -> str:
    """The text after the last `</think>`; InvalidOutput when the answer ends inside the block."""
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        return text[closes[-1].end() :]
    if _THINK_OPEN.search(text):
        raise InvalidOutput(
            "the answer ended inside its <think> block, before any answer (raise max_tokens, "
            "or answer briefly)"
        )
    return text


def json_objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Every complete JSON object in `text` that is not inside another one, with its offset."""
    decoder = json.JSONDecoder()
    out: list[tuple[int, dict[str, Any]]] = []
    pos = 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            return out
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        if isinstance(obj, dict):
            out.append((start, obj))
        pos = end


def _fits(schema: dict[str, Any], obj: Any) -> bool:
    try:
        validate_answer(schema, obj)
    except InvalidOutput:
        return False
    return True


def extract_answer(text: str, schema: dict[str, Any]) -> Extracted:
    """The answer object in a model's message `text` (InvalidOutput when there is none).

    Order: the whole text (after any think block) as JSON when it fits the schema; else the last
    complete JSON object that fits; else the whole text as JSON even though it does not fit (so
    the re-ask names the real problem); else the rubric's tolerant plain-text reading. An object
    holding a lone surrogate (JSON's `\ud800`, no character at all) is InvalidOutput: it can be
    neither stored as UTF-8 nor trusted.
    """
    found = _extract(text, schema)
    if has_surrogate(found.obj):
        raise InvalidOutput(
            "the answer is not valid Unicode: a JSON string holds a lone surrogate (\\udXXX)"
        )
    return found


def has_surrogate(obj: Any) -> bool:
    """Whether a text, or any string in a JSON value, holds a lone surrogate."""
    if isinstance(obj, str):
        return _SURROGATE.search(obj) is not None
    if isinstance(obj, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in obj.items())
    if isinstance(obj, list):
        return any(has_surrogate(v) for v in obj)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _extract(text: str, schema: dict[str, Any]) -> Extracted:
    answer = strip_think(text).strip()
    whole: Any = None
    with contextlib.suppress(ValueError):
        whole = json.loads(answer)
    if whole is not None and _fits(schema, whole):
        return Extracted(whole, "json")
    for _, obj in reversed(json_objects(answer)):
        if _fits(schema, obj):
            return Extracted(obj, "found")
    if isinstance(whole, dict):
        return Extracted(whole, "json")
    return Extracted(parse_text(schema, answer), "found")


def obtained_mode(requested: str, how: str) -> str:
    """The structured-output mode the server actually gave: `text` when JSON was found in prose."""
    return requested if how == "json" else "text"
