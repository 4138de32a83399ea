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
import random
import time
from dataclasses import dataclass, field
from typing import Any

from edukit.annotate.extract import extract_answer, obtained_mode
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
    extra: list = field(default_factory=list)  # (choice index, decisions, response, conf)


def retry_delay(retry: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `retry` (0-based): the server's Retry-After when it
    gives one, else exponential backoff with jitter."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, RETRY_AFTER_MAX)
    return min(BACKOFF_MAX, BACKOFF_BASE * 2**retry) * random.uniform(0.75, 1.0)


def _retry_after(exc: Any) -> float | None:
    """The server's Retry-After (or retry-after-ms) in seconds, when it sent one."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = response.headers.get(header)
        try:
            if value is not None:
                return float(value) / scale
        except ValueError:
            continue
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
    max_same_failures = 5  # identical API errors in a row (after retries) that stop a run

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
        self._same: tuple[str, int] = ("", 0)  # the last API error and how often in a row
        self.notes: list[str] = []  # what the user should know about the server, said once
        self.estimated = 0  # responses whose usage the server did not report

    def note(self, text: str) -> None:
        """Say something about the server once per call."""
        if text not in self.notes:
            self.notes.append(text)

    def parse(self, req: PromptRequest, text: str) -> Any:
        """The answer's JSON object (tolerantly from text; raises ValueError when none)."""
        return extract_answer(text, req.schema).obj

    def read(self, req: PromptRequest, text: str, mode: str):
        """(object, decisions, mode obtained) of one answer; ValueError when it is unusable."""
        found = extract_answer(text, req.schema)
        decisions = self.rubric.decode(req, found.obj)
        obtained = obtained_mode(mode, found.how)  # prose: the format was ignored
        return found.obj, decisions, obtained

    def _check_format_obeyed(self, client, completion) -> None:
        """A server that answers a JSON mode with prose ignores `response_format`
        (`transformers serve`): from now on the run asks in plain text with the schema spelled
        out in the prompt, so the model knows what to answer (learned once, in the run store)."""
        from edukit.annotate.extract import strip_think
        from edukit.annotate.ladder import RUNGS

        ladder = getattr(client, "ladder", None)
        if ladder is None or completion.mode == "text" or completion.finish_reason == "length":
            return
        try:
            answer = strip_think(completion.text).lstrip()
        except ValueError:
            return  # cut off inside a think block: nothing to say about the format
        if answer.startswith(("{", "[")):
            return  # JSON, even if broken (a re-ask fixes that): the format was obeyed
        if ladder.rung < RUNGS.index("text"):
            ladder.learn(
                "rung",
                "text",
                f"the server ignored response_format {completion.mode} (it answered prose); "
                "asking in plain text with the schema in the prompt for this run, answers "
                "recorded with mode text",
            )

    def _fail_fast(self, client, exc) -> None:
        """Stop the run when every request fails the same way (the server's reason shown)."""
        status = getattr(exc, "status_code", None)
        what = f"{status}: {client.scrub(server_message(exc))}" if status else str(exc)
        last, count = self._same
        self._same = (what, count + 1 if what == last else 1)
        if self._same[1] >= self.max_same_failures:
            raise AnnotationError(
                f"the endpoint failed {self._same[1]} requests in a row the same way ({what}); "
                "stopping. Everything finished is saved; fix the cause and re-run the same "
                "command to resume",
                path=client.endpoint,
            )

    async def _complete(self, client, messages, req: PromptRequest, n, last_5xx, record):
        """One HTTP call under the deadline; through a replica when `client` is a Router (the
        wait for a free replica is not part of the deadline)."""
        route = getattr(client, "route", None)
        if route is None:
            async with asyncio.timeout(self.timeout):
                return await client.complete(
                    messages, req.schema_name, req.schema, req.params, n, retried_5xx=last_5xx
                )
        from edukit.annotate.replicas import REPLICA

        try:
            async with route() as chat:
                record["started"] = time.time()
                async with asyncio.timeout(self.timeout):
                    return await chat.complete(
                        messages, req.schema_name, req.schema, req.params, n, retried_5xx=last_5xx
                    )
        finally:
            record["endpoint"] = REPLICA.get()

    @staticmethod
    def _failover(client, record: dict[str, Any]) -> bool:
        """Retry at once: the call found no server, and another replica is live."""
        failover = getattr(client, "failover", None)
        if record.get("http_status") is not None or record.get("error", "").startswith("timeout"):
            return False
        return failover is not None and failover()

    async def call(
        self, client, messages, req: PromptRequest, log: list[dict[str, Any]], n: int = 1
    ):
        """One completion with the engine's retries: a Completion, or the last error's text
        (an api_error). Every HTTP call is appended to `log` and counted in `stats.sent`."""
        import openai

        from edukit.annotate.wire import MalformedResponse

        error = ""
        record: dict[str, Any] = {}
        last_5xx = False  # the previous call of this request met a 5xx (the ladder probes next)
        last_exc: Any = None
        for retry in range(self.max_retries + 1):
            give_up = False
            record = {"started": time.time(), "status": "api_error", "input_tokens": 0}
            record["output_tokens"] = 0
            self.stats.sent += 1
            retry_after = None
            try:
                completion = await self._complete(client, messages, req, n, last_5xx, record)
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
                last_exc = exc
            except openai.APIStatusError as exc:
                self._reached = True
                self._unreachable = 0
                error = client.scrub(f"{type(exc).__name__}: {exc}")
                record["http_status"] = exc.status_code
                retry_after = _retry_after(exc)
                last_5xx = exc.status_code >= 500
                last_exc = exc
                if exc.status_code not in RETRY_STATUS and exc.status_code < 500:
                    record.update(latency=time.time() - record["started"], error=error)
                    log.append(record)
                    self._fail_fast(client, exc)
                    return error  # a request the server will not take (after the ladder)
            else:
                self._reached = True
                self._unreachable = 0
                self._same = ("", 0)
                for _ in range(getattr(completion, "calls", 1) - 1):
                    # the ladder's own calls (a refused format or parameter, re-sent corrected)
                    self.stats.sent += 1
                    log.append({**record, "status": "refused", "http_status": 400})
                record.update(
                    status="answered",
                    http_status=200,
                    latency=completion.latency,
                    input_tokens=completion.input_tokens,
                    output_tokens=completion.output_tokens,
                )
                if completion.estimated:
                    record["error"] = "usage unknown: estimated from the text"
                log.append(record)
                return completion
            record.update(latency=time.time() - record["started"], error=error)
            log.append(record)
            if give_up:
                break
            if retry < self.max_retries and not self._failover(client, record):
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
        elif last_exc is not None:
            self._fail_fast(client, last_exc)  # retries spent: the same failure again?
        return error

    async def ask(self, client, req: PromptRequest, key: str, n: int = 1) -> Outcome:
        """One request with its retries and re-asks; with `n` > 1 the first attempt asks for n
        samples, and the valid extra ones come back in `Outcome.extra`."""
        from edukit.annotate.aggregate import label_confidence

        messages = list(req.messages)
        tin = tout = 0
        errors: list[str] = []
        log: list[dict[str, Any]] = []
        latency = 0.0
        completion = None
        extra: list = []

        def tally() -> dict[str, Any]:
            """What every outcome record reports so far: tokens, latency, attempts, errors."""
            return {
                "input_tokens": tin,
                "output_tokens": tout,
                "latency": latency,
                "attempts": len(log),
                "errors": errors,
            }

        for attempt in range(self.max_reasks + 1):
            result = await self.call(client, messages, req, log, n if attempt == 0 else 1)
            if isinstance(result, str):
                errors.append(result)
                self.stats.errors += 1
                return Outcome(
                    None,
                    {
                        "status": "api_error",
                        "raw": completion.text if completion else None,
                        **tally(),
                    },
                    log,
                    extra,
                )
            completion = result
            tin += completion.input_tokens
            tout += completion.output_tokens
            latency += completion.latency
            if completion.estimated:
                self.estimated += 1
                self.note(
                    "the server reported no token usage; tokens and cost are estimated from "
                    "the text sent and received"
                )
            self.budget.add_usage(completion.input_tokens, completion.output_tokens)
            if attempt == 0 and completion.choices and len(completion.choices) > 1:
                extra = self._extra_samples(req, key, completion)
            self._check_format_obeyed(client, completion)
            try:
                if getattr(completion, "unicode_error", False):
                    raise ValueError(
                        "the answer is not valid Unicode (it holds lone surrogates, shown here "
                        "as \ufffd)"
                    )
                obj, decisions, mode = self.read(req, completion.text, completion.mode)
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
                    "mode": mode,
                    **tally(),
                    "logprob": conf or None,
                    "usage_estimated": completion.estimated,
                },
                log,
                extra,
            )
        self.stats.invalid += 1
        return Outcome(
            None,
            {
                "status": "invalid",
                "raw": completion.text if completion else None,
                "mode": completion.mode if completion else None,
                **tally(),
            },
            log,
            extra,
        )

    def _extra_samples(self, req: PromptRequest, key: str, completion) -> list:
        """The valid answers among choices 2..n of one request (others are asked on their own)."""
        from edukit.annotate.aggregate import label_confidence

        out = []
        for index, (text, logprobs) in enumerate(completion.choices[1:], start=1):
            try:
                obj, decisions, mode = self.read(req, text, completion.mode)
            except ValueError:
                continue
            conf = label_confidence(text, decisions, logprobs)
            out.append(
                (
                    index,
                    decisions,
                    {
                        "status": "ok",
                        "raw": text,
                        "parsed": obj,
                        "mode": mode,
                        "input_tokens": 0,  # the request's usage is on the first sample
                        "output_tokens": 0,
                        "latency": 0.0,
                        "attempts": 1,
                        "errors": [
                            f"sample {index + 1} of one request with n={len(completion.choices)}"
                        ],
                        "logprob": conf or None,
                    },
                    conf,
                )
            )
        return out
