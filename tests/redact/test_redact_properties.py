"""Property tests: whatever surrounds them, e-mails and phones are replaced, one placeholder per
distinct value, and the text between them is left exactly as it was (arithmetic signs next to a
number are left out: a number after "=" is a result, not a phone; see test_redact.py)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.redact import Redactor, make_profile
from edukit.redact.evaluate import parse_marked

RED = Redactor(make_profile())
WORDS = st.sampled_from(
    ["the", "answer", "is", "12", "times", "24", "ok,", "so", "half", "of", "(3)", "dozen."]
)
EMAILS = st.from_regex(
    r"[a-z][a-z0-9_]{0,6}(\.[a-z0-9]{1,5})?@[a-z]{2,8}\.(com|org|edu|de)", fullmatch=True
)
PHONES = st.builds(
    lambda a, b, c, fmt: fmt.format(a, b, c),
    st.integers(200, 999),
    st.integers(200, 999),
    st.integers(1000, 9999),
    st.sampled_from(["{}-{}-{}", "({}) {}-{}", "{}.{}.{}", "+1 {} {} {}"]),
)


PARTS = st.one_of(WORDS, EMAILS.map(lambda e: ("EMAIL", e)), PHONES.map(lambda p: ("PHONE", p)))
MARKED = st.one_of(
    st.text(alphabet="ab ,.", max_size=5),
    st.tuples(st.sampled_from(["NAME", "URL"]), st.text(alphabet="xyz@.", min_size=1, max_size=6)),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(PARTS, WORDS), min_size=1, max_size=8))
def test_contacts_replaced_and_the_rest_kept(pairs):
    # a word after each part: two phone numbers with only a space between read as one number
    words, values = [], []
    for p, word in pairs:
        if isinstance(p, tuple):
            values.append(p)
            words.append(p[1])
        else:
            words.append(p)
        words.append(word)
    text = " ".join(words)
    redacted, counts = RED.redact(text)
    for _, value in values:
        assert value not in redacted
    assert counts.get("EMAIL", 0) == sum(k == "EMAIL" for k, _ in values)
    assert counts.get("PHONE", 0) == sum(k == "PHONE" for k, _ in values)
    emails = {v.casefold() for k, v in values if k == "EMAIL"}
    assert len(set(re.findall(r"\[EMAIL_\d+\]", redacted))) == len(emails)
    # the words around them are untouched: putting the values back gives the text
    pattern = re.escape(redacted)
    pattern = re.sub(r"\\\[(EMAIL|PHONE)_\d+\\\]", "(.+?)", pattern)
    assert re.fullmatch(pattern, text)


@given(st.lists(MARKED, max_size=8))
def test_parse_marked_round_trip(parts):
    line, plain, spans = "", "", []
    for p in parts:
        if isinstance(p, tuple):
            kind, value = p
            spans.append((len(plain), len(plain) + len(value), kind))
            line += "{{" + kind + "|" + value + "}}"
            plain += value
        else:
            line += p
            plain += p
    m = parse_marked(line)
    assert m.text == plain and list(m.spans) == spans
