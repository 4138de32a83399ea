"""Phone numbers through `phonenumbers` (Google's libphonenumber), its matcher over regions.

A number written with its country code (`+33 1 23 45 67 89`) is found whatever the regions; a
national number (`01 23 45 67 89`, `(02) 9876 5432`) only for a listed region, so the list
decides which national forms are recognised. Only numbers libphonenumber finds valid are taken
(its `VALID` leniency): a date, a sum or a count is not a valid number of any listed region.
The shapes it rejects as invalid but people still write (the fictional `555` numbers) are
found by `edukit.redact.patterns.PHONE`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from edukit.errors import RedactError

# English-speaking countries, the largest European ones and the largest in the Americas, Asia
# and Africa whose students appear in the corpora edukit reads. `+CC` numbers are found anyway.
DEFAULT_REGIONS = (
    "US", "GB", "IE", "AU", "NZ", "IN", "ZA", "NG", "DE", "FR", "ES", "IT", "NL", "BR", "MX",
)  # fmt: skip
# A run of at least seven digits with separators between them: only such texts go to the
# matcher (it costs about a millisecond per text and region).
_CANDIDATE = re.compile(r"\d(?:[\d\s().\-/]*\d){6,}")


def parse_regions(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Region codes from `--phone-regions` (comma-separated, any case); the default if None."""
    if value is None:
        return DEFAULT_REGIONS
    import phonenumbers

    parts = value.split(",") if isinstance(value, str) else [p for v in value for p in v.split(",")]
    known = phonenumbers.SUPPORTED_REGIONS
    out: list[str] = []
    for part in parts:
        code = part.strip().upper()
        if not code:
            continue
        if code not in known:
            raise RedactError(
                f"--phone-regions: unknown region {part.strip()!r} (two-letter ISO 3166 codes "
                "such as US, GB, FR)"
            )
        if code not in out:
            out.append(code)
    if not out:
        raise RedactError("--phone-regions names no region (e.g. US,GB,FR)")
    return tuple(out)


def find_phones(text: str, regions: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Spans of the phone numbers libphonenumber finds valid for any of `regions` in `text`."""
    if _CANDIDATE.search(text) is None:
        return
    from phonenumbers import Leniency, PhoneNumberMatcher

    seen: set[tuple[int, int]] = set()
    for region in regions:
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            span = (m.start, m.end)
            if span not in seen:
                seen.add(span)
                yield span
