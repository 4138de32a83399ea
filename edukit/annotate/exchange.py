"""One request's exchange with the endpoint: attempts, retries, re-asks, reading the answer.

`Exchange.ask` sends one request through a `ChatClient` (which walks the structured-output
ladder), parses and validates the answer, re-asks when it cannot be used, and returns an
`Outcome`: the response row for the run store, the decoded decisions and one record per HTTP
call. It writes nothing; the caller records the outcome.

Retries are the engine's, not the openai client's (max_retries=0 there), so every HTTP call is
counted and recorded: 429 (honouring Retry-After), 408/409, 5xx, timeouts, dropped connections
and malformed 200 bodies are retried with exponential backoff and jitter, up to `max_retries`
times. Each call runs under one total deadline (`timeout` seconds for the whole call, not per
read), so a server that trickles bytes ends as a timeout.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from edukit.errors import AnnotationError
from edukit.prompt import PromptRequest

REASK = (
    "Your answer could not be used: {error}\n"
    "Answer again with only a JSON object that follows the required schema."
)


BACKOFF_BASE = 0.5  # seconds before the first retry; doubled each time, up to BACKOFF_MAX
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0  # a longer Retry-After is capped (the run would seem hung)
RETRY_STATUS = (408, 409, 429)  # and every 5xx


@dataclass
class Outcome:
    """What one request ended with: `entry` (key, decisions, confidences) or None, the row,
    and one record per HTTP call (`attempts`)."""

    entry: Any
    response: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)


def retry_delay(retry: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `retry` (0-based): the server's Retry-After when it
    gives one, else exponential backoff with jitter."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, RETRY_AFTER_MAX)
    return min(BACKOFF_MAX, BACKOFF_BASE * 2**retry) * random.uniform(0.75, 1.0)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def server_message(exc: Any) -> str:
    """The message of an API error's body, else the exception's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(exc)


class Exchange:
    """Asks requests of one endpoint; remembers whether it has ever answered (fail fast)."""

    max_unreachable = 16  # requests in a row that found no server (after retries): stop the run

    def __init__(
        self,
        rubric: Any,
        max_reasks: int,
        stats,
        budget,
        *,
        max_retries: int = 5,
        timeout: float = 120.0,
    ) -> None:
        self.rubric = rubric
        self.max_reasks = max_reasks
        self.max_retries = max_retries
        self.timeout = timeout
        self.stats = stats
        self.budget = budget
        self._reached = False  # the endpoint has answered at least once in this call
        self._unreachable = 0  # requests in a row that found no server

    def parse(self, req: PromptRequest, text: str) -> Any:
        """The answer's JSON object (tolerantly from text; raises ValueError when none)."""
        try:
            return json.loads(text)
        except ValueError:
            return self.rubric.parse_text(req, text)  # tolerant; raises InvalidOutput

    async def call(self, client, messages, req: PromptRequest, log: list[dict[str, Any]]):
        """One completion with the engine's retries: a Completion, or the last error's text
        (an api_error). Every HTTP call is appended to `log` and counted in `stats.sent`."""
        import openai

        from edukit.annotate.wire import MalformedResponse

        error = ""
        record: dict[str, Any] = {}
        for retry in range(self.max_retries + 1):
            give_up = False
            began = time.time()
            record = {"started": began, "status": "api_error", "input_tokens": 0}
            record["output_tokens"] = 0
            self.stats.sent += 1
            retry_after = None
            try:
                async with asyncio.timeout(self.timeout):
                    completion = await client.complete(
                        messages, req.schema_name, req.schema, req.params
                    )
            except (
                openai.AuthenticationError,
                openai.PermissionDeniedError,
                openai.NotFoundError,
            ) as exc:
                # Every request would fail the same way: stop the run (what is done is saved).
                what = {
                    401: "refused the API key",
                    403: "denied access",
                    404: "has no such model or path (check --model and --base-url)",
                }
                raise AnnotationError(
                    f"the endpoint {what.get(exc.status_code, 'refused the request')} "
                    f"({exc.status_code}): {client.scrub(server_message(exc))}",
                    path=client.endpoint,
                ) from None
            except (TimeoutError, openai.APITimeoutError):
                self._reached = True  # a server that accepted the call but was too slow
                error = f"timeout: no complete answer within {self.timeout:g} s"
                record["http_status"] = None
            except openai.APIConnectionError as exc:
                error = client.scrub(f"{type(exc).__name__}: {exc}")
                record["http_status"] = None
                give_up = not self._reached and retry >= 1  # never answered: no long backoff
            except MalformedResponse as exc:
                self._reached = True
                error = f"malformed answer: {exc.reason}"
                record["http_status"] = 200
            except openai.APIStatusError as exc:
                self._reached = True
                error = client.scrub(f"{type(exc).__name__}: {exc}")
                record["http_status"] = exc.status_code
                retry_after = _retry_after(exc)
                if exc.status_code not in RETRY_STATUS and exc.status_code < 500:
                    record.update(latency=time.time() - began, error=error)
                    log.append(record)
                    return error  # a request the server will not take (after the ladder)
            else:
                self._reached = True
                self._unreachable = 0
                record.update(
                    status="answered",
                    http_status=200,
                    latency=completion.latency,
                    input_tokens=completion.input_tokens,
                    output_tokens=completion.output_tokens,
                )
                if not completion.usage_known:
                    record["error"] = "usage unknown"
                log.append(record)
                return completion
            record.update(latency=time.time() - began, error=error)
            log.append(record)
            if give_up:
                break
            if retry < self.max_retries:
                await asyncio.sleep(retry_delay(retry, retry_after))
        if record.get("http_status") is None and not error.startswith("timeout"):
            # the retries found no server: an endpoint that never answered, or stopped
            # answering, would fail every request the same way
            self._unreachable += 1
            if not self._reached or self._unreachable >= self.max_unreachable:
                raise AnnotationError(
                    f"cannot reach the endpoint ({error}); check --base-url and that the server "
                    "is running. Everything finished is saved; re-run the same command to resume",
                    path=client.endpoint,
                )
        return error

    async def ask(self, client, req: PromptRequest, key: str) -> Outcome:
        """One request with its retries and re-asks."""
        from edukit.annotate.aggregate import label_confidence

        messages = list(req.messages)
        tin = tout = 0
        errors: list[str] = []
        log: list[dict[str, Any]] = []
        latency = 0.0
        completion = None
        for _ in range(self.max_reasks + 1):
            result = await self.call(client, messages, req, log)
            if isinstance(result, str):
                errors.append(result)
                self.stats.errors += 1
                return Outcome(
                    None,
                    {
                        "status": "api_error",
                        "raw": completion.text if completion else None,
                        "input_tokens": tin,
                        "output_tokens": tout,
                        "latency": latency,
                        "attempts": len(log),
                        "errors": errors,
                    },
                    log,
                )
            completion = result
            tin += completion.input_tokens
            tout += completion.output_tokens
            latency += completion.latency
            self.budget.add_usage(completion.input_tokens, completion.output_tokens)
            try:
                obj = self.parse(req, completion.text)
                decisions = self.rubric.decode(req, obj)
            except ValueError as exc:  # InvalidOutput, or JSON that does not parse
                errors.append(client.scrub(str(exc)))
                log[-1]["status"] = "invalid"
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text},
                    {"role": "user", "content": REASK.format(error=exc)},
                ]
                continue
            log[-1]["status"] = "ok"
            conf = label_confidence(completion.text, decisions, completion.logprobs)
            return Outcome(
                (key, decisions, conf),
                {
                    "status": "ok",
                    "raw": completion.text,
                    "parsed": obj,
                    "mode": completion.mode,
                    "input_tokens": tin,
                    "output_tokens": tout,
                    "latency": latency,
                    "attempts": len(log),
                    "errors": errors,
                    "logprob": conf or None,
                },
                log,
            )
        self.stats.invalid += 1
        return Outcome(
            None,
            {
                "status": "invalid",
                "raw": completion.text if completion else None,
                "mode": completion.mode if completion else None,
                "input_tokens": tin,
                "output_tokens": tout,
                "latency": latency,
                "attempts": len(log),
                "errors": errors,
            },
            log,
        )
