"""The `edukit` command line: thin typer adapters over the library.

Command modules live in `edukit/commands/`; each exposes `register(app)`. They import only
typer and the standard library at module level so that `edukit --help` starts fast: pandas,
scikit-learn, spaCy and openai are imported inside the commands that need them.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence

import typer

from edukit import __version__
from edukit.commands import (
    agree,
    annotate,
    compare,
    datasets,
    export,
    findings,
    info,
    load,
    prices,
    quickstart,
    redact,
    review,
    rubric,
    runs,
    tutor,
)
from edukit.errors import EdukitError, InputError

try:  # typer >= 0.22 vendors click; older versions use the click package itself
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc

app = typer.Typer(
    name="edukit",
    help="Loaders, rubric-driven LLM annotation, agreement reports and tutor fine-tuning "
    "exports for tutoring dialogues and student feedback.",
    epilog="Wherever a file is read, sample:NAME reads a bundled sample (edukit datasets list); "
    "a bundled rubric's name works wherever a rubric file does (edukit rubric list).",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edukit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Loaders, rubric-driven LLM annotation, agreement reports and fine-tuning exports."""


for _module in (
    quickstart,
    info,
    load,
    datasets,
    redact,
    rubric,
    annotate,
    prices,
    runs,
    agree,
    compare,
    review,
    findings,
    export,
    tutor,
):
    _module.register(app)

# `edukit --help` groups the commands in the order a study uses them.
_PANELS = {
    "quickstart": "Start here, load corpora",
    "info": "Start here, load corpora",
    "load": "Start here, load corpora",
    "datasets": "Start here, load corpora",
    "redact": "Annotate",
    "rubric": "Annotate",
    "annotate": "Annotate",
    "prices": "Annotate",
    "runs": "Annotate",
    "agree": "Analyse and export",
    "compare": "Analyse and export",
    "review": "Analyse and export",
    "estimate": "Analyse and export",
    "aggregate": "Analyse and export",
    "relate": "Analyse and export",
    "export": "Analyse and export",
    "tutor": "Analyse and export",
}
for _entry in (*app.registered_commands, *app.registered_groups):
    _entry.rich_help_panel = _PANELS.get(_entry.name or _entry.callback.__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors become one line `Error: ...` on stderr and exit code 2.

    The exit codes (README, "Exit codes"): 0 done, 2 bad input, 3 work left (the commands that
    resume: `annotate`, `tutor interactive run`), 130 interrupted.
    """
    from edukit.corpora.csvfiles import set_dialect

    set_dialect()  # --sep/--encoding hold for one command only
    try:
        rv = app(
            args=list(argv) if argv is not None else None, prog_name="edukit", standalone_mode=False
        )
    except EdukitError as exc:
        typer.echo(f"Error: {exc.format()}", err=True)
        return _exit(2, argv)
    except click_exc.NoArgsIsHelpError:
        return _exit(0, argv)  # typer has already printed the help
    except click_exc.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        # typer's choice checks word their message "Value error, ..."; say it once, plainly.
        message = exc.format_message().replace("Value error, ", "")
        typer.echo(f"Error: {message}{hint}", err=True)
        return _exit(2, argv)
    except click_exc.ClickException as exc:  # a bad parameter, an unreadable file: bad input
        typer.echo(f"Error: {exc.format_message()}", err=True)
        return _exit(2, argv)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        # A name the system refuses is the user's input, whichever reader or writer met it.
        name = InputError("the file name is too long for this system", path=exc.filename)
        typer.echo(f"Error: {name.format()}", err=True)
        return _exit(2, argv)
    except typer.Abort:  # Ctrl-C before any work was done, or Ctrl-D at a prompt
        typer.echo("Interrupted.", err=True)
        return _exit(130, argv)
    code = rv if isinstance(rv, int) else 0
    return _exit(code, argv)


def _exit(code: int, argv: Sequence[str] | None) -> int:
    # Called as a console script (argv None) we exit; called from Python we return the code.
    if argv is None:
        sys.exit(code)
    return code
