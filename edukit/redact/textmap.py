"""Text normalised for matching, with a map back to the characters of the text as written.

Redaction matches on a normalised copy (Unicode NFC, so `José` typed as `e` + combining accent is
`José`; invisible format characters such as zero-width spaces, soft hyphens and bidi controls
dropped; the many space and hyphen characters made plain; typographic apostrophes made `'`) and
replaces spans of the original: every character that is not redacted is kept as it was.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters matched as their plain form (one for one, so offsets stay simple).
_PLAIN = {
    **dict.fromkeys(range(0x2000, 0x200B), " "),  # en/em/thin/hair spaces
    0x00A0: " ",  # no-break space
    0x202F: " ",  # narrow no-break space
    0x205F: " ",
    0x3000: " ",
    **dict.fromkeys(range(0x2010, 0x2016), "-"),  # hyphens and dashes
    0x2212: "-",  # minus sign
    0xFE63: "-",
    0x2018: "'",
    0x2019: "'",
    0x02BC: "'",
    0xFF0B: "+",
    **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},  # fullwidth ASCII
}
_TABLE = str.maketrans(_PLAIN)
# Anything that is not already plain NFC text: characters above, format characters (Cf) and
# combining marks. Texts without any take the fast path (identity map).
_SPECIAL = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_PLAIN)) + r"\u00ad\u0300-\u036f"
    r"\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    r"\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


@dataclass(frozen=True)
class Normalised:
    """`text` as matched; `starts[i]`/`ends[i]`: the original characters behind `text[i]`."""

    text: str
    original: str
    starts: list[int] | None = None  # None: the text is its own normal form
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original character span behind `text[start:end]`."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """`text` normalised for matching, with the map back to the original characters."""
    if (text.isascii() or not _SPECIAL.search(text)) and unicodedata.is_normalized("NFC", text):
        return Normalised(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        chunk = text[i:j]
        if unicodedata.category(chunk[0]) == "Cf":  # invisible: matched as nothing
            chunk = chunk[1:]
        if chunk:
            chunk = unicodedata.normalize("NFC", chunk).translate(_TABLE)
            out.append(chunk)
            starts.extend([i] * len(chunk))
            ends.extend([j] * len(chunk))
        i = j
    return Normalised("".join(out), text, starts, ends)


def match_form(text: str) -> str:
    """The normalised text alone (names, values compared across spellings)."""
    return normalise(text).text
