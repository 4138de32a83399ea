"""One chat completion over any OpenAI-compatible endpoint, with the structured-output ladder.

Rungs, best first: strict `json_schema`; `json_object` with the schema spelled out in the prompt;
plain text with the schema in the prompt (parsed tolerantly by the rubric). A server that refuses
a rung is asked on the next one, and what works is learned once per run (edukit.annotate.ladder)
so later requests go straight to it. The openai client never retries (max_retries=0): retries
and deadlines are the engine's (`exchange.py`), so each call is counted and recorded. Every 200
body is validated by `wire.parse_chat_body`.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from edukit.annotate.ladder import (
    RUNGS,
    Ladder,
    asks_for_completion_tokens,
    refuses_n,
)
from edukit.errors import AnnotationError
from edukit.paths import public_url, url_secrets

CHAT = "chat"  # the mode of a request with an empty schema ({}): free text, no ladder
__all__ = ["CHAT", "RUNGS", "ChatClient", "Completion", "Connection", "request_body"]

_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: not encodable as UTF-8
TIMEOUT = 120.0  # seconds per HTTP attempt, the whole call (not per read)
MAX_RETRIES = 5  # the engine's retries of one request (429, 5xx, timeouts, malformed bodies)

# no longer used (the ladder is learned per run: edukit.annotate.ladder); tests still clear it
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
    logprobs: list[tuple[str, float]] | None = None
    finish_reason: str | None = None
    estimated: bool = False  # the server reported no usage: the token counts are estimates
    choices: list[tuple[str, list[tuple[str, float]] | None]] | None = None  # every choice (n)
    calls: int = 1  # HTTP calls it took (a refused format or parameter is re-sent corrected)
    unicode_error: bool = False  # the text held lone surrogates (replaced by U+FFFD): invalid


def check_base_url(base_url: str | None) -> None:
    """Refuse a --base-url that no HTTP client can use (a typo would only fail after retries)."""
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise AnnotationError(
            f"--base-url must start with http:// or https:// (got {public_url(base_url)!r}), "
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
    # replicas of one model: (url, api key, weight) each; empty: `base_url` alone
    replicas: tuple[tuple[str, str, float], ...] = ()
    auto: bool = False  # --concurrency auto: each replica's level is found (AIMD)

    @property
    def workers(self) -> int:
        """Requests the scheduler keeps in flight at most (auto: each replica's ceiling)."""
        if not self.auto:
            return self.concurrency
        from edukit.annotate.concurrency import AUTO_MAX, MAX_WORKERS

        return min(MAX_WORKERS, AUTO_MAX * max(1, len(self.replicas)))

    def pool(self, model: str, ladder: Ladder | None = None):
        """A Router over the replicas (or over `base_url` alone) for the interactive path."""
        from edukit.annotate.replicas import ReplicaState, Router
        from edukit.annotate.secrets import Scrubber

        replicas = self.replicas or ((self.base_url, self.api_key, 1.0),)
        # for messages and the ladder: no user info (user:SECRET@), as everywhere it is shown
        endpoint = ", ".join(public_url(u) or "https://api.openai.com/v1" for u, _, _ in replicas)
        if ladder is None:
            ladder = Ladder.open(None, "", endpoint, model)
        states = []
        for url, key, weight in replicas:
            chat = ChatClient(
                model,
                base_url=url,
                api_key=key,
                timeout=self.timeout,
                http_client=self.http_client,
                ladder=ladder,
            )
            states.append(ReplicaState(url or chat.endpoint, chat, weight, self.limiter()))
        scrubbers = [Scrubber(k) for k in {key for _, key, _ in replicas}]
        return Router(states, ladder, scrubbers, endpoint)

    def limiter(self):
        """A new concurrency controller for one replica (None: the workers bound it)."""
        if not self.auto:
            return None
        from edukit.annotate.concurrency import Aimd

        return Aimd()

    def client(self, model: str, ladder: Ladder | None = None) -> ChatClient:
        """A new ChatClient for `model` at this endpoint (close it when done).

        `ladder` carries what the run already learned about the endpoint (and remembers more).
        """
        return ChatClient(
            model,
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout,
            http_client=self.http_client,
            ladder=ladder,
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
        ladder: Ladder | None = None,
    ) -> None:
        from openai import AsyncOpenAI

        from edukit.annotate.secrets import Scrubber

        self.model = model
        # for messages: without user info (http://user:SECRET@host/v1 is used, never shown)
        self.endpoint = public_url(base_url) or "https://api.openai.com/v1"
        self._scrubber = Scrubber(api_key, url_secrets(base_url))
        kwargs: dict[str, Any] = {}
        if http_client is not None:
            kwargs["http_client"] = http_client
        self.openai = AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, **kwargs
        )
        self.ladder = ladder if ladder is not None else Ladder.open(None, "", self.endpoint, model)

    @property
    def rung(self) -> str:
        """The best structured-output rung known to work at this endpoint and model."""
        return self.ladder.mode

    def scrub(self, text: str) -> str:
        """Remove the API key and credential header values from text before it is kept (and
        lone surrogates, which no UTF-8 store can hold: a server's error message may have them)."""
        return _SURROGATE.sub("\ufffd", self._scrubber(text))

    async def close(self) -> None:
        """Close the underlying HTTP connections."""
        await self.openai.close()

    async def complete(
        self,
        messages: list[dict[str, Any]],
        schema_name: str,
        schema: dict[str, Any],
        params: dict[str, Any],
        n: int = 1,
        *,
        retried_5xx: bool = False,
    ) -> Completion:
        """Send one request on the best known rung; learn the endpoint's quirks on the way.

        A refused token parameter or `n` is corrected and the request re-sent; a refused
        response format steps down the ladder (see edukit.annotate.ladder). Every other error
        is raised as it came.
        """
        import openai

        if not schema:  # free text (a tutor's or a simulated student's turn): no ladder
            return await self._send(CHAT, messages, schema_name, schema, params, n)
        ladder = self.ladder
        index = ladder.rung
        # a transient 5xx must not cost the run its format: the engine retries the same rung
        # first (`retried_5xx` says this call is such a retry; a second 5xx probes lower rungs)
        calls = 0
        while True:
            mode = RUNGS[index]
            want_n = n if ladder.n_ok else 1
            calls += 1
            try:
                completion = await self._send(mode, messages, schema_name, schema, params, want_n)
                completion.calls = calls
                return completion
            except openai.APIStatusError as exc:
                message, param = _error_details(exc)
                status = exc.status_code
                if status in (401, 403, 404, 408, 409, 429):
                    raise
                if (
                    status == 400
                    and ladder.token_param == "max_tokens"
                    and "max_tokens" in params
                    and asks_for_completion_tokens(message)
                ):
                    ladder.learn(
                        "token_param",
                        "max_completion_tokens",
                        f"{self.model} refuses max_tokens ({self.scrub(message)}); sending "
                        "max_completion_tokens for this run",
                    )
                    continue
                if status == 400 and want_n > 1 and refuses_n(message, param):
                    ladder.learn(
                        "n",
                        "no",
                        f"the server refused n={want_n} ({self.scrub(message)}); sending one "
                        "request per sample for this run",
                    )
                    continue
                if mode == RUNGS[-1] or (param not in (None, "response_format") and status < 500):
                    raise  # nothing left to step down to, or a parameter other than the format
                if status >= 500 and not retried_5xx:
                    raise  # the engine retries it (with backoff), on the same rung
                lower = await self._probe(index + 1, messages, schema_name, schema, params, exc)
                if lower is None:
                    raise  # the next rung fails the same way: not the format's fault
                found, completion = lower
                completion.calls = calls + found - index
                if index >= ladder.rung:
                    ladder.learn(
                        "rung",
                        RUNGS[found],
                        f"the server refused response_format {mode} ({status}: "
                        f"{self.scrub(message)}); using {RUNGS[found]} for this run",
                    )
                return completion

    async def _probe(self, start, messages, schema_name, schema, params, first):
        """(rung, completion) from the first lower rung that answers; None when one repeats
        the first error (same status and message), which is then not about the format."""
        import openai

        first_msg, _ = _error_details(first)
        for index in range(start, len(RUNGS)):
            try:
                completion = await self._send(
                    RUNGS[index], messages, schema_name, schema, params, 1
                )
            except openai.APIStatusError as exc:
                msg, _ = _error_details(exc)
                if (exc.status_code, msg) == (first.status_code, first_msg):
                    return None
                if index == len(RUNGS) - 1:
                    raise
                continue
            return index, completion
        return None

    async def _send(self, mode, messages, schema_name, schema, params, n=1) -> Completion:
        from edukit.annotate.wire import parse_chat_body

        body = request_body(mode, messages, schema_name, schema, params)
        if self.ladder.token_param != "max_tokens" and "max_tokens" in body:
            body[self.ladder.token_param] = body.pop("max_tokens")
        if n > 1:
            body["n"] = n
        sent_messages = body["messages"]
        began = time.perf_counter()
        # The body is plain JSON already: it is posted as it is (the SDK's documented way to
        # send a custom request), sparing `create`'s walk of typed arguments and its response
        # wrappers, which cost more CPU than everything else edukit does for a response. Auth,
        # base URL, timeouts and status errors stay the SDK's; only the API key goes as auth,
        # as with `create` (SDKs without `security` ignore it).
        raw = await self.openai.post(
            "/chat/completions",
            cast_to=bytes,
            body={"model": self.model, **body},
            options={"security": {"bearer_auth": True}},
        )
        # JSON is UTF-8 (RFC 8259); bytes that are not become U+FFFD (as httpx's `.text` did)
        resp = parse_chat_body(self.scrub(raw.decode("utf-8", "replace")))
        latency = time.perf_counter() - began
        if n > 1 and len(resp.choices) < n and self.ladder.n_ok:
            self.ladder.learn(
                "n",
                "no",
                f"the server ignored n={n} (answered {len(resp.choices)}); sending one request "
                "per sample for this run",
            )
        choices = []
        for choice in resp.choices:
            logprobs = None
            if choice.logprobs is not None and choice.logprobs.content:
                logprobs = [(t.token, t.logprob) for t in choice.logprobs.content]
            # reasoning_content (some servers) is never the answer: only `content` is read
            choices.append((choice.message.content or "", logprobs, choice.finish_reason))
        # JSON may escape lone surrogates (\ud800) that no UTF-8 file or request can hold: such
        # text is replaced (U+FFFD) so it can be stored and re-asked, and the answer is invalid
        unicode_error = any(_SURROGATE.search(text) for text, _, _ in choices)
        if unicode_error:
            choices = [
                (
                    _SURROGATE.sub("\ufffd", text),
                    None if lp is None else [(_SURROGATE.sub("\ufffd", t), v) for t, v in lp],
                    finish,
                )
                for text, lp, finish in choices
            ]
        usage = resp.usage  # None when missing, or unusable (strings, absurd numbers)
        estimated = usage is None
        if estimated:
            # unknown usage is unknown, not zero: estimate it from the text sent and received
            from edukit.annotate.cost import estimate_tokens

            tin = estimate_tokens(sent_messages)
            tout = sum(estimate_tokens(text) for text, _, _ in choices)
        else:
            tin, tout = usage.prompt_tokens, usage.completion_tokens
        text, logprobs, finish = choices[0]
        return Completion(
            text=text,
            mode=mode,
            input_tokens=tin,
            output_tokens=tout,
            latency=latency,
            logprobs=logprobs,
            finish_reason=finish,
            estimated=estimated,
            choices=[(t, lp) for t, lp, _ in choices],
            unicode_error=unicode_error,
        )


class EmptyAnswer(ValueError):
    """A 200 response without choices."""


def _error_details(exc: Any) -> tuple[str, Any]:
    """(message, param) of an API error body (OpenAI's shape, or llama.cpp's)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        msg = inner.get("message")
        return (msg if isinstance(msg, str) else str(exc)), inner.get("param")
    return str(exc), None


def request_body(
    mode: str,
    messages: list[dict[str, Any]],
    schema_name: str,
    schema: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """The chat completion body (without `model`) for one rung of the ladder (or plain chat)."""
    from edukit.annotate.identity import NOT_SENT

    body: dict[str, Any] = {k: v for k, v in params.items() if k not in NOT_SENT}
    if mode == CHAT:
        pass  # plain chat: no response_format, the messages as they are
    elif mode == "json_schema":
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
