"""One chat completion over any OpenAI-compatible endpoint, with the structured-output ladder.

Rungs, best first: strict `json_schema`; `json_object` with the schema spelled out in the prompt;
plain text with the schema in the prompt (parsed tolerantly by the rubric). A server that rejects
a rung with 400/422 is asked on the next one, and the rung that works is remembered per endpoint
so later requests go straight to it. The openai client makes exactly one HTTP call per
`complete` rung (max_retries=0): retries and deadlines are the engine's (`exchange.py`), so each
call is counted and recorded. Every 200 body is validated by `wire.parse_chat_body`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from edukit.errors import AnnotationError

RUNGS = ("json_schema", "json_object", "text")
TIMEOUT = 120.0  # seconds per HTTP attempt, the whole call (not per read)
MAX_RETRIES = 5  # the engine's retries of one request (429, 5xx, timeouts, malformed bodies)

# endpoint (base URL) -> index of the best rung known to work there; shared within a process.
_LADDER: dict[str, int] = {}

SCHEMA_INSTRUCTION = (
    "Answer with one JSON object (no other text) that validates against this JSON Schema:\n"
    "```json\n{schema}\n```"
)


@dataclass
class Completion:
    """What came back from one successful HTTP call."""

    text: str
    mode: str
    input_tokens: int
    output_tokens: int
    latency: float
    usage_known: bool = True
    logprobs: list[tuple[str, float]] | None = None
    finish_reason: str | None = None


def check_base_url(base_url: str | None) -> None:
    """Refuse a --base-url that no HTTP client can use (a typo would only fail after retries)."""
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise AnnotationError(
            f"--base-url must start with http:// or https:// (got {base_url!r}), "
            "for example http://localhost:8000/v1"
        )


@dataclass(frozen=True)
class Connection:
    """How to reach an endpoint and how hard to push it (interactive and batch paths)."""

    base_url: str | None
    api_key: str
    timeout: float = TIMEOUT
    max_retries: int = MAX_RETRIES
    concurrency: int = 8
    rpm: float | None = None
    tpm: float | None = None
    http_client: Any = None

    def client(self, model: str) -> ChatClient:
        """A new ChatClient for `model` at this endpoint (close it when done)."""
        return ChatClient(
            model,
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout,
            http_client=self.http_client,
        )


def resolve_api_key(api_key_env: str, base_url: str | None) -> str:
    """The key from the named environment variable (never logged or stored)."""
    from edukit.annotate.secrets import valid_env_name

    if not valid_env_name(api_key_env):
        # it may be the key itself, pasted where the variable's name belongs: never echo it
        raise AnnotationError(
            "--api-key-env takes the NAME of an environment variable (letters, digits and _, "
            "such as OPENAI_API_KEY), not the key itself; the value given is not a valid name "
            "and is not shown"
        )
    key = os.environ.get(api_key_env)
    if key:
        return key
    if not api_key_env.isupper():
        # unset and unlike a variable name (OPENAI_API_KEY): perhaps a key; do not echo it
        raise AnnotationError(
            "the environment variable named by --api-key-env is not set (its name is not shown "
            "in case it is a key: put the key in a variable and give the variable's name)"
        )
    if base_url is None:
        raise AnnotationError(
            f"no API key: set the environment variable {api_key_env} (or name another one with "
            "--api-key-env, or point --base-url at a local server)"
        )
    return "not-needed"  # local servers (vLLM, Ollama, llama.cpp) accept any key


class ChatClient:
    """AsyncOpenAI wrapper: `await complete(messages, schema_name, schema, params)`."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str,
        timeout: float = TIMEOUT,
        http_client: Any = None,
    ) -> None:
        from openai import AsyncOpenAI

        self.model = model
        self.endpoint = base_url or "https://api.openai.com/v1"  # as given, for messages
        from edukit.annotate.secrets import Scrubber

        self._scrubber = Scrubber(api_key)
        kwargs: dict[str, Any] = {}
        if http_client is not None:
            kwargs["http_client"] = http_client
        self.openai = AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, **kwargs
        )

    @property
    def rung(self) -> str:
        """The best structured-output rung known to work at this endpoint."""
        return RUNGS[_LADDER.get(self.endpoint, 0)]

    def scrub(self, text: str) -> str:
        """Remove the API key and credential header values from text before it is kept."""
        return self._scrubber(text)

    async def close(self) -> None:
        """Close the underlying HTTP connections."""
        await self.openai.close()

    async def complete(
        self,
        messages: list[dict[str, Any]],
        schema_name: str,
        schema: dict[str, Any],
        params: dict[str, Any],
    ) -> Completion:
        """Send one request on the best known rung, stepping down the ladder on a 400/422."""
        import openai

        start = _LADDER.get(self.endpoint, 0)
        for index in range(start, len(RUNGS)):
            mode = RUNGS[index]
            try:
                completion = await self._send(mode, messages, schema_name, schema, params)
            except (openai.BadRequestError, openai.UnprocessableEntityError):
                if mode == RUNGS[-1]:
                    raise
                continue  # this server does not take this response_format: try the next rung
            if index != start:
                _LADDER[self.endpoint] = index
            return completion
        raise AssertionError("unreachable")

    async def _send(self, mode, messages, schema_name, schema, params) -> Completion:
        from edukit.annotate.wire import parse_chat_body

        body = request_body(mode, messages, schema_name, schema, params)
        began = time.perf_counter()
        # The body is plain JSON already: it goes as `extra_body` (which replaces the typed
        # arguments' JSON), sparing the SDK's per-call walk of messages and schema, which costs
        # more CPU than everything else edukit does for a response.
        raw = await self.openai.chat.completions.with_raw_response.create(
            model=self.model, messages=[], extra_body=body
        )
        resp = parse_chat_body(self.scrub(raw.text))
        latency = time.perf_counter() - began
        choice = resp.choices[0]
        usage = resp.usage
        logprobs = None
        if choice.logprobs is not None and choice.logprobs.content:
            logprobs = [(t.token, t.logprob) for t in choice.logprobs.content]
        return Completion(
            text=choice.message.content or "",
            mode=mode,
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            latency=latency,
            usage_known=usage is not None,
            logprobs=logprobs,
            finish_reason=choice.finish_reason,
        )


def request_body(
    mode: str,
    messages: list[dict[str, Any]],
    schema_name: str,
    schema: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """The chat completion body (without `model`) for one rung of the ladder."""
    from edukit.annotate.identity import NOT_SENT

    body: dict[str, Any] = {k: v for k, v in params.items() if k not in NOT_SENT}
    if mode == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": schema, "strict": True},
        }
    else:
        messages = with_schema_instruction(messages, schema)
        if mode == "json_object":
            body["response_format"] = {"type": "json_object"}
    body["messages"] = messages
    return body


def with_schema_instruction(messages: list[dict[str, Any]], schema: dict[str, Any]) -> list:
    """The messages with the schema spelled out in the system message (for the lower rungs)."""
    note = SCHEMA_INSTRUCTION.format(schema=json.dumps(schema, indent=1, sort_keys=True))
    out = [dict(m) for m in messages]
    for m in out:
        if m.get("role") == "system" and isinstance(m.get("content"), str):
            m["content"] = f"{m['content']}\n\n{note}"
            return out
    return [{"role": "system", "content": note}, *out]
