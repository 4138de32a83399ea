"""One request's exchange with the endpoint: attempts, re-asks, and reading the answer.

`Exchange.ask` sends one request through a `ChatClient` (which walks the structured-output
ladder), parses and validates the answer, re-asks when it cannot be used, and returns an
`Outcome`: the response row for the run store and the decoded decisions. It writes nothing;
the caller records the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edukit.annotate.extract import extract_answer, obtained_mode
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
    extra: list = field(default_factory=list)  # (choice index, decisions, response, conf)


def server_message(exc: Any) -> str:
    """The message of an API error's body, else the exception's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(exc)


class Exchange:
    """Asks requests of one endpoint; remembers whether it has ever answered (fail fast)."""

    max_unreachable = 16  # connection failures in a row (after the retries) that stop a run
    max_same_failures = 5  # identical API errors in a row that stop a run

    def __init__(self, rubric: Any, max_reasks: int, stats, budget) -> None:
        self.rubric = rubric
        self.max_reasks = max_reasks
        self.stats = stats
        self.budget = budget
        self._reached = False  # the endpoint has answered at least once in this call
        self._unreachable = 0  # connection failures in a row
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

    async def ask(self, client, req: PromptRequest, key: str, n: int = 1) -> Outcome:
        """One request with its re-asks; with `n` > 1 the first attempt asks for n samples,
        and the valid extra ones come back in `Outcome.extra` as (index, entry, response)."""
        import openai

        from edukit.annotate.aggregate import label_confidence

        messages = list(req.messages)
        tin = tout = attempts = 0
        errors: list[str] = []
        latency = 0.0
        completion = None
        extra: list[tuple[int, Any, dict[str, Any]]] = []
        for attempt in range(self.max_reasks + 1):
            try:
                completion = await client.complete(
                    messages, req.schema_name, req.schema, req.params, n if attempt == 0 else 1
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
                self._fail_fast(client, exc)
                return self._api_error(completion, tin, tout, latency, attempts, errors)
            except ValueError as exc:  # a 200 without any choice
                self._fail_fast(client, exc)
                errors.append(client.scrub(str(exc)))
                return self._api_error(completion, tin, tout, latency, attempts, errors)
            self._reached = True
            self._unreachable = 0
            self._same = ("", 0)
            attempts += 1
            self.stats.sent += 1
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
                obj, decisions, mode = self.read(req, completion.text, completion.mode)
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
                    "mode": mode,
                    "input_tokens": tin,
                    "output_tokens": tout,
                    "latency": latency,
                    "attempts": attempts,
                    "errors": errors,
                    "logprob": conf or None,
                    "usage_estimated": completion.estimated,
                },
                extra,
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
