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
# spaCy's English stop words (spacy.lang.en.stop_words, copied: importing spaCy costs a second)
_STOP_WORDS = """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amount an and another any anyhow anyone anything anyway
    anywhere are around as at back be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond both bottom but by ca call
    can cannot could did do does doing done down due during each eight either eleven else
    elsewhere empty enough even ever every everyone everything everywhere except few fifteen
    fifty first five for former formerly forty four from front full further get give go had
    has have he hence her here hereafter hereby herein hereupon hers herself him himself his
    how however hundred i if in indeed into is it its itself just keep last latter latterly
    least less made make many may me meanwhile might mine more moreover most mostly move
    much must my myself name namely neither never nevertheless next nine no nobody none
    noone nor not nothing now nowhere of off often on once one only onto or other others
    otherwise our ours ourselves out over own part per perhaps please put quite rather re
    really regarding same say see seem seemed seeming seems serious several she should show
    side since six sixty so some somehow someone something sometime sometimes somewhere
    still such take ten than that the their them themselves then thence there thereafter
    thereby therefore therein thereupon these they third this those though three through
    throughout thru thus to together too top toward towards twelve twenty two under unless
    until up upon us used using various very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while
    whither who whoever whole whom whose why will with within without would yet you your
    yours yourself yourselves
"""


def common_words() -> frozenset[str]:
    """The words a declared name may also be: COMMON_WORDS and the English stop words."""
    return _COMMON


_COMMON = COMMON_WORDS | frozenset(_STOP_WORDS.split())


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
