"""The validator: every rule names its line, and the CLI prints one line per problem, exit 2."""

from __future__ import annotations

import json

import pytest

from edukit.errors import ExportError
from edukit.export import validate_file, validate_line

SYS = {"role": "system", "content": "Tutor."}
U = {"role": "user", "content": "I got 4."}
A = {"role": "assistant", "content": "Why 4?"}


def line(obj) -> str:
    return json.dumps(obj)


@pytest.mark.parametrize(
    ("fmt", "obj", "expected"),
    [
        ("openai-chat", {"messages": [SYS, U, A | {"weight": 1}]}, []),
        ("openai-chat", {"messages": [SYS, U]},
         ["messages must end with an assistant message",
          "no assistant message with weight 1: nothing to train on"]),
        ("openai-chat", {"messages": [U, A | {"weight": 0}]},
         ["no assistant message with weight 1: nothing to train on"]),
        ("openai-chat", {"messages": [U | {"weight": 1}, A]},
         ["messages[0]: weight is only allowed on assistant messages"]),
        ("openai-chat", {"messages": [U, A | {"weight": 0.5}]},
         ["messages[1]: weight must be 0 or 1"]),
        ("openai-chat", {"messages": [U, {"role": "assistant", "content": " "}]},
         ["messages[1] content is empty"]),
        ("openai-chat", {"messages": [U, SYS, A]},
         ["messages[1]: a system message may only come first"]),
        ("openai-chat", {"messages": [{"role": "tutor", "content": "x"}, A]},
         ["messages[0]: unknown role 'tutor'"]),
        ("openai-chat", {"conversations": []},
         ["missing field 'messages'", "unknown field 'conversations'"]),
        ("trl-messages", {"messages": [U, A | {"weight": 1}]},
         ["messages[1]: unknown field 'weight'"]),
        ("trl-prompt-completion", {"prompt": [SYS, U], "completion": [A]}, []),
        ("trl-prompt-completion", {"prompt": [U, A], "completion": [U]},
         ["completion may only hold assistant messages",
          "prompt must not end with an assistant message"]),
        ("sharegpt", {"conversations": [{"from": "human", "value": "a"},
                                        {"from": "gpt", "value": "b"}], "system": "s"}, []),
        ("sharegpt", {"conversations": [{"from": "gpt", "value": "b"}]},
         ["conversations[0]: expected 'human' or 'observation' (human and gpt must alternate, "
          "human first)",
          "conversations must end with a gpt message"]),
        # LLaMA-Factory: a leading system turn; observation/function_call at their positions.
        ("sharegpt", {"conversations": [{"from": "system", "value": "s"},
                                        {"from": "human", "value": "a"},
                                        {"from": "function_call", "value": "f"},
                                        {"from": "observation", "value": "o"},
                                        {"from": "gpt", "value": "b"}]}, []),
        ("sharegpt", {"conversations": [{"from": "human", "value": "a"},
                                        {"from": "assistant", "value": " "}], "system": 1},
         ["system is not a string", "conversations[1] value is empty",
          "conversations[1]: unknown role 'assistant'"]),
        ("sharegpt", {"conversations": [{"from": "human", "value": "a"},
                                        {"from": "human", "value": "b"}]},
         ["conversations[1]: expected 'gpt' or 'function_call' (human and gpt must alternate, "
          "human first)"]),
        # TRL's standard (plain text) prompt-completion is valid too; mixing is not.
        ("trl-prompt-completion", {"prompt": "The sky is", "completion": " blue."}, []),
        ("trl-prompt-completion", {"prompt": "The sky is", "completion": " "},
         ["completion is empty"]),
        ("trl-prompt-completion", {"prompt": "The sky is", "completion": [A]},
         ["prompt and completion must both be strings or both message lists"]),
        ("trl-prompt-completion", {"prompt": [U]},
         ["missing field 'completion'"]),
        # Alternation is not required by OpenAI or TRL conversational data.
        ("trl-messages", {"messages": [SYS, U, U, A, A]}, []),
        ("trl-messages", {"messages": [SYS, U, A, U]},
         ["messages must end with an assistant message"]),
        ("openai-chat", {"messages": [U, A | {"weight": True}]},
         ["messages[1]: weight must be 0 or 1"]),
        ("alpaca", {"input": "x", "output": "b", "history": "c"},
         ["missing field 'instruction'", "history must be a list of [instruction, response] "
          "pairs"]),
        ("alpaca", {"instruction": "a", "input": "", "output": "b", "history": [["c", "d"]]},
         []),
        ("alpaca", {"instruction": "a", "output": "", "history": [["c"]]},
         ["output is empty", "history[0] must be an [instruction, response] pair"]),
    ],
)  # fmt: skip
def test_rules(fmt, obj, expected):
    assert validate_line(line(obj), fmt) == expected


def test_not_json_and_size_limit():
    assert validate_line("{oops", "trl-messages")[0].startswith("not valid JSON:")
    assert validate_line("[]", "trl-messages") == ["not a JSON object"]
    big = {"messages": [U, {"role": "assistant", "content": "x" * 4000}]}
    # The estimate is characters / 4: 4000 characters are about 1000 tokens.
    (problem,) = validate_line(line(big), "trl-messages", max_tokens=500)
    assert problem.startswith("about 1") and problem.endswith("over the limit of 500")
    assert validate_line(line(big), "trl-messages", max_tokens=2000) == []


def test_validate_file_names_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    good = line({"messages": [U, A]})
    path.write_text(f"{good}\n{line({'messages': [U]})}\n{good}\n\n")
    problems = validate_file(path, "trl-messages")
    assert [str(p) for p in problems] == [
        f"{path}:2: messages must end with an assistant message",
        f"{path}:4: empty line",
    ]
    with pytest.raises(ExportError, match="unknown format 'gpt'"):
        validate_file(path, "gpt")
    with pytest.raises(ExportError, match=r"missing\.jsonl: file not found"):
        validate_file(tmp_path / "missing.jsonl", "alpaca")


def test_cli_validate(cli, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(line({"messages": [U, A]}) + "\n")
    r = cli("export", "validate", path, "--format", "trl-messages")
    assert (r.code, r.out) == (0, f"{path}: 1 example, valid trl-messages\n")
    r = cli("export", "validate", path, "--format", "sharegpt")
    assert r.code == 2
    assert r.out == ""  # a wrong format: one line naming the format the file looks like
    assert r.err == (
        f"Error: {path}: not sharegpt: the file looks like trl-messages (--format trl-messages); "
        "first problem: line 1: missing field 'conversations'\n"
    )


def test_cli_validate_a_broken_file_shows_the_first_problems(cli, tmp_path):
    # every line is broken in every format: the report stays short
    line = '{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}'
    path = tmp_path / "chat.jsonl"
    path.write_text((line + "\n") * 120)
    r = cli("export", "validate", path, "--format", "alpaca")
    assert r.code == 2
    assert len(r.out.splitlines()) == 50
    assert r.err.startswith(f"Error: {path}: ") and r.err.endswith("(first 50 shown)\n")
    assert len(r.err.splitlines()) == 1


def test_out_named_like_a_file_is_refused(cli, repo_root, tmp_path):
    sample = repo_root / "datasets" / "mathdial" / "test.csv"
    r = cli("export", "finetune", sample, "--format", "openai-chat", "--out", tmp_path / "t.jsonl")
    assert r.code == 2 and "give a folder name, not a .jsonl file" in r.err
    assert not (tmp_path / "t.jsonl").exists()
