"""One request's exchange with the endpoint: attempts, re-asks, and reading the answer.

`Exchange.ask` sends one request through a `ChatClient` (which walks the structured-output
ladder), parses and validates the answer, re-asks when it cannot be used, and returns an
`Outcome`: the response row for the run store and the decoded decisions. It writes nothing;
the caller records the outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from edukit.errors import AnnotationError
from edukit.prompt import PromptRequest

REASK = (
    "Your answer could not be used: {error}\n"
    "Answer again with only a JSON object that follows the required schema."
)


@dataclass
class Outcome:
    """What one request ended with: `entry` (key, decisions, confidences) or None, and the row."""

    entry: Any
    response: dict[str, Any]


def server_message(exc: Any) -> str:
    """The message of an API error's body, else the exception's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(exc)


class Exchange:
    """Asks requests of one endpoint; remembers whether it has ever answered (fail fast)."""

    max_unreachable = 16  # connection failures in a row (after the retries) that stop a run

    def __init__(self, rubric: Any, max_reasks: int, stats, budget) -> None:
        self.rubric = rubric
        self.max_reasks = max_reasks
        self.stats = stats
        self.budget = budget
        self._reached = False  # the endpoint has answered at least once in this call
        self._unreachable = 0  # connection failures in a row

    def parse(self, req: PromptRequest, text: str) -> Any:
        """The answer's JSON object (tolerantly from text; raises ValueError when none)."""
        try:
            return json.loads(text)
        except ValueError:
            return self.rubric.parse_text(req, text)  # tolerant; raises InvalidOutput

    async def ask(self, client, req: PromptRequest, key: str) -> Outcome:
        """One request with its re-asks."""
        import openai

        from edukit.annotate.aggregate import label_confidence

        messages = list(req.messages)
        tin = tout = attempts = 0
        errors: list[str] = []
        latency = 0.0
        completion = None
        for _ in range(self.max_reasks + 1):
            try:
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
            except openai.APIConnectionError as exc:
                # after the client's own retries: an endpoint that never answered, or stopped
                # answering, would fail every request the same way after long backoffs
                self._unreachable += 1
                if not self._reached or self._unreachable >= self.max_unreachable:
                    raise AnnotationError(
                        f"cannot reach the endpoint ({client.scrub(str(exc))}); check --base-url "
                        "and that the server is running. Everything finished is saved; re-run "
                        "the same command to resume",
                        path=client.endpoint,
                    ) from None
                errors.append(client.scrub(f"{type(exc).__name__}: {exc}"))
                return self._api_error(completion, tin, tout, latency, attempts, errors)
            except openai.APIError as exc:
                self._reached = True  # the server answered, with an error status
                self._unreachable = 0
                errors.append(client.scrub(f"{type(exc).__name__}: {exc}"))
                return self._api_error(completion, tin, tout, latency, attempts, errors)
            self._reached = True
            self._unreachable = 0
            attempts += 1
            self.stats.sent += 1
            tin += completion.input_tokens
            tout += completion.output_tokens
            latency += completion.latency
            self.budget.add_usage(completion.input_tokens, completion.output_tokens)
            try:
                obj = self.parse(req, completion.text)
                decisions = self.rubric.decode(req, obj)
            except ValueError as exc:  # InvalidOutput, or JSON that does not parse
                errors.append(client.scrub(str(exc)))
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text},
                    {"role": "user", "content": REASK.format(error=exc)},
                ]
                continue
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
                    "attempts": attempts,
                    "errors": errors,
                    "logprob": conf or None,
                },
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
                "attempts": attempts,
                "errors": errors,
            },
        )

    def _api_error(self, completion, tin, tout, latency, attempts, errors) -> Outcome:
        """An attempt that failed at the HTTP level: retried by the next run, usage kept."""
        self.stats.sent += 1
        self.stats.errors += 1
        return Outcome(
            None,
            {
                "status": "api_error",
                "raw": completion.text if completion else None,
                "input_tokens": tin,
                "output_tokens": tout,
                "latency": latency,
                "attempts": attempts + 1,
                "errors": errors,
            },
        )
