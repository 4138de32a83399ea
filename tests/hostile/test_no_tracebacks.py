"""Inputs that used to end in a traceback end in one `Error:` line and exit 2 (issue 21, 15).

The 300-character file name cases are generated from the CLI's command tree: every file or
folder parameter of every command is given such a name in turn (a command added without an
invocation in BASE fails `test_every_command_with_a_path_has_a_base_invocation`).
"""

from __future__ import annotations

import json
import pathlib
import typing

import pytest
import typer

from edukit.cli import app

LONG = "n" * 300


def _walk(command, path=()):
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


def _is_path(param) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:  # click's own types
        return type(param.type).__name__ == "Path"
    annotation = descriptor.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is list or len(args) == 1:
        annotation = args[0]
    return annotation is pathlib.Path


def path_params() -> list[tuple[tuple[str, ...], object]]:
    return [
        (path, param)
        for path, command in _walk(typer.main.get_command(app))
        for param in command.params
        if _is_path(param)
    ]


# A working invocation of each command (positional arguments first, in order); {tmp} is the
# test's folder, {items} a small items table, {preds} predictions, {chats} conversations.
BASE = {
    ("quickstart",): [],
    ("info",): ["sample:sight"],
    ("redact",): ["{items}", "--out", "{tmp}/r.csv"],
    ("annotate",): [
        "{items}",
        "--rubric",
        "sight-joint",
        "--model",
        "m",
        "--dry-run",
        "--run-db",
        "{tmp}/runs.sqlite",
    ],
    ("agree",): ["sample:sight", "--humans", "H1", "--models", "H2", "--n-boot", "0"],
    ("load", "mathdial"): ["sample:mathdial", "--out", "{tmp}/o.csv"],
    ("load", "mrbench"): ["sample:mrbench", "--out", "{tmp}/o.csv"],
    ("load", "sight"): ["sample:sight", "--out", "{tmp}/o.csv"],
    ("load", "table"): [
        "{items}",
        "--id-col",
        "item_id",
        "--text-col",
        "text",
        "--out",
        "{tmp}/o.csv",
    ],
    ("datasets", "fetch"): ["mathdial", "--dest", "{tmp}/d", "--base-url", "http://127.0.0.1:9"],
    ("rubric", "copy"): ["sight", "{tmp}/r.yaml"],
    ("rubric", "validate"): ["sight"],
    ("rubric", "render"): ["sight-joint", "--data", "{items}"],
    ("rubric", "import-sight"): ["sample:sight-prompts", "--out", "{tmp}/r.yaml"],
    ("rubric", "hash"): ["sight"],
    ("runs", "list"): ["--run-db", "{tmp}/runs.sqlite"],
    ("runs", "show"): ["RUN", "--run-db", "{tmp}/runs.sqlite"],
    ("runs", "export"): ["RUN", "--out", "{tmp}/o.csv", "--run-db", "{tmp}/runs.sqlite"],
    ("runs", "ingest"): ["RUN", "--run-db", "{tmp}/runs.sqlite"],
    ("export", "finetune"): ["sample:mathdial", "-f", "trl-messages", "--out", "{tmp}/ft"],
    ("export", "validate"): ["{tmp}/x.jsonl"],
    ("tutor", "score"): ["sample:mrbench", "--n-boot", "0"],
    ("tutor", "submission"): [
        "sample:mrbench-v3-test",
        "--predictions",
        "{preds}",
        "--out",
        "{tmp}/s.json",
    ],
    ("tutor", "interactive", "run"): [
        "sample:mathdial",
        "--tutor-model",
        "t",
        "--student-model",
        "s",
        "--out",
        "{tmp}/c.jsonl",
        "--tutor-base-url",
        "http://127.0.0.1:9/v1",
        "--student-base-url",
        "http://127.0.0.1:9/v1",
        "--run-db",
        "{tmp}/runs.sqlite",
    ],
    ("tutor", "interactive", "score"): ["{chats}", "--conversation-col", "A", "--n-boot", "0"],
}

# what an option needs beside it to be read at all
NEEDS = {
    ("annotate", "--train"): ["--model", "local:tfidf-logreg", "--train-rater", "H1"],
    ("annotate", "--names"): ["--redact"],
}

PARAMS = path_params()


def test_every_command_with_a_path_has_a_base_invocation():
    assert {path for path, _ in PARAMS} <= set(BASE)


@pytest.fixture
def files(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("item_id,text,comment\n1,why?,why?\n2,thanks,thanks\n", encoding="utf-8")
    preds = tmp_path / "preds.csv"
    preds.write_text("item_id,rater,label,value\nx:y,M,Mistake_Identification,Yes\n")
    chats = tmp_path / "chats.jsonl"
    chats.write_text(json.dumps({"A": "Teacher: hi<EOM>Student: 4<EOM>"}) + "\n")
    (tmp_path / "x.jsonl").write_text("{}\n")
    return {"tmp": str(tmp_path), "items": str(items), "preds": str(preds), "chats": str(chats)}


def _arguments(command_path) -> list[str]:
    command = typer.main.get_command(app)
    for name in command_path:
        command = command.commands[name]
    return [p.name for p in command.params if p.param_type_name == "argument"]


def _with(command_path, param, value: str, files) -> list[str]:
    args = [a.format(**files) for a in BASE[command_path]]
    args += NEEDS.get((*command_path[:1], param.opts[0]), [])
    if param.param_type_name == "argument":
        args[_arguments(command_path).index(param.name)] = value
    elif param.opts[0] in args:
        args[args.index(param.opts[0]) + 1] = value
    else:
        args += [param.opts[0], value]
    return [*command_path, *args]


def _one_error(r, *fragments: str) -> str:
    assert r.code == 2, (r.code, r.out, r.err)
    assert "Traceback" not in r.err + r.out
    errors = [line for line in r.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, r.err
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize(
    ("command_path", "param"), PARAMS, ids=[f"{' '.join(c)} {p.opts[0]}" for c, p in PARAMS]
)
def test_a_300_character_file_name_is_one_error_line(
    cli, files, tmp_path, monkeypatch, command_path, param
):
    monkeypatch.chdir(tmp_path)
    long_name = str(tmp_path / f"{LONG}.csv")
    r = cli(*_with(command_path, param, long_name, files))
    _one_error(r, LONG)
