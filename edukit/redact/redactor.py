"""The redactor: rules (`patterns`, `phones`, `names`) on the normalised text, and optionally an
installed spaCy pipeline's NER, replacing personal information with stable typed placeholders
such as `[NAME_1]`, `[EMAIL_2]` in the text as written.

Placeholders are numbered per type in order of first appearance within a scope (an item, or a
dialogue), so the same value gets the same placeholder wherever it recurs in that scope.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edukit.errors import RedactError
from edukit.redact.names import NameMatcher
from edukit.redact.patterns import (
    MODEL_TYPES,
    arithmetic,
    digits,
    looks_like_date,
    plausible_national,
    trim_brackets,
)
from edukit.redact.patterns import find as find_rules
from edukit.redact.phones import find_phones, parse_regions
from edukit.redact.profile import RedactionProfile
from edukit.redact.textmap import match_form, normalise

BATCH = 512  # texts per nlp.pipe batch
ITEM_CHUNK = 256  # items redacted together when streaming


@dataclass
class Placeholders:
    """Value → placeholder for one scope: `[TYPE_n]`, n counting distinct values per type."""

    seen: dict[tuple[str, str], str] = field(default_factory=dict)
    counters: Counter = field(default_factory=Counter)

    def get(self, kind: str, value: str) -> str:
        key = (kind, normal_form(kind, value))
        if key not in self.seen:
            self.counters[kind] += 1
            self.seen[key] = f"[{kind}_{self.counters[kind]}]"
        return self.seen[key]


def normal_form(kind: str, value: str) -> str:
    """What makes two spellings the same value: digits for phones, case-folded text otherwise."""
    if kind == "PHONE":
        d = digits(value)
        return d[-10:] if len(d) > 10 else d  # "+1 555 123 4567" is "555-123-4567"
    text = match_form(value).casefold()
    if kind == "EMAIL":
        text = re.sub(r"^mailto:\s*", "", text)
        text = re.sub(r"\s*[\[(<{]?\s*\bat\b\s*[\])>}]?\s*|\s*@\s*", "@", text)
        text = re.sub(r"\s*[\[(<{]?\s*\bdot\b\s*[\])>}]?\s*", ".", text)
    return " ".join(text.split()).rstrip(".")


@dataclass
class Redacted:
    """One redacted item: the item with its text fields replaced, and counts per entity type."""

    item: dict[str, Any]
    counts: Counter
    changed: list[str] = field(default_factory=list)  # the fields whose text changed


Span = tuple[int, int, str]  # start, end (characters of the text as written), entity type


class Redactor:
    """Finds and replaces the entity types of a `RedactionProfile` in texts and items."""

    def __init__(self, profile: RedactionProfile) -> None:
        self.nlp = None  # an installed spaCy pipeline, only for its named entities
        if profile.spacy_model:
            self.nlp = load_pipeline(profile.spacy_model)
            version = str(self.nlp.meta.get("version", ""))
            name = str(self.nlp.meta.get("name", ""))
            lang = str(self.nlp.meta.get("lang", ""))
            profile = dataclasses.replace(
                profile, spacy_model_version=f"{lang}_{name}-{version}" if name else version
            )
            self._disable = [p for p in self.nlp.pipe_names if not _needed(p)]
        self.profile = profile
        self.kinds = set(profile.entities)
        self.regions = parse_regions(profile.phone_regions)
        self._names = NameMatcher()
        self.global_names = self._names.phrases(profile.names)

    # declared names ---------------------------------------------------------------------------
    def names_key(self, names: Iterable[str]) -> frozenset[str]:
        """The name phrases to match for a set of declared names, with the profile's own."""
        return self._names.phrases(names) | self.global_names

    # finding ----------------------------------------------------------------------------------
    def find(
        self, text: str, names: frozenset[str] | None = None, ents: Iterable[Any] = ()
    ) -> list[Span]:
        """The spans to replace in `text` (characters as written), sorted, without overlaps.

        Matching runs on the normalised text; `ents` are a spaCy pipeline's entities of `text`.
        """
        norm = normalise(text)
        found: list[Span] = list(find_rules(norm.text, self.kinds))
        if "PHONE" in self.kinds:
            for s, e in find_phones(norm.text, self.regions):
                s, e = trim_brackets(norm.text, s, e)
                if (
                    not arithmetic(norm.text, s, e)
                    and not looks_like_date(norm.text[s:e])
                    and plausible_national(norm.text, s, e)
                ):
                    if norm.text[max(0, s - 4) : s].lower() == "tel:":
                        s -= 4
                    found.append((s, e, "PHONE"))
        if "NAME" in self.kinds:
            phrases = self.global_names if names is None else names
            found += [(s, e, "NAME") for s, e in self._names.find(norm.text, phrases)]
        spans = [(*norm.span(s, e), kind) for s, e, kind in found]
        for ent in ents:
            if ent.label_ in MODEL_TYPES and ent.label_ in self.kinds:
                spans.append((ent.start_char, ent.end_char, ent.label_))
        return _without_overlaps(spans)

    def spans(self, text: str, names: frozenset[str] | None = None) -> list[Span]:
        """`find` with the pipeline's entities when the profile has one."""
        ents = self.nlp(text).ents if self.nlp is not None else ()
        return self.find(text, names, ents)

    @staticmethod
    def replace(text: str, spans: Sequence[Span], placeholders: Placeholders) -> str:
        """`text` with each span replaced by its placeholder; every other character kept."""
        parts, at = [], 0
        for start, end, kind in spans:
            parts.append(text[at:start])
            parts.append(placeholders.get(kind, text[start:end]))
            at = end
        parts.append(text[at:])
        return "".join(parts)

    # public entry points ----------------------------------------------------------------------
    def redact(self, text: str, placeholders: Placeholders | None = None) -> tuple[str, Counter]:
        """One text redacted (its own placeholder scope unless one is given), and its counts."""
        return self.redact_texts([text], placeholders=placeholders)[0]

    def redact_texts(
        self,
        texts: Sequence[str],
        names: Sequence[Iterable[str]] | None = None,
        placeholders: Placeholders | None = None,
    ) -> list[tuple[str, Counter]]:
        """Many texts; each its own placeholder scope unless `placeholders` is shared."""
        for n, text in enumerate(texts):
            if not isinstance(text, str):
                raise RedactError(f"text {n + 1} is not a string ({type(text).__name__})")
        keys = [self.names_key(ns) for ns in names] if names is not None else None
        out = []
        for n, (text, ents) in enumerate(zip(texts, self._ents(texts), strict=True)):
            spans = self.find(text, keys[n] if keys is not None else None, ents)
            scope = placeholders if placeholders is not None else Placeholders()
            out.append((self.replace(text, spans, scope), Counter(k for *_, k in spans)))
        return out

    def _ents(self, texts: Sequence[str]) -> Iterable[Any]:
        if self.nlp is None:
            return [()] * len(texts)
        docs = self.nlp.pipe(texts, batch_size=BATCH, disable=self._disable)
        return (doc.ents for doc in docs)

    def redact_items(
        self,
        items: Iterable[Mapping[str, Any]],
        fields: Sequence[str] = ("text",),
        declared: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[Redacted]:
        """Items with their `fields` redacted, streamed in chunks.

        `text` must be a string; other fields are redacted when they are strings and kept as
        they are otherwise (a number, a missing value). `declared` maps a `dialogue_id` to the
        names that dialogue declares (MathDial's student names). With the profile's scope
        `dialogue`, placeholders are shared by the items of a dialogue (by its `dialogue_id`,
        whatever the order of the rows); ids are never touched.
        """
        scopes: dict[str, Placeholders] = {}
        chunk: list[dict[str, Any]] = []
        for item in items:
            chunk.append(dict(item))
            if len(chunk) >= ITEM_CHUNK:
                yield from self._chunk(chunk, fields, declared, scopes)
                chunk = []
        if chunk:
            yield from self._chunk(chunk, fields, declared, scopes)

    def _chunk(self, chunk, fields, declared, scopes) -> Iterator[Redacted]:
        keys = [self._declared(item, declared) for item in chunk]
        # Each distinct (text, declared names) is matched once per chunk: SIGHT's text and
        # comment are one string, MathDial repeats question and solution every turn.
        unique: dict[tuple[str, frozenset[str]], int] = {}
        jobs: list[tuple[int, list[str], int]] = []  # (item, its fields with that text, text)
        for i, item in enumerate(chunk):
            if "text" in fields and not isinstance(item.get("text"), str):
                value = item.get("text")
                raise RedactError(
                    f"item {item.get('item_id', i)!s}: text is not a string "
                    f"({type(value).__name__})"
                )
            same: dict[str, list[str]] = {}
            for f in fields:
                if isinstance(item.get(f), str) and item[f]:
                    same.setdefault(item[f], []).append(f)
            for text, names in same.items():
                jobs.append((i, names, unique.setdefault((text, keys[i]), len(unique))))
        texts = [t for t, _ in unique]
        found = [
            self.find(text, key, ents)
            for (text, key), ents in zip(unique, self._ents(texts), strict=True)
        ]
        counts = [Counter() for _ in chunk]
        changed: list[list[str]] = [[] for _ in chunk]
        item_scopes = [self._scope(item, scopes) for item in chunk]
        for i, names, n in jobs:
            spans = found[n]
            redacted = self.replace(texts[n], spans, item_scopes[i])
            counts[i].update(k for *_, k in spans)  # once per distinct text
            for f in names:
                chunk[i][f] = redacted
                if spans:
                    changed[i].append(f)
        for item, c, f in zip(chunk, counts, changed, strict=True):
            yield Redacted(item, c, f)

    def _scope(self, item: Mapping[str, Any], scopes: dict[str, Placeholders]) -> Placeholders:
        if self.profile.scope != "dialogue":
            return Placeholders()
        if "dialogue_id" not in item:
            raise RedactError(
                "placeholders per dialogue need a dialogue_id column (MathDial items have one)"
            )
        # Keyed by the dialogue, never by adjacency: rows of one dialogue may come in any order.
        return scopes.setdefault(str(item["dialogue_id"]), Placeholders())

    def _declared(self, item: Mapping[str, Any], declared) -> frozenset[str]:
        if not declared or not self.profile.corpus_names:
            return self.global_names
        return self.names_key(declared.get(str(item.get("dialogue_id", "")), ()))


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """The longest spans first (the earlier of equal ones), then in text order."""
    taken: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
            taken.append(span)
    return sorted(taken)


def _needed(component: str) -> bool:
    # The parser, tagger and lemmatizer only cost time here; everything else may feed the NER.
    return component not in _UNNEEDED


_UNNEEDED = frozenset(
    {"parser", "tagger", "morphologizer", "lemmatizer", "attribute_ruler", "senter"}
)


def load_pipeline(name: str) -> Any:
    """An installed spaCy pipeline (package name or a directory); one line when it is missing."""
    import spacy

    try:
        return spacy.load(name)
    except OSError:
        raise RedactError(
            f"spaCy pipeline {name!r} is not installed: install it first, e.g. "
            f"`python -m spacy download {name}` (or pip install the pipeline's wheel), "
            "or give the path of a saved pipeline"
        ) from None
