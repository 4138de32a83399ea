"""Check a fine-tuning JSONL file line by line against its format's rules.

Rules (see `formats.py` for the field names): a JSON object per line with exactly the format's
fields; known roles; non-empty string content; a system message only first; `weight` (0 or 1)
only on assistant messages and at least one weight-1 message; user/assistant alternation
starting with the user where the trainer requires it (sharegpt, alpaca); the example ends with
an assistant turn; and an estimated size within `max_tokens` per example.

What each trainer accepts beyond what the exporter writes is accepted too: TRL's standard
(plain string) prompt-completion beside the conversational one, and LLaMA-Factory sharegpt's
leading `system` message and `observation`/`function_call` turns.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edukit.errors import ExportError, InputError
from edukit.export.formats import FORMATS
from edukit.export.tokens import count_tokens
from edukit.jsonsafe import MAX_DEPTH, check_depth
from edukit.resources import resolve_input

# OpenAI's largest per-example training context (gpt-4o / gpt-4o-mini: 65,536 tokens).
DEFAULT_MAX_TOKENS = 65_536
_ROLES = {"system", "user", "assistant"}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def validate_file(
    path: str | os.PathLike, format: str, *, max_tokens: int = DEFAULT_MAX_TOKENS
) -> list[Problem]:
    """Every problem in a JSONL file, with its line number; an empty list when it is valid.

    Raises `ExportError` when the file cannot be read or the format is unknown.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
    from edukit.userfile import read_user_text

    p = resolve_input(path)
    lines = read_user_text(p, what="file", error=ExportError, limit="data").splitlines()
    if not any(line.strip() for line in lines):
        raise ExportError("no examples: the file is empty", path=p)
    problems = []
    for n, line in enumerate(lines, start=1):
        for msg in validate_line(line, format, max_tokens=max_tokens):
            problems.append(Problem(str(p), n, msg))
    return problems


def manifest_format(path: str | os.PathLike) -> tuple[str, Path] | None:
    """The format recorded in the `manifest.json` beside an exported file, and that manifest.

    None when there is no manifest, it does not list this file, or it names no known format.
    """
    p = resolve_input(path)
    manifest = p.parent / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        return None
    files = data.get("files")
    if isinstance(files, dict) and p.name not in files.values():
        return None
    return data["format"], manifest


def guess_format(path: str | os.PathLike, *, lines: int = 20) -> str | None:
    """The format whose rules the file's first `lines` lines pass (None when none does).

    Used to say which format a file looks like when it fails the one asked for. OpenAI's chat
    format accepts every TRL messages line, so the stricter TRL format is tried first.
    """
    p = resolve_input(path)
    try:
        with p.open(encoding="utf-8") as fh:
            sample = [line for _, line in zip(range(lines), fh, strict=False) if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    if not sample:
        return None
    order = sorted(FORMATS, key=lambda f: f == "openai-chat")
    for fmt in order:
        if all(not validate_line(line, fmt) for line in sample):
            return fmt
    return None


def validate_line(line: str, format: str, *, max_tokens: int = DEFAULT_MAX_TOKENS) -> list[str]:
    """The problems of one JSONL line (empty when valid)."""
    if not line.strip():
        return ["empty line"]
    try:
        obj = json.loads(line)
        check_depth(obj)
    except json.JSONDecodeError as exc:
        return [f"not valid JSON: {exc.msg} (column {exc.colno})"]
    except ValueError:  # Python refuses integers of more than 4,300 digits
        return ["not valid JSON here: a number with more than 4,300 digits"]
    except (RecursionError, InputError):
        return [f"JSON nested deeper than {MAX_DEPTH} levels"]
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    check = _CHECKS[format]
    problems = check(obj)
    if not problems:
        tokens = count_tokens(_texts(obj))
        if tokens > max_tokens:
            problems.append(f"about {tokens} tokens, over the limit of {max_tokens}")
    return problems


def _show(value: Any, width: int = 60) -> str:
    """A value as it appears in a problem line, cut short (a role may be a long list)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _keys(obj: dict, required: set[str], optional: set[str] = frozenset()) -> list[str]:
    out = [f"missing field {k!r}" for k in sorted(required - obj.keys())]
    out += [f"unknown field {k!r}" for k in sorted(obj.keys() - required - optional)]
    return out


def _text(value: Any, what: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{what} is not a string"]
    if not value.strip():
        return [f"{what} is empty"]
    return []


def _messages(msgs: Any, where: str, *, weights: bool) -> list[str]:
    if msgs is None:
        return []  # already reported as a missing field
    if not isinstance(msgs, list) or not msgs:
        return [f"{where} must be a non-empty list of messages"]
    out = []
    for i, m in enumerate(msgs):
        at = f"{where}[{i}]"
        if not isinstance(m, dict):
            out.append(f"{at} is not an object")
            continue
        optional = {"weight", "name"} if weights else {"name"}
        out += [f"{at}: {p}" for p in _keys(m, {"role", "content"}, optional)]
        role = m.get("role")
        if not isinstance(role, str) or role not in _ROLES:  # a list is no role (nor hashable)
            out.append(f"{at}: unknown role {_show(role)}")
        elif role == "system" and i > 0:
            out.append(f"{at}: a system message may only come first")
        if "content" in m:
            out += _text(m["content"], f"{at} content")
        if "weight" in m:
            if role != "assistant":
                out.append(f"{at}: weight is only allowed on assistant messages")
            elif m["weight"] not in (0, 1) or isinstance(m["weight"], bool):
                out.append(f"{at}: weight must be 0 or 1")
    return out


def _chat_end(msgs: list, where: str) -> list[str]:
    last = msgs[-1] if isinstance(msgs, list) and msgs else None
    if isinstance(last, dict) and last.get("role") != "assistant":
        return [f"{where} must end with an assistant message"]
    return []


def _check_openai(obj: dict) -> list[str]:
    out = _keys(obj, {"messages"}, {"tools", "parallel_tool_calls", "functions"})
    msgs = obj.get("messages")
    out += _messages(msgs, "messages", weights=True)
    if out:
        return out
    out += _chat_end(msgs, "messages")
    if not any(m["role"] == "assistant" and m.get("weight", 1) == 1 for m in msgs):
        out.append("no assistant message with weight 1: nothing to train on")
    return out


def _check_trl_messages(obj: dict) -> list[str]:
    out = _keys(obj, {"messages"})
    msgs = obj.get("messages")
    out += _messages(msgs, "messages", weights=False)
    return out or _chat_end(msgs, "messages")


def _check_trl_pc(obj: dict) -> list[str]:
    out = _keys(obj, {"prompt", "completion"})
    prompt, completion = obj.get("prompt"), obj.get("completion")
    if isinstance(prompt, str) or isinstance(completion, str):
        # TRL's standard (plain text) prompt-completion: both fields are strings.
        if prompt is None or completion is None:
            return out  # already reported as a missing field
        if not (isinstance(prompt, str) and isinstance(completion, str)):
            return [*out, "prompt and completion must both be strings or both message lists"]
        return out + _text(completion, "completion")
    out += _messages(prompt, "prompt", weights=False)
    out += _messages(completion, "completion", weights=False)
    if out:
        return out
    if any(m["role"] != "assistant" for m in completion):
        out.append("completion may only hold assistant messages")
    if prompt[-1]["role"] == "assistant":
        out.append("prompt must not end with an assistant message")
    return out


# LLaMA-Factory's sharegpt roles (default tags): human or observation at odd positions, gpt or
# function_call at even positions; an optional leading system message replaces the system column.
_SHAREGPT_TURNS = (("human", "observation"), ("gpt", "function_call"))


def _check_sharegpt(obj: dict) -> list[str]:
    out = _keys(obj, {"conversations"}, {"system", "tools"})
    for key in ("system", "tools"):
        if key in obj and not isinstance(obj[key], str):
            out.append(f"{key} is not a string")
    conv = obj.get("conversations")
    if not isinstance(conv, list) or not conv:
        return [*out, "conversations must be a non-empty list"]
    start = 1 if isinstance(conv[0], dict) and conv[0].get("from") == "system" else 0
    for i, m in enumerate(conv):
        at = f"conversations[{i}]"
        if not isinstance(m, dict):
            out.append(f"{at} is not an object")
            continue
        out += [f"{at}: {p}" for p in _keys(m, {"from", "value"})]
        if "value" in m:
            out += _text(m["value"], f"{at} value")
        if i < start:
            continue
        expected = _SHAREGPT_TURNS[(i - start) % 2]
        role = m.get("from")
        if role not in (*_SHAREGPT_TURNS[0], *_SHAREGPT_TURNS[1]):
            out.append(f"{at}: unknown role {_show(role)}")
        elif role not in expected:
            out.append(
                f"{at}: expected {' or '.join(map(repr, expected))} "
                "(human and gpt must alternate, human first)"
            )
    if (len(conv) - start) % 2:
        out.append("conversations must end with a gpt message")
    return out


def _check_alpaca(obj: dict) -> list[str]:
    out = _keys(obj, {"instruction", "output"}, {"input", "system", "history"})
    out += _text(obj.get("instruction"), "instruction") if "instruction" in obj else []
    out += _text(obj.get("output"), "output") if "output" in obj else []
    for key in ("input", "system"):
        if key in obj and not isinstance(obj[key], str):
            out.append(f"{key} is not a string")
    history = obj.get("history", [])
    if not isinstance(history, list):
        return [*out, "history must be a list of [instruction, response] pairs"]
    for i, pair in enumerate(history):
        if not isinstance(pair, list) or len(pair) != 2:
            out.append(f"history[{i}] must be an [instruction, response] pair")
            continue
        out += _text(pair[0], f"history[{i}][0]") + _text(pair[1], f"history[{i}][1]")
    return out


_CHECKS = {
    "openai-chat": _check_openai,
    "trl-messages": _check_trl_messages,
    "trl-prompt-completion": _check_trl_pc,
    "sharegpt": _check_sharegpt,
    "alpaca": _check_alpaca,
}


def _texts(obj: Any) -> str:
    """All strings of a line joined: what the size limit counts."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return "\n".join(_texts(v) for v in obj.values())
    if isinstance(obj, list):
        return "\n".join(_texts(v) for v in obj)
    return ""
