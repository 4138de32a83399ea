"""The five trainer formats: one JSON object per example, field names as each trainer documents.

- `openai-chat`: OpenAI supervised fine-tuning chat format, `{"messages": [...]}`, every assistant
  message carrying `weight` 0 or 1 (OpenAI trains only weight-1 assistant messages).
- `trl-messages`: TRL conversational language modelling, `{"messages": [...]}`.
- `trl-prompt-completion`: TRL conversational prompt-completion, `{"prompt": [...],
  "completion": [...]}`; only the completion is trained.
- `sharegpt`: LLaMA-Factory sharegpt, `{"conversations": [{"from": "human"|"gpt", "value"}],
  "system"}`, human at odd and gpt at even positions; needs a `dataset_info.json` entry.
- `alpaca`: LLaMA-Factory alpaca, `{"instruction", "input", "output", "system", "history"}` with
  `history` a list of `[user, assistant]` pairs (LLaMA-Factory trains those responses too).
"""

from __future__ import annotations

from typing import Any

from edukit.export.examples import Example

FORMATS = ("openai-chat", "trl-messages", "trl-prompt-completion", "sharegpt", "alpaca")
# Only OpenAI's chat format can switch off training on one assistant message.
PER_MESSAGE_WEIGHTS = frozenset({"openai-chat"})
# Formats whose dialogues must alternate user/assistant starting with the user.
ALTERNATING = frozenset({"sharegpt", "alpaca"})
# Formats that need consecutive same-speaker turns merged: the alternating ones, and TRL's
# prompt-completion, whose prompt must not end with an assistant turn (TRL would continue that
# turn instead of starting the completion as a new one).
NEEDS_MERGE = ALTERNATING | {"trl-prompt-completion"}
LLAMA_FACTORY = frozenset({"sharegpt", "alpaca"})


def render(example: Example, fmt: str) -> dict[str, Any]:
    """One example as the JSON object of one line of `fmt`."""
    msgs = example.messages
    if fmt == "openai-chat":
        out = [{"role": "system", "content": example.system}] if example.system else []
        for m in msgs:
            d: dict[str, Any] = {"role": m.role, "content": m.content}
            if m.role == "assistant":
                d["weight"] = int(m.train)
            out.append(d)
        return {"messages": out}
    chat = [{"role": "system", "content": example.system}] if example.system else []
    chat += [{"role": m.role, "content": m.content} for m in msgs]
    if fmt == "trl-messages":
        return {"messages": chat}
    if fmt == "trl-prompt-completion":
        return {"prompt": chat[:-1], "completion": chat[-1:]}
    if fmt == "sharegpt":
        tag = {"user": "human", "assistant": "gpt"}
        conv = [{"from": tag[m.role], "value": m.content} for m in msgs]
        return {"conversations": conv, "system": example.system}
    if fmt == "alpaca":
        pairs = [[msgs[i].content, msgs[i + 1].content] for i in range(0, len(msgs) - 2, 2)]
        return {
            "instruction": msgs[-2].content,
            "input": "",
            "output": msgs[-1].content,
            "system": example.system,
            "history": pairs,
        }
    raise ValueError(f"unknown format {fmt!r}")


def dataset_info(fmt: str, files: dict[str, str], name: str) -> dict[str, Any]:
    """LLaMA-Factory's `dataset_info.json` entries (one per split file) for sharegpt or alpaca."""
    if fmt == "sharegpt":
        spec: dict[str, Any] = {
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
            },
        }
    elif fmt == "alpaca":
        spec = {
            "formatting": "alpaca",
            "columns": {
                "prompt": "instruction",
                "query": "input",
                "response": "output",
                "system": "system",
                "history": "history",
            },
        }
    else:
        raise ValueError(f"{fmt} needs no dataset_info.json")
    return {f"{name}_{split}": {"file_name": file, **spec} for split, file in files.items()}
