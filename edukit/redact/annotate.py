"""Redaction in front of the annotation engine: items and few-shot examples, one profile.

`Redaction(profile).wrap(items)` streams the items redacted (each carrying its counts per entity
type for the run store); `.rubric(rubric)` is the rubric with its few-shot examples redacted by
the same profile (its `hash` stays the rubric file's). `.totals` and `.examples` say what was
done so far, for the dry run.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from edukit.redact.corpus import text_fields
from edukit.redact.profile import RedactionProfile
from edukit.redact.redactor import Redactor

REDACTION_KEY = "_edukit_redaction"  # = edukit.annotate.recorder.REDACTION_KEY
EXAMPLES = 3


class Redaction:
    """One redaction profile applied to the items of a run and to its rubric's examples."""

    def __init__(
        self,
        profile: RedactionProfile,
        declared: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.redactor = Redactor(profile)
        self.profile = self.redactor.profile  # with the spaCy pipeline's version filled in
        self.declared = declared
        self.totals: Counter = Counter()
        self.items = 0
        self.items_redacted = 0
        self.examples: list[tuple[str, str]] = []  # (item_id, redacted text) of the first few
        self.fields: list[str] = []  # the rubric's text and context fields, once known

    def wrap(self, items: Any, limit: int | None = None) -> _Redacted:
        """`items` (a DataFrame or iterable of dicts) redacted lazily, keeping `len` if known;
        only the first `limit` are read, so the counts are those of the items sent."""
        return _Redacted(self, items, limit)

    def _stream(self, items: Any, limit: int | None = None) -> Iterator[dict[str, Any]]:
        from edukit.annotate.identity import limited

        rows = limited(items, limit)
        first = next(rows, None)
        if first is None:
            return
        fields = text_fields(list(first))
        fields += [f for f in self.fields if f in first and f not in fields]

        def again() -> Iterator[dict[str, Any]]:
            yield first
            yield from rows

        for red in self.redactor.redact_items(again(), fields, self.declared):
            self.items += 1
            self.totals.update(red.counts)
            if red.counts:
                self.items_redacted += 1
                if len(self.examples) < EXAMPLES and "text" in red.changed:
                    self.examples.append((str(red.item.get("item_id")), red.item["text"]))
            red.item[REDACTION_KEY] = dict(red.counts)
            yield red.item

    def rubric(self, rubric: Any) -> Any:
        """A copy of `rubric` whose few-shot examples (item fields, reasoning) are redacted.

        The rubric's text and context fields are redacted in the items too.
        """
        text_field = getattr(rubric, "text_field", None)
        self.fields = [f for f in [text_field, *getattr(rubric, "context_fields", [])] if f]
        if not getattr(rubric, "examples", None):
            return rubric
        out = copy.copy(rubric)
        out.__class__ = _redacted_class(type(rubric))
        out._edukit_source_hash = rubric.hash
        examples = []
        for example in rubric.examples:
            item = dict(example.item)
            keys = [k for k, v in item.items() if isinstance(v, str) and v]
            texts = [item[k] for k in keys]
            reasoning = example.reasoning
            if isinstance(reasoning, str) and reasoning:
                texts.append(reasoning)
            from edukit.redact.redactor import Placeholders

            scope = Placeholders()  # one example, one scope: its text and reasoning agree
            done = self.redactor.redact_texts(texts, placeholders=scope)
            for k, (text, _) in zip(keys, done, strict=False):
                item[k] = text
            update: dict[str, Any] = {"item": item}
            if isinstance(reasoning, str) and reasoning:
                update["reasoning"] = done[-1][0]
            examples.append(example.model_copy(update=update))
        out.examples = examples
        return out


class _Redacted:
    def __init__(self, redaction: Redaction, items: Any, limit: int | None) -> None:
        self._redaction = redaction
        self._items = items
        self._limit = limit

    def __len__(self) -> int:
        n = len(self._items)
        return n if self._limit is None else min(n, self._limit)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._redaction._stream(self._items, self._limit)


_CLASSES: dict[type, type] = {}


def _redacted_class(base: type) -> type:
    """A subclass of the rubric's class whose `hash` stays that of the rubric file."""
    if base not in _CLASSES:
        _CLASSES[base] = type(
            f"Redacted{base.__name__}",
            (base,),
            {"hash": property(lambda self: self._edukit_source_hash)},
        )
    return _CLASSES[base]
