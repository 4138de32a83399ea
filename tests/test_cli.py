"""The CLI contract: version, help, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

from edukit import __version__
from edukit.errors import EdukitError, InputError


def test_version(cli):
    r = cli("--version")
    assert r.code == 0
    assert r.out.strip() == f"edukit {__version__}"


def test_unknown_command_is_one_line_exit_2(cli):
    r = cli("no-such-command")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")


def test_error_format_names_file_and_row():
    err = InputError("missing column 'text'", path="data.csv", where=3)
    assert err.format() == "data.csv:3: missing column 'text'"
    assert isinstance(err, EdukitError)
    assert EdukitError("plain").format() == "plain"


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from edukit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'spacy', 'openai', 'numpy', 'matplotlib')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_root_shim_runs(repo_root):
    out = subprocess.run(
        [sys.executable, str(repo_root / "cli.py"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"edukit {__version__}"


def test_an_abort_is_interrupted_130_and_a_click_error_is_2(monkeypatch, cli):
    """Only the README's exit codes: 0 done, 2 bad input, 3 work left, 130 interrupted."""
    import typer

    from edukit import cli as cli_module
    from edukit.cli import click_exc

    def abort(*args, **kwargs):
        raise typer.Abort()

    monkeypatch.setattr(cli_module, "app", abort)
    r = cli("--version")
    assert r.code == 130 and r.err.strip() == "Interrupted."

    def click_error(*args, **kwargs):
        raise click_exc.ClickException("cannot open the file")  # exit_code 1 in click

    monkeypatch.setattr(cli_module, "app", click_error)
    r = cli("--version")
    assert r.code == 2 and r.err.strip() == "Error: cannot open the file"


def test_the_readme_documents_the_exit_codes_once(repo_root):
    import re

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    assert readme.count("### Exit codes") == 1
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    codes = dict(re.findall(r"^\| `(\d+)` \| ([^|]+) \|", section, flags=re.M))
    assert set(codes) == {"0", "2", "3", "130"}, section
    assert codes["0"].startswith("done") and codes["2"].startswith("bad input")
    assert codes["3"].startswith("work left") and codes["130"].startswith("interrupted")
    # no other paragraph lists the codes again (it would drift)
    rest = readme.replace(section, "")
    assert not re.search(r"\b0 done|2 bad input|3 (items|work) left|130 interrupted", rest)


def _commands(group, path=()):
    """(path, command) for every command and group under the click `group`, depth first."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_help_lists_every_command_with_a_one_line_help(cli):
    import typer

    from edukit.cli import app

    root = typer.main.get_command(app)
    expected = {"load", "info", "datasets", "rubric", "annotate", "runs", "agree", "export"}
    assert expected | {"quickstart"} <= set(root.commands)
    commands = list(_commands(root))
    assert len(commands) >= 20  # every group's subcommands are walked too
    for path, command in commands:
        short = command.get_short_help_str(limit=200)
        assert short and "\n" not in short, f"edukit {' '.join(path)} has no one-line help"
        parent = cli(*path[:-1], "--help")
        assert parent.code == 0
        listed = " ".join(parent.out.split())  # rich wraps the help table
        assert path[-1] in listed and short.split()[0] in listed, " ".join(path)


def test_a_typo_in_an_option_value_is_one_plain_line(cli, repo_root):
    r = cli(
        "load", "mathdial", repo_root / "datasets" / "mathdial" / "test.csv", "--level", "utterance"
    )
    assert r.code == 2
    assert r.err.strip() == (
        "Error: Invalid value for '--level': 'utterance' is not one of 'dialogues', "
        "'utterances'. (see 'edukit load mathdial --help')"
    )


def test_help_groups_commands_in_the_order_of_a_study(cli):
    out = cli("--help").out
    panels = ["Start here, load corpora", "Annotate", "Analyse and export"]
    positions = [out.index(p) for p in panels]
    assert positions == sorted(positions)
    rows = [out.index(f"│ {c} ") for c in ("quickstart", "annotate", "agree")]
    assert rows == sorted(rows)
