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


def read_marked(path) -> list[str]:
    """The marked lines of a labelled file (a `\\n` in a line is a line break of the text)."""
    from pathlib import Path

    text = Path(path).read_text("utf-8")
    return [line.replace("\\n", "\n") for line in text.splitlines() if line.strip()]


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
    return {kind: _row(tp[kind], fp[kind], fn[kind], tp[kind]) for kind in types}


def score_covered(
    gold: Sequence[Marked], found: Sequence[Iterable[tuple[int, int, str]]], types: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """The privacy view, per type: a gold value is caught when found spans (of any type) cover
    every one of its characters; a found span is right when it overlaps a gold span (the
    conventions about a `tel:` prefix or a bracket no longer count)."""
    caught, missed, right, wrong = Counter(), Counter(), Counter(), Counter()
    for g, f in zip(gold, found, strict=True):
        f = list(f)
        for s, e, kind in g.spans:
            covered = all(any(a <= i < b for a, b, _ in f) for i in range(s, e))
            (caught if covered else missed)[kind] += 1
        for a, b, kind in f:
            hit = any(a < e and s < b for s, e, _ in g.spans)
            (right if hit else wrong)[kind] += 1
    return {kind: _row(caught[kind], wrong[kind], missed[kind], right[kind]) for kind in types}


def _row(tp: int, fp: int, fn: int, right: int) -> dict[str, float | int | None]:
    """One type's counts, precision and recall; `right` found spans count for precision (the
    found spans that are not `fp`: `tp` itself when spans are matched one to one)."""
    found, support = right + fp, tp + fn
    return {
        "support": support,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": right / found if found else None,
        "recall": tp / support if support else None,
    }


def evaluate(redactor, lines: Sequence[str]) -> tuple[dict, list[tuple[str, str, str]]]:
    """Score `redactor` on marked lines; also the misses and false alarms as (kind, type, text)."""
    gold = [parse_marked(line) for line in lines]
    return evaluate_finder(redactor.spans, gold)


def evaluate_finder(
    finder, gold: Sequence[Marked], covered: bool = False
) -> tuple[dict, list[tuple[str, str, str]]]:
    """Score any `finder(text) -> [(start, end, type)]` (edukit's rules, Presidio's, ...);
    strictly, or by `score_covered` when `covered`."""
    found, errors = [], []
    for g in gold:
        spans = set(finder(g.text))
        found.append(spans)
        for s, e, kind in sorted(set(g.spans) - spans):
            errors.append(("missed", kind, g.text[s:e]))
        for s, e, kind in sorted(spans - set(g.spans)):
            errors.append(("false alarm", kind, g.text[s:e]))
    types = sorted({k for g in gold for *_, k in g.spans} | {k for f in found for *_, k in f})
    return (score_covered if covered else score)(gold, found, types), errors
