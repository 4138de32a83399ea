"""The redactor: spaCy's tokenizer and matchers (and optionally an installed pipeline's NER)
replacing personal information with stable typed placeholders such as `[NAME_1]`, `[EMAIL_2]`.

Placeholders are numbered per type in order of first appearance within a scope (an item, or a
dialogue), so the same value gets the same placeholder wherever it recurs in that scope.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edukit.errors import RedactError
from edukit.redact.patterns import MODEL_TYPES, PATTERNS, digits, valid
from edukit.redact.profile import RedactionProfile

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
    return " ".join(value.split()).casefold().rstrip(".")


@dataclass
class Redacted:
    """One redacted item: the item with its text fields replaced, and counts per entity type."""

    item: dict[str, Any]
    counts: Counter
    changed: list[str] = field(default_factory=list)  # the fields whose text changed


class Redactor:
    """Finds and replaces the entity types of a `RedactionProfile` in texts and items."""

    def __init__(self, profile: RedactionProfile) -> None:
        import spacy
        from spacy.matcher import Matcher, PhraseMatcher

        if profile.spacy_model:
            self.nlp = load_pipeline(profile.spacy_model)
            version = str(self.nlp.meta.get("version", ""))
            name = str(self.nlp.meta.get("name", ""))
            lang = str(self.nlp.meta.get("lang", ""))
            profile = dataclasses.replace(
                profile, spacy_model_version=f"{lang}_{name}-{version}" if name else version
            )
            self._disable = [p for p in self.nlp.pipe_names if not _needed(p)]
        else:
            self.nlp = spacy.blank("en")
            self._disable = []
        self.profile = profile
        self.kinds = set(profile.entities)
        self.matcher = Matcher(self.nlp.vocab)
        for kind, patterns in PATTERNS.items():
            if kind in self.kinds:
                self.matcher.add(kind, patterns)
        self._names_lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._names_exact = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self._added: set[str] = set()
        self.global_names = frozenset(self._add_names(profile.names))

    # declared names ---------------------------------------------------------------------------
    def _add_names(self, names: Iterable[str]) -> set[str]:
        """Register names with the phrase matchers; returns their keys (case-folded phrases)."""
        keys: set[str] = set()
        for name in names:
            for phrase in _name_phrases(name):
                key = phrase.casefold()
                keys.add(key)
                if key in self._added:
                    continue
                self._added.add(key)
                doc = self.nlp.make_doc(phrase)
                # A name that is also a common word ("Will", "May") must keep its capital.
                common = len(doc) == 1 and doc[0].is_stop
                (self._names_exact if common else self._names_lower).add(key, [doc])
        return keys

    def names_key(self, names: Iterable[str]) -> frozenset[str]:
        """The keys to match for a set of names (registering any new ones)."""
        return frozenset(self._add_names(names)) | self.global_names

    # finding ----------------------------------------------------------------------------------
    def spans(self, doc: Any, names: frozenset[str] | None = None) -> list[Any]:
        """The entity spans to replace in `doc` (labelled by type), without overlaps."""
        from spacy.tokens import Span
        from spacy.util import filter_spans

        found = []
        strings = self.nlp.vocab.strings
        for match_id, start, end in self.matcher(doc):
            kind = strings[match_id]
            span = Span(doc, start, end, label=kind)
            if valid(kind, span):
                found.append(span)
        if "NAME" in self.kinds:
            allowed = self.global_names if names is None else names
            for matcher in (self._names_lower, self._names_exact):
                for match_id, start, end in matcher(doc):
                    if strings[match_id] in allowed:
                        found.append(Span(doc, start, end, label="NAME"))
        for ent in doc.ents:
            if ent.label_ in MODEL_TYPES and ent.label_ in self.kinds:
                found.append(ent)
        return sorted(filter_spans(found), key=lambda s: s.start)

    def replace(self, doc: Any, spans: Sequence[Any], placeholders: Placeholders) -> str:
        """`doc`'s text with each span replaced by its placeholder."""
        text, parts, at = doc.text, [], 0
        for span in spans:
            parts.append(text[at : span.start_char])
            parts.append(placeholders.get(span.label_, span.text))
            at = span.end_char
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
        """Many texts through `nlp.pipe`; each its own scope unless `placeholders` is shared."""
        for n, text in enumerate(texts):
            if not isinstance(text, str):
                raise RedactError(f"text {n + 1} is not a string ({type(text).__name__})")
        keys = [self.names_key(ns) for ns in names] if names is not None else None
        out = []
        for n, doc in enumerate(self.nlp.pipe(texts, batch_size=BATCH, disable=self._disable)):
            spans = self.spans(doc, keys[n] if keys is not None else None)
            scope = placeholders if placeholders is not None else Placeholders()
            out.append((self.replace(doc, spans, scope), Counter(s.label_ for s in spans)))
        return out

    def redact_items(
        self,
        items: Iterable[Mapping[str, Any]],
        fields: Sequence[str] = ("text",),
        declared: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[Redacted]:
        """Items with their `fields` redacted, streamed in chunks through `nlp.pipe`.

        `text` must be a string; other fields are redacted when they are strings and kept as
        they are otherwise (a number, a missing value). `declared` maps a `dialogue_id` to the
        names that dialogue declares (MathDial's student names). With the profile's scope
        `dialogue`, placeholders are shared by the items of a dialogue; ids are never touched.
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
        # Each distinct (text, declared names) is tokenized and matched once per chunk: SIGHT's
        # text and comment are one string, MathDial repeats question and solution every turn.
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
        docs = self.nlp.pipe([t for t, _ in unique], batch_size=BATCH, disable=self._disable)
        found = [(doc, self.spans(doc, k)) for doc, (_, k) in zip(docs, unique, strict=True)]
        counts = [Counter() for _ in chunk]
        changed: list[list[str]] = [[] for _ in chunk]
        item_scopes = [self._scope(item, scopes) for item in chunk]
        for i, names, n in jobs:
            doc, spans = found[n]
            redacted = self.replace(doc, spans, item_scopes[i])
            counts[i].update(s.label_ for s in spans)  # once per distinct text
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
        key = str(item["dialogue_id"])
        if key not in scopes:
            scopes.clear()  # items of a dialogue are contiguous: keep one scope in memory
            scopes[key] = Placeholders()
        return scopes[key]

    def _declared(self, item: Mapping[str, Any], declared) -> frozenset[str]:
        if not declared or not self.profile.corpus_names:
            return self.global_names
        return self.names_key(declared.get(str(item.get("dialogue_id", "")), ()))


def _name_phrases(name: str) -> list[str]:
    """A declared name and, for a full name, each part of it ("Maria Lopez", "Maria", "Lopez")."""
    name = " ".join(str(name).split())
    if not name:
        return []
    parts = [p for p in name.split(" ") if len(p) > 1 and any(c.isalpha() for c in p)]
    return list(dict.fromkeys([name, *parts] if len(parts) > 1 else [name]))


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
