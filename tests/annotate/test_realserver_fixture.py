"""The real llama-server fixture answers OpenAI-style requests."""

from __future__ import annotations

import json
import urllib.request


def test_realserver_answers_a_chat_completion(realserver):
    body = {
        "model": realserver.model,
        "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 4,
        "temperature": 0,
    }
    req = urllib.request.Request(
        f"{realserver.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        out = json.load(resp)
    assert out["choices"][0]["message"]["role"] == "assistant"
    assert out["usage"]["completion_tokens"] <= 4
