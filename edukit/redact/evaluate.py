"""Precision and recall of a redaction profile on text with its PII spans marked.

A marked line writes each span inline as `{{TYPE|value}}`. Scoring is per entity, by exact
character span and type (the strict criterion of de-identification shared tasks such as
i2b2 2014): a found span that is one character off counts as a false positive and a miss.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edukit.errors import InputError

_MARK = re.compile(r"\{\{([A-Z]+)\|(.+?)\}\}")


@dataclass(frozen=True)
class Marked:
    """One line of a labelled set: the plain text and its gold spans (start, end, type)."""

    text: str
    spans: tuple[tuple[int, int, str], ...]


def parse_marked(line: str) -> Marked:
    """`"Hi {{NAME|Cody}}!"` → Marked("Hi Cody!", ((3, 7, "NAME"),))."""
    text, spans, at = [], [], 0
    length = 0
    for m in _MARK.finditer(line):
        before = line[at : m.start()]
        text.append(before)
        length += len(before)
        value = m.group(2)
        spans.append((length, length + len(value), m.group(1)))
        text.append(value)
        length += len(value)
        at = m.end()
    text.append(line[at:])
    plain = "".join(text)
    if "{{" in plain or "}}" in plain:
        raise InputError(f"unbalanced mark in {line!r}")
    return Marked(plain, tuple(spans))


def score(
    gold: Sequence[Marked], found: Sequence[Iterable[tuple[int, int, str]]], types: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Per type: support, true/false positives, misses, precision and recall (None when 0/0)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, f in zip(gold, found, strict=True):
        gs, fs = set(g.spans), set(f)
        for _, _, kind in gs & fs:
            tp[kind] += 1
        for _, _, kind in fs - gs:
            fp[kind] += 1
        for _, _, kind in gs - fs:
            fn[kind] += 1
    out = {}
    for kind in types:
        p_den, r_den = tp[kind] + fp[kind], tp[kind] + fn[kind]
        out[kind] = {
            "support": r_den,
            "tp": tp[kind],
            "fp": fp[kind],
            "fn": fn[kind],
            "precision": tp[kind] / p_den if p_den else None,
            "recall": tp[kind] / r_den if r_den else None,
        }
    return out


def evaluate(redactor, lines: Sequence[str]) -> tuple[dict, list[tuple[str, str, str]]]:
    """Score `redactor` on marked lines; also the misses and false alarms as (kind, type, text)."""
    gold = [parse_marked(line) for line in lines]
    return evaluate_finder(redactor.spans, gold)


def evaluate_finder(finder, gold: Sequence[Marked]) -> tuple[dict, list[tuple[str, str, str]]]:
    """Score any `finder(text) -> [(start, end, type)]` (edukit's rules, Presidio's, ...)."""
    found, errors = [], []
    for g in gold:
        spans = set(finder(g.text))
        found.append(spans)
        for s, e, kind in sorted(set(g.spans) - spans):
            errors.append(("missed", kind, g.text[s:e]))
        for s, e, kind in sorted(spans - set(g.spans)):
            errors.append(("false alarm", kind, g.text[s:e]))
    types = sorted({k for g in gold for *_, k in g.spans} | {k for f in found for *_, k in f})
    return score(gold, found, types), errors
