"""Declared names found wherever they are written: any case, next to any punctuation or symbol.

A declared name matches where no letter or digit touches it (`-Maria`, `Maria&Omar`, `~~Maria~~`,
`__Maria__`, `Maria's`, `"Maria"`), in any case (`MARIA`, `maria`), on the normalised text (so an
NFD `José` is `José`). A full name matches whole and by its parts (`Maria Lopez`, `Maria`,
`Lopez`), with any spacing between the parts.

The one exception, the rule for names that are also common English words (`Will`, `Grace`,
`May`, `Bill`, `Rose`, ...): such a name is replaced only where it is written with a capital
first letter (`Will got 12 apples`, `Thanks, Will!`, `WILL`), never in lower case (`I will
help`, `by the grace of`). A sentence that starts with the word itself (`Will you help?`) is
therefore redacted too: over-redacting a word is the safe side of the promise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from edukit.redact.textmap import match_form

# English words that are also given names, beyond the stop words (checked in lower case).
_COMMON_WORDS = """
    will may grace bill mark rose june april august joy hope faith dawn summer autumn winter
    spring max sky rain river jack pat sue don art rob ray gene guy frank chase hunter miles
    jade ruby amber pearl iris lily violet holly ivy daisy heather olive hazel sage rich sunny
    brook cliff dale glen wade drew rod penny candy carol harmony melody honey angel star
    destiny justice liberty trinity genesis major king prince reign royal noble bishop baker
    mason cooper carter taylor parker archer fisher gray grey brown black white green young
    long short can an so ash reed rusty buck bud dusty doc hardy lane page storm wolf eve
    jean sandy patience prudence charity constance verity felicity sterling bay blue cash
    chance colt crew dash fox jay kit lark lyric mac mercy nick stone tad bo do ha ho tu ai
    le my in on to is it as at be by he we me no or us am go up"""
COMMON_WORDS = frozenset(_COMMON_WORDS.split())
_STOP_WORDS: frozenset[str] | None = None


def common_words() -> frozenset[str]:
    """COMMON_WORDS and spaCy's English stop words (loaded once, only when names are declared)."""
    global _STOP_WORDS
    if _STOP_WORDS is None:
        try:
            from spacy.lang.en.stop_words import STOP_WORDS
        except ImportError:  # pragma: no cover - spaCy is a dependency
            STOP_WORDS = set()
        _STOP_WORDS = COMMON_WORDS | frozenset(w.lower() for w in STOP_WORDS)
    return _STOP_WORDS


def name_phrases(name: str) -> list[str]:
    """A declared name and, for a full name, each part of it ("Maria Lopez", "Maria", "Lopez")."""
    name = " ".join(match_form(str(name)).split())
    if not name:
        return []
    parts = [p for p in name.split(" ") if len(p) > 1 and any(c.isalpha() for c in p)]
    return list(dict.fromkeys([name, *parts] if len(parts) > 1 else [name]))


def _pattern(phrase: str, common: frozenset[str]) -> str:
    words = phrase.split(" ")
    body = r"\s+".join(re.escape(w) for w in words)
    if len(words) == 1 and phrase.casefold() in common:
        first, rest = phrase[0], phrase[1:]
        return rf"(?-i:{re.escape(first.upper())})(?i:{re.escape(rest)})"
    return body


class NameMatcher:
    """Finds declared names; one compiled pattern per distinct set of names (cached)."""

    def __init__(self) -> None:
        self._cache: dict[frozenset[str], re.Pattern | None] = {}

    def phrases(self, names: Iterable[str]) -> frozenset[str]:
        """The phrases to look for: every name and its parts, normalised."""
        return frozenset(p for n in names for p in name_phrases(n))

    def pattern(self, phrases: frozenset[str]) -> re.Pattern | None:
        if phrases not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            if not phrases:
                self._cache[phrases] = None
            else:
                common = common_words()
                alts = [_pattern(p, common) for p in sorted(phrases, key=lambda p: (-len(p), p))]
                self._cache[phrases] = re.compile(
                    r"(?<![^\W_])(?:" + "|".join(alts) + r")(?![^\W_])", re.IGNORECASE
                )
        return self._cache[phrases]

    def find(self, text: str, phrases: frozenset[str]) -> Iterator[tuple[int, int]]:
        """Spans of the declared names in normalised `text`."""
        pattern = self.pattern(phrases)
        if pattern is None:
            return
        for m in pattern.finditer(text):
            yield m.start(), m.end()
