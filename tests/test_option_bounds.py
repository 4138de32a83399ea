"""Every numeric option of every command has documented, finite bounds, shown in --help and
checked before any work (issue 21, point 10).

The cases are generated from the CLI's own command tree: an int or float option added without
both bounds fails `test_every_numeric_option_has_finite_bounds`, and its out-of-range values
(below, above, NaN, infinity, 1e20) are each tried through the CLI.
"""

from __future__ import annotations

import math
import os
import typing

import pytest
import typer

from edukit.cli import app


def _walk(command, path=()):
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


def _kind(param) -> type | None:
    """int or float for a numeric parameter (typer's own types, or click's), else None."""
    descriptor = getattr(param, "type_descriptor", None)  # typer >= 0.22 (vendored click)
    if descriptor is not None:
        annotation = descriptor.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
        return annotation if annotation in (int, float) else None
    name = type(param.type).__name__  # click: INT, FLOAT, IntRange, FloatRange
    return int if name.startswith("Int") else float if name.startswith("Float") else None


def _bounds(param) -> tuple:
    if hasattr(param, "type_descriptor"):
        return param.min, param.max
    return getattr(param.type, "min", None), getattr(param.type, "max", None)


def numeric_options() -> list[tuple[tuple[str, ...], object, type]]:
    found = []
    for path, command in _walk(typer.main.get_command(app)):
        for param in command.params:
            kind = _kind(param)
            if kind is not None:
                found.append((path, param, kind))
    return found


OPTIONS = numeric_options()
IDS = [f"{' '.join(path)} {param.opts[0]}" for path, param, _ in OPTIONS]


def test_the_walk_finds_the_numeric_options():
    names = set(IDS)
    assert len(OPTIONS) >= 28
    for expected in ("compare --concurrency", "agree --n-boot", "tutor interactive score --max-k",
                     "tutor interactive run --max-turns", "tutor interactive run --max-tokens",
                     "tutor interactive run --rpm", "tutor score --n-boot"):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize("bad", ["0", "1001", "10000000", "1e20", "nan", "inf", "-3", "fast"])
def test_annotate_concurrency_auto_or_a_bounded_number(cli, tmp_path, bad):
    """--concurrency is `auto` or N (a string option, so the walk above does not see it)."""
    items = tmp_path / "items.csv"
    items.write_text("item_id,text\n1,hi\n", encoding="utf-8")
    r = cli("annotate", items, "--rubric", "mathdial-moves", "--model", "m", "--dry-run",
            "--run-db", tmp_path / "runs.sqlite", "--concurrency", bad)  # fmt: skip
    assert r.code == 2 and r.err.count("Error:") == 1 and "--concurrency" in r.err, r.err
    assert "Traceback" not in r.err and not (tmp_path / "runs.sqlite").exists()


@pytest.mark.parametrize(("path", "param", "kind"), OPTIONS, ids=IDS)
def test_every_numeric_option_has_finite_bounds(path, param, kind):
    lo, hi = _bounds(param)
    assert lo is not None and hi is not None, f"{param.opts[0]} needs min= and max="
    assert math.isfinite(lo) and math.isfinite(hi) and lo <= hi
    default = param.default
    if default is not None:
        assert lo <= default <= hi, "the default lies within the bounds"


@pytest.mark.parametrize(("path", "param", "kind"), OPTIONS, ids=IDS)
def test_bounds_are_shown_in_help(cli, monkeypatch, path, param, kind):
    monkeypatch.setenv("COLUMNS", "300")
    r = cli(*path, "--help")
    assert r.code == 0, r.err
    opt = param.opts[0]
    lines = [line for line in r.out.splitlines() if f" {opt} " in line]
    assert lines, r.out
    assert "<=x<=" in lines[0], lines[0]


def _outside(param, kind) -> list[str]:
    lo, hi = _bounds(param)
    if kind is int:
        return [str(lo - 1), str(hi + 1), "1e20", "nan", str(10**30)]
    return [repr(lo - 1.0), repr(hi * 10 + 1.0), "nan", "inf", "-inf", "1e400"]


def _required_args(command_path, param_under_test) -> list[str]:
    command = typer.main.get_command(app)
    for name in command_path:
        command = command.commands[name]
    args: list[str] = []
    for param in command.params:
        if param is param_under_test or not param.required:
            continue
        if param.param_type_name == "argument":
            args.append("input.csv")
        else:
            args += [param.opts[0], "x"]
    return args


CASES = [(path, param, bad) for path, param, kind in OPTIONS for bad in _outside(param, kind)]
CASE_IDS = [f"{' '.join(p)} {param.opts[0]}={bad}" for p, param, bad in CASES]


@pytest.mark.parametrize(("path", "param", "bad"), CASES, ids=CASE_IDS)
def test_values_outside_the_bounds_are_one_error_line_before_any_work(
    cli, tmp_path, monkeypatch, path, param, bad
):
    monkeypatch.chdir(tmp_path)  # a command that started work would leave a file here
    opt = param.opts[0]
    r = cli(*path, *_required_args(path, param), f"{opt}={bad}")
    assert r.code == 2, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and opt in lines[0], r.err
    assert "Traceback" not in r.err and os.listdir(tmp_path) == []
