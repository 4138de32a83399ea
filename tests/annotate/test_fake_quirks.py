"""The fake server's quirk modes behave like the real servers they imitate."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest

SCHEMA = {
    "type": "object",
    "properties": {"move": {"type": "string", "enum": ["focus", "probing", "telling", "generic"]}},
    "required": ["move"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "user", "content": "Teacher: what is 3 times 4?"}]
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}


def post(server, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps({"model": "m", "messages": MESSAGES, **body}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer k"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.fixture
def quirky(kit):
    servers = []

    def start(*quirks: str):
        servers.append(kit.fake.FakeOpenAI(quirks=quirks).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def expected(kit):
    return kit.fake.expected_answer(MESSAGES, SCHEMA)


def test_unknown_quirk_is_refused(kit):
    with pytest.raises(ValueError, match="unknown quirks"):
        kit.fake.FakeOpenAI(quirks={"nope"})


def test_json_schema_500_only_with_json_schema(quirky):
    server = quirky("json_schema_500")
    assert post(server, {"response_format": JSON_SCHEMA})[0] == 500
    assert post(server, {"response_format": {"type": "json_object"}})[0] == 200
    assert post(server, {})[0] == 200


def test_ignore_format_answers_prose_with_a_draft_first(quirky, kit):
    server = quirky("ignore_format")
    status, body = post(server, {"response_format": JSON_SCHEMA})
    text = body["choices"][0]["message"]["content"]
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(text)
    real = json.dumps(expected(kit))
    assert text.rstrip().endswith(f"{real} I hope this helps.")
    draft = kit.fake.draft_answer(SCHEMA, MESSAGES[0]["content"])
    assert draft != expected(kit)
    assert text.index(json.dumps(draft)) < text.rindex(real)


def test_think_block_holds_a_draft(quirky, kit):
    server = quirky("think")
    text = post(server, {"response_format": JSON_SCHEMA})[1]["choices"][0]["message"]["content"]
    head, _, tail = text.partition("</think>")
    assert head.startswith("<think>First guess: ")
    assert json.loads(tail) == expected(kit)
    assert json.dumps(kit.fake.draft_answer(SCHEMA, MESSAGES[0]["content"])) in head


def test_reasoning_content_holds_a_draft(quirky, kit):
    server = quirky("reasoning_content")
    message = post(server, {"response_format": JSON_SCHEMA})[1]["choices"][0]["message"]
    assert json.loads(message["content"]) == expected(kit)
    assert "First guess" in message["reasoning_content"]


def test_usage_null(quirky):
    status, body = post(quirky("usage_null"), {})
    assert status == 200 and body["usage"] is None


def test_max_tokens_rejected_with_openais_message(quirky, kit):
    server = quirky("max_tokens_rejected")
    status, body = post(server, {"max_tokens": 10})
    assert status == 400
    assert body["error"]["message"] == kit.fake.MAX_TOKENS_MESSAGE
    assert body["error"]["param"] == "max_tokens"
    assert post(server, {"max_completion_tokens": 10})[0] == 200


def test_logprob_space_tokens_lead_with_whitespace(quirky, kit):
    server = quirky("logprob_space")
    choice = post(server, {"response_format": JSON_SCHEMA, "logprobs": True})[1]["choices"][0]
    text = choice["message"]["content"]
    tokens = choice["logprobs"]["content"]
    assert "".join(t["token"] for t in tokens) == " " + text
    label = expected(kit)["move"]
    # the label is spelled in several tokens with different logprobs
    pieces = [t for t in tokens if t["token"] in {label[i : i + 3] for i in range(0, 9, 3)}]
    assert len(pieces) == math.ceil(len(label) / 3) > 1
    assert len({t["logprob"] for t in pieces}) == len(pieces)


def test_no_n_answers_one_choice(quirky):
    assert len(post(quirky("no_n"), {"n": 3})[1]["choices"]) == 1
