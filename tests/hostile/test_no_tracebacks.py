"""Inputs that used to end in a traceback end in one `Error:` line and exit 2 (issue 21, 15).

The 300-character file name cases are generated from the CLI's command tree: every file or
folder parameter of every command is given such a name in turn (a command added without an
invocation in BASE fails `test_every_command_with_a_path_has_a_base_invocation`).
"""

from __future__ import annotations

import errno
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
    ("compare",): [
        "sample:sight",
        "--humans",
        "H1,H2",
        "--rubric",
        "sight",
        "--model",
        "m",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--limit",
        "2",
        "--dry-run",
        "--run-db",
        "{tmp}/runs.sqlite",
    ],
    ("estimate",): [
        "sample:sessions",
        "--model",
        "model",
        "--humans",
        "human",
        "--assume",
        "random",
    ],
    ("aggregate",): ["sample:sessions", "--by", "session_id", "--out", "{tmp}/a.csv"],
    ("relate",): [
        "sample:sessions-outcomes",
        "--outcomes",
        "sample:sessions-outcomes",
        "--on",
        "session_id",
        "--y",
        "post_test",
        "--x",
        "pre_test",
    ],
    ("load", "talkmoves"): ["sample:talkmoves", "--out", "{tmp}/o.csv"],
    ("review", "export"): [
        "{ann}",
        "--items",
        "sample:mathdial",
        "--rubric",
        "mathdial-moves",
        "--format",
        "csv",
        "--select",
        "random:2",
        "--out",
        "{tmp}/t.csv",
    ],
    ("review", "import"): [
        "{tmp}/x.jsonl",
        "--format",
        "prodigy",
        "--rubric",
        "mathdial-moves",
        "--out",
        "{tmp}/o.csv",
    ],
}

# what an option needs beside it to be read at all
NEEDS = {
    ("annotate", "--train"): ["--model", "local:tfidf-logreg", "--train-rater", "H1"],
    ("annotate", "--names"): ["--redact"],
    ("annotate", "--endpoints"): [],
    ("estimate", "--items"): ["--by", "session_id"],
}

# an option that goes only with another mode of its command: its own base invocation
ALT_BASE = {
    ("compare", "--from"): ["--from", "sample:sight", "--humans", "H1,H2", "--n-boot", "0"],
    ("compare", "--prompts"): [
        "--from",
        "sample:sight",
        "--humans",
        "H1,H2",
        "--n-boot",
        "0",
        "--prompts",
        "sample:sight-prompts",
    ],
    ("review", "--config"): [
        "{ann}",
        "--items",
        "sample:mathdial",
        "--rubric",
        "mathdial-moves",
        "--format",
        "label-studio",
        "--select",
        "random:2",
        "--out",
        "{tmp}/t.json",
    ],
}

PARAMS = path_params()


def test_every_command_with_a_path_has_a_base_invocation():
    assert {path for path, _ in PARAMS} <= set(BASE)


@pytest.fixture
def files(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text(  # the columns the bundled sight rubrics read
        "item_id,text,comment,playlist_name,video_name\n1,why?,why?,p,v\n2,thanks,thanks,p,v\n",
        encoding="utf-8",
    )
    preds = tmp_path / "preds.csv"
    preds.write_text("item_id,rater,label,value\nx:y,M,Mistake_Identification,Yes\n")
    chats = tmp_path / "chats.jsonl"
    chats.write_text(json.dumps({"A": "Teacher: hi<EOM>Student: 4<EOM>"}) + "\n")
    (tmp_path / "x.jsonl").write_text("{}\n")
    ann = tmp_path / "ann.csv"
    ann.write_text("item_id,rater,label,value\ntest-0:1,m,move,focus\n", encoding="utf-8")
    return {
        "tmp": str(tmp_path),
        "items": str(items),
        "preds": str(preds),
        "chats": str(chats),
        "ann": str(ann),
    }


def _arguments(command_path) -> list[str]:
    command = typer.main.get_command(app)
    for name in command_path:
        command = command.commands[name]
    return [p.name for p in command.params if p.param_type_name == "argument"]


def _with(command_path, param, value: str, files) -> list[str]:
    base = ALT_BASE.get((*command_path[:1], param.opts[0]), BASE[command_path])
    args = [a.format(**files) for a in base]
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


# --- a JSONL annotation whose value is a list -------------------------------------------------
LIST_VALUE = [
    ("info", "{ann}"),
    ("agree", "{ann}", "--humans", "H1", "--models", "M", "--n-boot", "0"),
    ("tutor", "score", "sample:mrbench", "--predictions", "{ann}", "--n-boot", "0"),
    ("tutor", "submission", "sample:mrbench-v3-test", "--predictions", "{ann}", "--out",
     "{tmp}/s.json"),
]  # fmt: skip


@pytest.mark.parametrize("args", LIST_VALUE, ids=[" ".join(a[:2]) for a in LIST_VALUE])
@pytest.mark.parametrize("nested", [["Yes", "No"], {"a": 1}])
def test_a_jsonl_annotation_value_that_is_a_list_or_object(cli, tmp_path, args, nested):
    ann = tmp_path / "ann.jsonl"
    rows = [
        {"item_id": "x:y", "rater": "H1", "label": "Mistake_Identification", "value": "Yes"},
        {"item_id": "x:y", "rater": "M", "label": "Mistake_Identification", "value": nested},
    ]
    ann.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = cli(*(a.format(ann=ann, tmp=tmp_path) for a in args))
    kind = "a list" if isinstance(nested, list) else "an object"
    _one_error(r, f"{ann}:2: value is {kind}, not a single value")


# --- quickstart --dir FILE, export validate -----------------------------------------------------
def test_quickstart_dir_naming_a_file(cli, tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("keep me")
    _one_error(cli("quickstart", "--dir", a_file), f"{a_file}: --dir must be a folder")
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"instruction": "a", "output": ' + "9" * 5000 + "}",
         "a number with more than 4,300 digits"),
        ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": '
         + "7" * 5000 + "}]}", "a number with more than 4,300 digits"),
        (json.dumps({"messages": [{"role": ["user"], "content": "hi"},
                                  {"role": "assistant", "content": "x"}]}),
         "messages[0]: unknown role ['user']"),
        (json.dumps({"messages": [{"role": {"a": list(range(500))}, "content": "hi"},
                                  {"role": "assistant", "content": "x"}]}),
         "messages[0]: unknown role {'a': [0, 1, 2"),
    ],
)  # fmt: skip
def test_export_validate_on_huge_numbers_and_lists_where_a_role_belongs(
    cli, tmp_path, line, problem
):
    path = tmp_path / "x.jsonl"
    path.write_text(line + "\n")
    fmt = "alpaca" if "instruction" in line else "openai-chat"
    r = cli("export", "validate", path, "-f", fmt)
    _one_error(r, f"{path}: 1 problem on 1 line")
    assert f"{path}:1: " in r.out and problem in r.out, r.out
    assert max(len(x) for x in r.out.splitlines()) < 200  # a long value is cut short


# --- a damaged run store ------------------------------------------------------------------------
def _store(path, options="{}"):
    from edukit.annotate.store import RunStore

    store = RunStore(path)
    for i in range(200):  # enough pages that damage lands in the runs table
        store.db.execute(
            "INSERT INTO runs (id, created, updated, options, model, rater) "
            "VALUES (?, 1, 1, ?, 'm', 'm')",
            (f"run{i:03d}" + "x" * 60, options),
        )
    store.close()
    return path


def _damage(path):
    data = bytearray(path.read_bytes())
    for i in range(4096 + 100, min(len(data), 4096 * 6), 7):
        data[i] = 0xAB
    path.write_bytes(bytes(data))
    return path


INTERACTIVE = ["tutor", "interactive", "run", "sample:mathdial", "--tutor-model", "t",
               "--student-model", "s", "--out", "{tmp}/c.jsonl", "--limit", "1", "--quiet",
               "--tutor-base-url", "http://127.0.0.1:9/v1",
               "--student-base-url", "http://127.0.0.1:9/v1"]  # fmt: skip
STORE_COMMANDS = {
    "runs list": ["runs", "list"],
    "runs show": ["runs", "show", "run000"],
    "runs export": ["runs", "export", "run000", "--out", "{tmp}/o.csv"],
    "tutor interactive run": INTERACTIVE,
}


@pytest.mark.parametrize("command", sorted(STORE_COMMANDS))
def test_a_malformed_sqlite_run_store(cli, tmp_path, command):
    db = _damage(_store(tmp_path / "runs.sqlite"))
    before = db.read_bytes()
    args = [a.format(tmp=tmp_path) for a in STORE_COMMANDS[command]]
    r = cli(*args, "--run-db", db)
    _one_error(r, f"{db}: ", "damaged", "database disk image is malformed")
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", ["runs show", "runs export"])
def test_run_options_that_are_not_json(cli, tmp_path, command):
    db = _store(tmp_path / "runs.sqlite", options="{not json")
    args = [a.format(tmp=tmp_path) for a in STORE_COMMANDS[command]]
    r = cli(*args, "--run-db", db)
    _one_error(r, f"{db}: the run store is damaged (the options of run run000", "not JSON")


# --- writing a table to a full disk, or where no folder can be made ------------------------------
WRITERS = {
    "redact": ["redact", "{items}", "--id-col", "item_id", "--text-col", "text", "--out", "{out}"],
    "load mathdial": ["load", "mathdial", "sample:mathdial", "--out", "{out}"],
    "load mrbench": ["load", "mrbench", "sample:mrbench", "--out", "{out}"],
    "runs export": ["runs", "export", "run000", "--out", "{out}", "--run-db", "{tmp}/r.sqlite"],
}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_full_disk_is_one_line_and_leaves_no_half_table(
    cli, files, tmp_path, monkeypatch, command, suffix
):
    import pandas as pd

    _store(tmp_path / "r.sqlite")
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    def full(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("half a table")
        raise OSError(errno.ENOSPC, "No space left on device")

    for method in ("to_csv", "to_json", "to_parquet"):
        monkeypatch.setattr(pd.DataFrame, method, full)
    out = tmp_path / f"out{suffix}"
    r = cli(*(a.format(out=out, **files) for a in WRITERS[command]))
    _one_error(r, f"{out}: cannot write: No space left on device")
    assert not out.exists()
    assert {p: p.read_bytes() for p in before} == before  # inputs untouched


def _submission_predictions(path):
    from edukit.corpora.mrbench import read_mrbench
    from edukit.resources import resolve_input

    responses = read_mrbench(resolve_input("sample:mrbench-v3-test")).responses
    dims = ["Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability"]
    rows = [
        {"item_id": i, "rater": "M", "label": d, "value": "Yes"}
        for i in responses["item_id"]
        for d in dims
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


PROC_WRITERS = {
    **WRITERS,
    "tutor submission": ["tutor", "submission", "sample:mrbench-v3-test", "--predictions",
                         "{subpreds}", "--out", "{out}"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(PROC_WRITERS))
def test_an_output_under_proc(cli, files, tmp_path, command):
    _store(tmp_path / "r.sqlite")
    subpreds = _submission_predictions(tmp_path / "subpreds.jsonl")
    out = "/proc/x/y.csv"  # the nearest parent (/proc) looks writable to root; mkdir fails
    if command == "tutor submission":
        out = "/proc/x/y.json"
    args = (a.format(out=out, subpreds=subpreds, **files) for a in PROC_WRITERS[command])
    _one_error(cli(*args), f"{out}: cannot write")
