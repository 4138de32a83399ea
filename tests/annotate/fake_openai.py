"""A local OpenAI-compatible server for tests and benchmarks (real sockets, real client).

It answers deterministically from the request: every enum in the answer schema is chosen by a
hash of the first user message and the property name (`expected_answer` computes the same thing,
so tests know what the model "said"). Implements POST /v1/chat/completions (json_schema,
json_object and plain-text modes, `n`, `logprobs`, usage), POST /v1/files, GET
/v1/files/{id}/content, POST /v1/batches and GET /v1/batches/{id}.

Scripted faults, consumed one per chat request (`server.faults`, or `server.fault_rules` for
requests whose item message contains a substring): "429" (with Retry-After), "500",
"hang" (longer than the client timeout, then drop), "reset" (TCP RST), "malformed" (an answer
that is not JSON), "bad_enum" (a label outside the enum), "echo_auth" (a 400 whose message
repeats the Authorization header), "bad_param" (OpenAI's 400 refusing `temperature`). Malformed
200 bodies: "not_json" (a gateway's HTML page), "cut" (JSON cut off mid-way), "empty_choices"
(`choices: []`), "json_list" (a JSON list), "usage_strings" and "usage_absurd" (a valid answer
whose usage is unusable). "echo_auth_200" (a valid answer whose text repeats the Authorization
and api-key headers), "trickle" (the answer sent one byte every `trickle_seconds`), "slow" (the
answer after `slow_seconds`). Every request is recorded (`chat_requests`, `chat_times`).
`server.reply = f` answers with `f(body)` (a message text) instead, where it is not None;
`server.context_chars = N` refuses longer prompts with llama-server's context-size 400;
`server.usage_factor = F` reports F times the usual token counts.
`vary_seed=N` makes repeated requests for the same item get different (seeded) answers, for
self-consistency tests; by default every request for an item gets the same answer.

Quirks of real servers (`quirks={...}`), each seen in public bug reports:
- "json_schema_500": HTTP 500 to any `response_format: json_schema` (llama-cpp-python's server).
- "ignore_format": `response_format` is ignored; the answer is prose with a draft JSON object
  (a different, valid answer) followed by the real one (`transformers serve`).
- "think": a reasoning model without a reasoning parser: `<think>` block holding a draft
  answer, then the real answer (Ollama, LM Studio, vLLM).
- "reasoning_content": the draft goes to `message.reasoning_content`, the answer to `content`.
- "usage_null": `"usage": null` (koboldcpp, Triton, some gateways).
- "max_tokens_rejected": a 400 with OpenAI's message when the body has `max_tokens`
  (o-series, gpt-5).
- "logprob_space": logprob tokens carry a leading space the message text does not (llama-server),
  and words are split into several tokens with different logprobs.
- "no_n": `n` is ignored (one choice whatever `n` asks).
- "ignore_format_plain": `response_format` is ignored and the model answers in words ("I cannot
  tell.") unless the prompt itself spells out the schema.
- "refuse_n": a 400 with llama-server's message to any `n` above 1 (one slot).

Run standalone for benchmarks: `python tests/annotate/fake_openai.py --port 8765 --latency-ms 200`.
"""

from __future__ import annotations

import argparse
import contextlib
import email.parser
import hashlib
import json
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SCHEMA_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
TOKEN_LOGPROB = -0.1  # every returned token gets this logprob (without "logprob_space")
QUIRKS = {
    "json_schema_500",
    "ignore_format",
    "think",
    "reasoning_content",
    "usage_null",
    "max_tokens_rejected",
    "logprob_space",
    "no_n",
    "ignore_format_plain",
    "refuse_n",
}
TEMPERATURE_MESSAGE = (
    "Unsupported value: 'temperature' does not support 0 with this model. "
    "Only the default (1) value is supported."
)
MAX_TOKENS_MESSAGE = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead."
)


def _h(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12], 16)


REASK_PREFIX = "Your answer could not be used"  # edukit's re-ask messages start so


def first_user_text(messages: list[dict[str, Any]]) -> str:
    """The item's message: the last user message that is not a re-ask (few-shots come first)."""
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            c = c if isinstance(c, str) else json.dumps(c, sort_keys=True)
            if not c.startswith(REASK_PREFIX):
                return c
    return ""


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _resolve(target, root)
    for key in ("anyOf", "oneOf", "allOf"):
        if node.get(key):
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return _resolve(options[0], root)
    return node


def _value(node: dict, root: dict, text: str, name: str, bad_enum: bool) -> Any:
    node = _resolve(node, root)
    if "enum" in node:
        if bad_enum:
            return "not-a-label" if isinstance(node["enum"][0], str) else 7
        return node["enum"][_h(text, name) % len(node["enum"])]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        props = node.get("properties", {})
        return {
            k: _value(v, root, text, f"{name}.{k}" if name else k, bad_enum)
            for k, v in props.items()
        }
    if kind == "array":
        items = _resolve(node.get("items", {}), root)
        if "enum" in items:
            chosen = [e for e in items["enum"] if _h(text, name, str(e)) % 2 == 0]
            return ["not-a-label"] if bad_enum else chosen
        return [_value(items, root, text, f"{name}[]", bad_enum)]
    if kind == "boolean":
        return "maybe" if bad_enum else _h(text, name) % 2 == 0
    if kind == "integer":
        lo = node.get("minimum", 0)
        hi = node.get("maximum", lo + 1)
        return lo + _h(text, name) % (hi - lo + 1)
    if kind == "number":
        return 0.5
    return f"Reasoning about {name or 'the item'}."


def salted(text: str, seed: int, ask: int) -> str:
    """The text whose default answer a `vary_seed` server gives to the `ask`-th request."""
    return f"{text}\x1evary:{seed}:{ask}"


def expected_answer(
    messages: list[dict[str, Any]],
    schema: dict[str, Any],
    *,
    seed: int | None = None,
    ask: int = 0,
) -> Any:
    """The object this server answers for these messages and this schema.

    With `seed` (a server made with `vary_seed=seed`): the answer to the `ask`-th request
    (0-based) for the messages' item text.
    """
    text = first_user_text(messages)
    return _value(schema, schema, text if seed is None else salted(text, seed, ask), "", False)


def _schema_from_messages(messages: list[dict[str, Any]]) -> dict | None:
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            blocks = _SCHEMA_BLOCK.findall(content)
            if blocks:
                return json.loads(blocks[-1])
    return None


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|\s+|[^\w\s]", text)


def draft_answer(schema: dict[str, Any], text: str) -> Any:
    """A valid answer that differs from the real one where it can (the "draft" of quirks)."""
    real = _value(schema, schema, text, "", False)
    for k in range(1, 50):
        other = _value(schema, schema, f"{text}\x1edraft:{k}", "", False)
        if other != real:
            return other
    return real


def split_token_logprob(i: int) -> float:
    """The logprob of the i-th piece of a word under "logprob_space" (pieces differ)."""
    return -0.05 * (i + 1)


def _logprobs(content: str, space: bool) -> list[dict[str, Any]]:
    """Token logprobs for `content`; with `space`, llama-server-like tokens.

    "logprob_space": a leading space token the message text does not have, spaces attached to
    the following word, and words longer than three characters split into three-character pieces
    whose logprobs differ (`split_token_logprob`), so a label is several tokens.
    """
    if not space:
        return [
            {"token": t, "logprob": TOKEN_LOGPROB, "bytes": None, "top_logprobs": []}
            for t in _tokens(content)
        ]
    out = [{"token": " ", "logprob": -0.01, "bytes": None, "top_logprobs": []}]
    pending = ""
    for tok in _tokens(content):
        if tok.isspace():
            pending += tok
            continue
        pieces = [tok[i : i + 3] for i in range(0, len(tok), 3)] if tok.isalnum() else [tok]
        for i, piece in enumerate(pieces):
            lp = split_token_logprob(i) if tok.isalnum() else -0.01
            out.append({"token": pending + piece, "logprob": lp, "bytes": None, "top_logprobs": []})
            pending = ""
    if pending:
        out.append({"token": pending, "logprob": -0.01, "bytes": None, "top_logprobs": []})
    return out


class FakeOpenAI:
    """The server; `start()` it, use `.base_url`, read `.chat_requests`, `stop()` it."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        api_key: str | None = None,
        json_schema: bool = True,
        json_object: bool = True,
        retry_after: str = "0.05",
        hang_seconds: float = 3.0,
        vary_seed: int | None = None,
        quirks: Any = (),
        capacity: int | None = None,
        queue_limit: int | None = None,
    ) -> None:
        unknown = set(quirks) - QUIRKS
        if unknown:
            raise ValueError(f"unknown quirks {sorted(unknown)}; known: {sorted(QUIRKS)}")
        self.quirks = set(quirks)
        self.latency = latency
        # capacity model: beyond `capacity` chat requests in flight each one takes
        # latency * in_flight / capacity (the server queues them); beyond `queue_limit` in
        # flight a request is refused at once with 503 (`refused` counts them)
        self.capacity = capacity
        self.queue_limit = queue_limit
        self.in_flight = 0
        self.peak_in_flight = 0
        self.refused = 0
        self.api_key = api_key
        self.json_schema = json_schema
        self.json_object = json_object
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        # None: the same answer every time. A seed: the k-th request with the same messages is
        # answered as if the text were `salted(text, seed, k)`, so self-consistency samples
        # differ, deterministically (`expected_answer(..., seed=, ask=k)` says what).
        self.vary_seed = vary_seed
        self.trickle_seconds = 1.0
        self.slow_seconds = 2.0
        self.asks: dict[str, int] = {}  # prompt (messages) -> chat requests for it so far
        self.chat_times: list[float] = []  # time.monotonic() at which each chat request came
        self.served_usage: list[tuple[int, int]] = []  # (prompt, completion) tokens of each 200
        self.faults: list[str] = []
        # `reply(body) -> str | None`: the message text to answer with instead (None: as usual)
        self.reply: Any = None
        # a context size: requests whose messages' JSON is longer get llama-server's 400
        self.context_chars: int | None = None
        # reported usage times this (a tokenizer that counts more tokens than chars / 4)
        self.usage_factor = 1
        self.fault_rules: list[tuple[str, list[str]]] = []
        self.batch_fail: str | None = None  # batch rows whose user text contains this fail
        self.batch_hold = False  # keep batches in_progress until released
        self.chat_requests: list[dict[str, Any]] = []  # bodies of chat requests, in order
        self.auth_seen: list[str] = []  # the Authorization header of every request
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    # lifecycle ------------------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeOpenAI:
        self.httpd = _Server(("127.0.0.1", port), _handler(self))
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    @property
    def port(self) -> int:
        assert self.httpd
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset_log(self) -> None:
        with self.lock:
            self.chat_requests.clear()
            self.chat_times.clear()
            self.served_usage.clear()
            self.log.clear()

    # answers --------------------------------------------------------------------------------
    def next_fault(self, text: str) -> str | None:
        with self.lock:
            for needle, queue in self.fault_rules:
                if needle in text and queue:
                    return queue.pop(0)
            return self.faults.pop(0) if self.faults else None

    def completion(self, body: dict[str, Any], fault: str | None = None) -> tuple[int, dict]:
        """(status, JSON body) for one chat completion request."""
        messages = body.get("messages", [])
        fmt = body.get("response_format") or {}
        kind = fmt.get("type", "text")
        q = self.quirks
        if "max_tokens_rejected" in q and "max_tokens" in body:
            err = _error(MAX_TOKENS_MESSAGE)
            err["error"].update(param="max_tokens", code="unsupported_parameter")
            return 400, err
        if self.context_chars is not None and len(json.dumps(messages)) > self.context_chars:
            size = len(json.dumps(messages)) // 4
            return 400, {
                "error": {
                    "code": 400,
                    "message": "the request exceeds the available context size, try increasing it",
                    "type": "exceed_context_size_error",
                    "n_prompt_tokens": size,
                    "n_ctx": self.context_chars // 4,
                }
            }
        if "refuse_n" in q and int(body.get("n") or 1) > 1:
            return 400, _error("Field 'n': Value must be between 1 and 1")
        if "json_schema_500" in q and kind == "json_schema":
            return 500, _error(
                "Value is not of the expected JSON format (grammar could not be built)",
                "server_error",
            )
        if kind == "json_schema" and not self.json_schema:
            return 400, _error("response_format 'json_schema' is not supported by this server")
        if kind == "json_object" and not self.json_object:
            return 400, _error("response_format 'json_object' is not supported by this server")
        if "ignore_format_plain" in q:
            kind = "text"  # response_format unread: only a schema in the prompt is seen
        schema = (
            fmt["json_schema"]["schema"] if kind == "json_schema" else None
        ) or _schema_from_messages(messages)
        text_in = first_user_text(messages)
        n = 1 if "no_n" in q else int(body.get("n") or 1)
        answers_for = [text_in] * n
        if self.vary_seed is not None:
            prompt = json.dumps(messages, sort_keys=True)  # one count per distinct prompt
            with self.lock:
                ask = self.asks.get(prompt, 0)
                self.asks[prompt] = ask + n  # each of n choices is one more ask
            answers_for = [salted(text_in, self.vary_seed, ask + i) for i in range(n)]
        choices = [self._choice(schema, kind, a, fault, body) for a in answers_for]
        own = self.reply(body) if self.reply is not None else None
        if own is not None:
            choices = [(own, None, None) for _ in choices]
        content = choices[0][0]
        prompt_tokens = len(json.dumps(messages)) // 4 * self.usage_factor
        completion_tokens = (len(content) // 4 + 1) * self.usage_factor
        return 200, {
            "id": f"chatcmpl-{_h(text_in, str(time.time_ns())):x}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": i,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": None,
                        **({"reasoning_content": reasoning} if reasoning else {}),
                    },
                    "logprobs": choice_logprobs,
                    "finish_reason": "stop",
                }
                for i, (content, reasoning, choice_logprobs) in enumerate(choices)
            ],
            "usage": None
            if "usage_null" in q
            else {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens * n,
                "total_tokens": prompt_tokens + completion_tokens * n,
            },
        }

    def _choice(self, schema, kind: str, answer_for: str, fault, body) -> tuple:
        """(content, reasoning_content, logprobs) of one choice."""
        q = self.quirks
        reasoning_content = None
        if schema is None:
            content = "I cannot tell."
        else:
            obj = _value(schema, schema, answer_for, "", fault == "bad_enum")
            content = json.dumps(obj)
            draft = json.dumps(draft_answer(schema, answer_for))
            if fault == "malformed":
                content = content[: max(1, len(content) // 2)] + " oops"
            elif "ignore_format" in q:
                content = (
                    f"Let me think. A first guess would be {draft}, but that is not right.\n"
                    f"Final answer: {content} I hope this helps."
                )
            elif kind == "text":
                content = f"Sure. Here is my answer:\n{content}\nHope this helps."
            if "think" in q:
                content = f"<think>First guess: {draft} ... not right.</think>\n{content}"
            if "reasoning_content" in q:
                reasoning_content = f"First guess: {draft} ... not right."
        choice_logprobs = None
        if body.get("logprobs"):
            choice_logprobs = {"content": _logprobs(content, "logprob_space" in q), "refusal": None}
        return content, reasoning_content, choice_logprobs

    def run_batch(self, batch: dict[str, Any]) -> None:
        """Answer every line of a batch's input file; failed rows go to the error file."""
        out, err = [], []
        for line in self.files[batch["input_file_id"]].decode().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            body = row["body"]
            fail = self.batch_fail is not None and self.batch_fail in first_user_text(
                body.get("messages", [])
            )
            status, resp = (500, _error("batch row failed")) if fail else self.completion(body)
            target = err if status != 200 else out
            target.append(
                {
                    "id": f"batch_req_{len(out) + len(err)}",
                    "custom_id": row["custom_id"],
                    "response": {"status_code": status, "request_id": "r", "body": resp},
                    "error": None if status == 200 else {"code": "server_error", "message": "x"},
                }
            )
        batch["request_counts"] = {"total": len(out) + len(err), "completed": len(out)}
        batch["request_counts"]["failed"] = len(err)
        for rows, field in ((out, "output_file_id"), (err, "error_file_id")):
            if rows:
                fid = self._new_file("".join(json.dumps(r) + "\n" for r in rows).encode())
                batch[field] = fid
        batch["status"] = "completed"
        batch["completed_at"] = int(time.time())

    def _new_file(self, data: bytes) -> str:
        with self.lock:
            fid = f"file-{len(self.files) + 1}"
            self.files[fid] = data
        return fid


def _usage(payload: dict, value: dict) -> bytes:
    return json.dumps({**payload, "usage": value}).encode()


# fault -> the 200 body sent instead of the good one (given the good one)
MALFORMED = {
    "not_json": lambda p: b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "cut": lambda p: json.dumps(p).encode()[:40],
    "empty_choices": lambda p: json.dumps({**p, "choices": []}).encode(),
    "json_list": lambda p: json.dumps([p]).encode(),
    "usage_strings": lambda p: _usage(p, {"prompt_tokens": "many", "completion_tokens": "2"}),
    "usage_absurd": lambda p: _usage(p, {"prompt_tokens": 10**15, "completion_tokens": -5}),
}


def _error(message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2048  # the capacity benchmarks open a thousand connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and dropped hangs are scripted, not failures


def _handler(server: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else every response waits ~40 ms on delayed ACKs

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, headers: dict | None = None) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            with server.lock:
                server.log.append((self.command, self.path, status))

        def _authorised(self) -> bool:
            with server.lock:
                server.auth_seen.append(self.headers.get("Authorization", ""))
            if server.api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                return True
            self._send(401, _error("bad key", "invalid_api_key"))
            return False

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            raw = self._body()
            if not self._authorised():
                return
            if self.path.endswith("/chat/completions"):
                return self._chat(json.loads(raw))
            if self.path.endswith("/files"):
                return self._upload(raw)
            if self.path.endswith("/batches"):
                body = json.loads(raw)
                bid = f"batch_{len(server.batches) + 1}"
                batch = {
                    "id": bid,
                    "object": "batch",
                    "endpoint": body["endpoint"],
                    "input_file_id": body["input_file_id"],
                    "completion_window": body["completion_window"],
                    "status": "in_progress",
                    "created_at": int(time.time()),
                }
                server.batches[bid] = batch
                return self._send(200, batch)
            self._send(404, _error(f"no route {self.path}"))

        def do_GET(self) -> None:
            if not self._authorised():
                return
            m = re.search(r"/batches/([^/?]+)$", self.path)
            if m and m.group(1) in server.batches:
                batch = server.batches[m.group(1)]
                if batch["status"] == "in_progress" and not server.batch_hold:
                    server.run_batch(batch)
                return self._send(200, batch)
            m = re.search(r"/files/([^/?]+)/content$", self.path)
            if m and m.group(1) in server.files:
                return self._send(200, server.files[m.group(1)])
            self._send(404, _error(f"no route {self.path}"))

        def _upload(self, raw: bytes) -> None:
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            msg = email.parser.BytesParser().parsebytes(head + raw)
            data, purpose, name = b"", "batch", "upload.jsonl"
            for part in msg.get_payload():
                field = part.get_param("name", header="content-disposition")
                if field == "file":
                    data = part.get_payload(decode=True)
                    name = part.get_filename() or name
                elif field == "purpose":
                    purpose = part.get_payload(decode=True).decode()
            fid = server._new_file(data)
            self._send(
                200,
                {
                    "id": fid,
                    "object": "file",
                    "bytes": len(data),
                    "created_at": int(time.time()),
                    "filename": name,
                    "purpose": purpose,
                    "status": "processed",
                },
            )

        def _chat(self, body: dict) -> None:
            with server.lock:
                server.in_flight += 1
                server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                n = server.in_flight
            try:
                self._chat_in_flight(body, n)
            finally:
                with server.lock:
                    server.in_flight -= 1

        def _chat_in_flight(self, body: dict, in_flight: int) -> None:
            with server.lock:
                server.chat_requests.append(body)
                server.chat_times.append(time.monotonic())
            if server.queue_limit is not None and in_flight > server.queue_limit:
                with server.lock:
                    server.refused += 1
                return self._send(503, _error("server overloaded", "server_error"))
            fault = server.next_fault(first_user_text(body.get("messages", [])))
            if server.latency:
                load = in_flight / server.capacity if server.capacity else 1.0
                time.sleep(server.latency * max(1.0, load))
            if fault == "429":
                return self._send(
                    429,
                    _error("rate limited", "rate_limit_exceeded"),
                    {"Retry-After": server.retry_after},
                )
            if fault == "500":
                return self._send(500, _error("internal error", "server_error"))
            if fault == "bad_param":  # OpenAI's refusal of a parameter unrelated to the format
                err = _error(TEMPERATURE_MESSAGE)
                err["error"].update(param="temperature", code="unsupported_value")
                return self._send(400, err)
            if fault == "echo_auth":  # a careless server that echoes the credentials
                auth = self.headers.get("Authorization", "")
                return self._send(400, _error(f"request with {auth} was refused", "bad"))
            if fault == "hang":
                time.sleep(server.hang_seconds)
                self.close_connection = True
                return
            if fault == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            if fault == "slow":
                time.sleep(server.slow_seconds)
            status, payload = server.completion(body, fault)
            if status >= 500:  # retried at once (tests stay fast)
                return self._send(status, payload, {"retry-after-ms": "1"})
            if status == 200 and fault in MALFORMED:
                return self._send(200, MALFORMED[fault](payload))
            if status == 200 and fault == "echo_auth_200":
                headers = f"Authorization: {self.headers.get('Authorization', '')}"
                headers += f" api-key: {self.headers.get('api-key', '')}"
                payload["choices"][0]["message"]["content"] += f"  (seen: {headers})"
            if status == 200 and fault == "trickle":
                return self._trickle(json.dumps(payload).encode())
            if status == 200 and payload["usage"] is not None:
                usage = payload["usage"]
                with server.lock:
                    server.served_usage.append((usage["prompt_tokens"], usage["completion_tokens"]))
            self._send(status, payload)

        def _trickle(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with server.lock:
                server.log.append((self.command, self.path, 200))
            try:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(server.trickle_seconds)
            except OSError:
                self.close_connection = True  # the client gave up

        def finish(self) -> None:
            with contextlib.suppress(OSError):  # the socket was reset on purpose
                super().finish()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--no-json-schema", action="store_true")
    parser.add_argument("--quirk", action="append", default=[], choices=sorted(QUIRKS))
    parser.add_argument("--capacity", type=int, default=None, help="requests served at once")
    parser.add_argument("--queue-limit", type=int, default=None, help="503 beyond this many")
    parser.add_argument(
        "--vary-seed", type=int, default=None, help="vary answers across repeated requests"
    )
    args = parser.parse_args()
    srv = FakeOpenAI(
        latency=args.latency_ms / 1000,
        json_schema=not args.no_json_schema,
        vary_seed=args.vary_seed,
        quirks=args.quirk,
        capacity=args.capacity,
        queue_limit=args.queue_limit,
    )
    srv.start(args.port)
    print(srv.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
