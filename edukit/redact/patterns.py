"""spaCy token patterns for the rule-based entity types, and the checks a match must pass.

Every pattern runs on the tokens of spaCy's rule-based English tokenizer (`spacy.blank("en")`
or the tokenizer of an installed pipeline). The tokenizer keeps e-mail addresses, URLs, handles
and IP addresses as one token and splits phone numbers at hyphens, brackets and spaces, so
phones are matched as token sequences and then checked by their digits.
"""

from __future__ import annotations

import itertools
from typing import Any

# Entity types found by the rules, and those an installed spaCy pipeline's NER can add.
RULE_TYPES = ("EMAIL", "URL", "PHONE", "HANDLE", "IP", "NAME")
MODEL_TYPES = ("PERSON", "GPE", "LOC", "ORG", "DATE")
ALL_TYPES = RULE_TYPES + MODEL_TYPES

# Bare `name.tld` tokens whose "TLD" is far more often a file extension in students' text.
FILE_EXTENSIONS = frozenset({"py", "md", "sh", "pl", "rs", "cc", "cpp", "js", "ts", "rb", "java"})

_DIGITS = r"^\+?\d{1,6}$"
# digits, separators (also the non-breaking hyphen and en dash), or a no-break space token
# (never a line break: numbers on two lines are two numbers)
_PHONE_PART = {"TEXT": {"REGEX": r"^(\+?\d{1,6}|[-.()/\u2010\u2011\u2013]|[\u00a0\u202f]+)$"}}
_EMAIL = r"^[\w.+%-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}$"
_EMAIL_HEAD = r"^[\w.+%-]+@[\w-]+(\.[\w-]+)*$"
_IPV4 = r"^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$"

PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    # LIKE_EMAIL, and the upper-case spellings its lower-case pattern leaves out (the tokenizer
    # splits "X@Example.ORG" at the full stop before a capital, so a sequence is matched too).
    "EMAIL": [
        [{"LIKE_EMAIL": True}],
        [{"TEXT": {"REGEX": _EMAIL}}],
        [{"TEXT": {"REGEX": _EMAIL_HEAD}}, {"ORTH": "."}, {"TEXT": {"REGEX": r"^[A-Za-z]{2,}$"}}],
    ],
    "URL": [
        [{"LIKE_URL": True}],
        # a scheme glued to text ("watchhttps://...", "(PDF)](https://...") and the path
        # tokens glued after it, which the tokenizer split at slashes
        [{"TEXT": {"REGEX": r"https?://\w"}}, {"IS_SPACE": False, "OP": "*"}],
    ],
    "HANDLE": [[{"TEXT": {"REGEX": r"^@[A-Za-z0-9_][A-Za-z0-9_.]*$"}}]],
    "IP": [[{"TEXT": {"REGEX": _IPV4}}]],
    "PHONE": [
        # one token: 5551234567, 15551234567, +445551234567, 555.123.4567 (not 13-digit ISBNs)
        [{"TEXT": {"REGEX": r"^(1?\d{10}|\+\d{10,15}|\d{3}\.\d{3}\.\d{4})$"}}],
        # a sequence: (555) 123-4567, +1 555 123 4567, 1-800-555-0199, 555-0199
        [{"ORTH": "(", "OP": "?"}, {"TEXT": {"REGEX": _DIGITS}}, {**_PHONE_PART, "OP": "{1,9}"}],
    ],
}


def digits(text: str) -> str:
    """The digits of `text` (a phone number's normal form)."""
    return "".join(c for c in text if c.isdigit())


def valid(kind: str, span: Any) -> bool:
    """Whether a candidate match of `kind` is one: the checks token patterns cannot express."""
    if kind == "PHONE":
        return _valid_phone(span)
    if kind == "EMAIL":
        return not any(t.whitespace_ for t in span[:-1])
    if kind == "IP":
        host = span.text.split(":", 1)[0]
        return all(int(part) <= 255 for part in host.split("."))
    if kind == "URL":
        text = span.text
        if len(span) > 1:  # glued tokens: no space inside, no closing punctuation at the end
            return not any(t.whitespace_ for t in span[:-1]) and not (
                span[-1].is_punct or span[-1].is_bracket or span[-1].is_quote
            )
        if text.startswith("www.") or "://" in text:
            return True
        # A bare `host/path`: the host must end in a known top-level domain ("math.pi" is code).
        tld = text.split("/", 1)[0].split(":", 1)[0].rsplit(".", 1)[-1].lower()
        return tld in _TLDS and ("/" in text or tld not in FILE_EXTENSIONS)
    return True


def _tlds() -> frozenset[str]:
    try:  # spaCy's own list, the one its LIKE_URL attribute uses
        from spacy.lang.lex_attrs import _tlds as tlds
    except ImportError:  # pragma: no cover - a future spaCy
        return frozenset({"com", "org", "net", "edu", "gov", "io", "uk", "de", "fr", "ca", "us"})
    return frozenset(tlds)


_TLDS = _tlds()


def _valid_phone(span: Any) -> bool:
    tokens = list(span)
    text = span.text
    doc = span.doc
    # A run of numbers must be matched whole: no digit or separator glued on either side, and
    # no arithmetic next to it ("450-150-36-50-20-10 =" is a calculation).
    before = doc[span.start - 1] if span.start > 0 else None
    after = doc[span.end] if span.end < len(doc) else None
    if before is not None and (
        _operator(before) or (not before.whitespace_ and _part(before.text))
    ):
        return False
    if after is not None and (_operator(after) or _glued_after(span, tokens[-1], after)):
        return False
    if not text[-1].isdigit() or not (text[0].isdigit() or text[0] in "+("):
        return False
    if len(tokens) == 1:  # the token pattern has checked the digits
        return True
    groups = [t.text.lstrip("+") for t in tokens if t.text.lstrip("+").isdigit()]
    seps = [t.text for t in tokens if not t.text.lstrip("+").isdigit()]
    if any(_sep(a.text) and _sep(b.text) for a, b in itertools.pairwise(tokens)):
        return False
    if text.count("(") != text.count(")"):
        return False
    if len(groups) > 5:
        return False
    n = sum(len(g) for g in groups)
    # Only the first group (a country or trunk code) may be a single digit: "1 2 3 4 5" is a list.
    if any(len(g) < 2 for g in groups[1:]):
        return False
    if 10 <= n <= 15:
        return True
    # A seven-digit local number needs a hyphen or dot: "555-0199", never "555 0199".
    return (
        n == 7
        and len(groups) == 2
        and [len(g) for g in groups] == [3, 4]
        and seps
        in (
            ["-"],
            ["."],
        )
    )


_OPERATORS = frozenset({"=", "+", "*", "×", "÷", "−", "<", ">", "%", "^", "$", "€", "£"})


def _operator(token: Any) -> bool:
    """An arithmetic sign; the letter x only after a number ("2 x 12", not "text x 555-...")."""
    if token.text in _OPERATORS:
        return True
    if token.lower_ != "x":
        return False
    i = token.i
    return i > 0 and token.doc[i - 1].text.replace(",", "").replace(".", "").isdigit()


def _glued_after(span: Any, last: Any, after: Any) -> bool:
    if last.whitespace_:
        return False
    if after.text == ".":  # a full stop ends the number unless more digits follow it
        nxt = span.doc[span.end + 1] if span.end + 1 < len(span.doc) else None
        return not after.whitespace_ and nxt is not None and nxt.text.isdigit()
    return _part(after.text)


def _sep(text: str) -> bool:
    return text in ("-", ".", "/", "\u2010", "\u2011", "\u2013")


def _part(text: str) -> bool:
    return text in ("-", ".", "/") or text.lstrip("+").isdigit()
