"""The README's commands are real: every `edukit` command and option it shows exists."""

from __future__ import annotations

import re
import shlex

import pytest
import typer

from edukit.cli import app


def _readme_commands(text: str, kind: str = "bash") -> list[list[str]]:
    """The `edukit` commands of the README's ```bash blocks (or, for "console", its `$ ` lines)."""
    commands = []
    for block in re.findall(rf"```{kind}\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if kind == "console":
                if not line.startswith("$ "):
                    continue  # output shown, not a command
                line = line[2:]
            for part in re.split(r"&&|;|\bdo\b", line):
                words = shlex.split(part.strip(), comments=True)
                if words and words[0] == "edukit":
                    commands.append(words)
    return commands


def test_readme_starts_with_the_two_fresh_machine_commands(repo_root):
    text = (repo_root / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    assert blocks[0].strip() == "pip install . && edukit quickstart"
    assert blocks[1].strip() == (
        'pip install ".[dev]" && pip install --no-deps "irrCAC==0.4.4" && pytest -q'
    )


@pytest.mark.parametrize("kind, at_least", [("bash", 19), ("console", 20)])
def test_every_readme_command_and_option_exists(repo_root, kind, at_least):
    commands = _readme_commands((repo_root / "README.md").read_text(), kind)
    assert len(commands) >= at_least  # the README shows at least this many
    root = typer.main.get_command(app)
    for words in commands:
        cmd, rest = root, words[1:]
        while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
            cmd, rest = cmd.commands[rest[0]], rest[1:]
        assert not hasattr(cmd, "commands"), f"incomplete command: {' '.join(words)}"
        options = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
        for word in rest:
            if word.startswith("-"):
                assert word.split("=")[0] in options, f"{word} is not an option of {words[:3]}"
