"""The parts of a chat completion body that edukit reads, validated at the edge.

Every 200 body is untrusted: a gateway's HTML page, a cut-off body, `choices: []`, a JSON list
or a usage block with strings in it must become one `MalformedResponse` (an api_error that is
retried like a 5xx), never a traceback. Fields edukit does not read are ignored, so servers that
add their own (llama.cpp's `timings`, vLLM's `prompt_logprobs`) are accepted.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

MAX_TOKENS_PER_CALL = 10_000_000  # more than any context window: a larger count is absurd


class MalformedResponse(Exception):
    """A 200 answer whose body edukit cannot use; `reason` is short and safe to store."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenLogprob(_Model):
    token: str
    logprob: float


class ChoiceLogprobs(_Model):
    content: list[TokenLogprob] | None = None


class Message(_Model):
    content: str | None = None
    refusal: str | None = None


class Choice(_Model):
    message: Message
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class Usage(_Model):
    prompt_tokens: StrictInt = Field(ge=0, le=MAX_TOKENS_PER_CALL)
    completion_tokens: StrictInt = Field(ge=0, le=MAX_TOKENS_PER_CALL)


class ChatBody(_Model):
    choices: list[Choice] = Field(min_length=1)
    usage: Usage | None = None
    usage_note: str | None = None  # why the usage is unknown, when the server's is unusable


def parse_chat_body(text: str) -> ChatBody:
    """Validate a chat completion body; raise MalformedResponse with a short reason."""
    try:
        data = json.loads(text)
    except ValueError:
        snippet = " ".join(text[:60].split())
        raise MalformedResponse(
            f"the 200 answer is not JSON ({len(text)} bytes: {snippet!r})"
        ) from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"the 200 answer is a JSON {type(data).__name__}, not an object")
    usage_raw = data.pop("usage", None)
    try:
        body = ChatBody.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise MalformedResponse(f"the 200 answer has a bad {where}: {err['msg']}") from None
    if usage_raw is None:
        return body
    try:
        usage = Usage.model_validate(usage_raw)
    except ValidationError:
        # absurd or non-numeric usage is unknown usage: never added to the run's cost
        return body.model_copy(update={"usage_note": "usage unknown: the server's is not valid"})
    return body.model_copy(update={"usage": usage})


def dump_error(value: Any) -> str:
    """A short text for an unexpected value (for error messages)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
