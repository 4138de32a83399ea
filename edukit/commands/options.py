"""Options shared by the commands that read or write tables (imports only typer)."""

from __future__ import annotations

import typer

SEP = typer.Option(
    None, "--sep", help="CSV separator: ',', ';' or tab (default: sniffed from the header)."
)
ENCODING = typer.Option(
    None, "--encoding", help="Text encoding of CSV/JSONL inputs, e.g. cp1252 (default: UTF-8)."
)
# The bounds of every numeric option: typer checks them before any work and --help shows them
# as [lo<=x<=hi]. Every option has both, and every bound is finite, so NaN and infinity are
# refused too (tests/test_option_bounds.py walks the command tree; an option without both fails).
MAX_SEED = 2**32 - 1  # numpy's seed range
MAX_BOOT = 10_000  # bootstrap resamples: percentile intervals settle long before
MAX_CONCURRENCY = 1024  # requests (or conversations) in flight
MAX_RPM = 1_000_000.0
MAX_TPM = 1e10
MAX_ITEMS = 10**9  # --limit
MAX_COST_USD = 1_000_000.0
MAX_TURNS = 100  # rounds of an interactive conversation, and Success@k's largest k
MAX_TURN_TOKENS = 32_768  # tokens per interactive turn
MAX_EXAMPLE_TOKENS = 10**7  # fine-tuning example size limit

RAW_CSV = typer.Option(
    False,
    "--raw-csv",
    help="Write CSV cells verbatim (by default cells starting with = + - @ get a leading ' so "
    "spreadsheets do not run them as formulas).",
)


def check_finite(**options: float | None) -> None:
    """`--max-cost inf` or `--rpm nan` would never stop or never send: one line instead."""
    import math

    from edukit.errors import EdukitError

    for name, value in options.items():
        if value is not None and not math.isfinite(value):
            flag = "--" + name.replace("_", "-")
            raise EdukitError(f"{flag} must be a finite number, not {value}")


def use_dialect(sep: str | None, encoding: str | None) -> None:
    """Apply --sep and --encoding to every CSV/JSONL reader for this command."""
    from edukit.corpora.csvfiles import set_dialect

    set_dialect(sep, encoding)


PHONE_REGIONS = typer.Option(
    None,
    "--phone-regions",
    help="Redaction: regions whose national phone numbers are recognised, comma-separated "
    "ISO codes (default US,GB,IE,AU,NZ,IN,ZA,NG,DE,FR,ES,IT,NL,BR,MX; numbers written with "
    "+country code are found whatever the list).",
)
