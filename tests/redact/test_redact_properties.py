"""Property tests: whatever surrounds them, e-mails and phones are replaced, one placeholder per
distinct value, and the text between them is left exactly as it was (arithmetic signs next to a
number are left out: a number after "=" is a result, not a phone; see test_redact.py)."""

from __future__ import annotations

import re
import string
import unicodedata

import phonenumbers as pn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from edukit.redact import Redactor, make_profile
from edukit.redact.evaluate import parse_marked
from edukit.redact.phones import DEFAULT_REGIONS

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


# --- issue 22 ------------------------------------------------------------------------------------

DECLARED = ["Maria", "Omar", "José", "Zoë", "Renée", "Björn", "Anne-Marie", "O'Brien", "Liang"]
NAMED = Redactor(make_profile(names=tuple(DECLARED)))
# every ASCII punctuation mark and a broad set of Unicode punctuation and symbols
SYMBOLS = list(string.punctuation) + list(
    "“”‘’«»‹›„‚—–‐‑…•·¡¿©®™°±§¶€£¥¢†‡※′″〈〉「」『』【】《》→←↑↓✓✔✗★☆♥❤🙂👍"
)
AROUND = st.text(alphabet=SYMBOLS, min_size=0, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(DECLARED),
    st.sampled_from(["NFC", "NFD"]),
    st.sampled_from(["as declared", "upper", "lower"]),
    AROUND,
    AROUND,
    st.sampled_from(["", "ok", "thanks", "hi all,"]),
    st.sampled_from(["", "bye", "said 12.", "wrote it"]),
)
def test_declared_name_with_any_adjacent_symbol_is_replaced(name, form, case, pre, post, a, b):
    written = {"as declared": name, "upper": name.upper(), "lower": name.lower()}[case]
    written = unicodedata.normalize(form, written)
    head = f"{a} " if a else ""
    tail = f" {b}" if b else ""
    text = f"{head}{pre}{written}{post}{tail}"
    out, _ = NAMED.redact(text)
    flat = unicodedata.normalize("NFC", out).casefold()
    assert unicodedata.normalize("NFC", name).casefold() not in flat, (text, out)
    # only the name (with an @ before it: a handle) is replaced; every other character stays
    assert out.startswith(head) and out.endswith(tail), (text, out)
    expected = re.escape(f"{head}{pre}") + r"(@)?\[(NAME|HANDLE)_1\]" + re.escape(f"{post}{tail}")
    assert re.fullmatch(expected, out) or "@" in pre, (text, out)


PHONE_FORMATS = [
    pn.PhoneNumberFormat.E164,
    pn.PhoneNumberFormat.INTERNATIONAL,
    pn.PhoneNumberFormat.NATIONAL,
    pn.PhoneNumberFormat.RFC3966,
]


@st.composite
def valid_numbers(draw):
    region = draw(st.sampled_from(DEFAULT_REGIONS))
    kind = draw(st.sampled_from([pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.MOBILE]))
    example = pn.example_number_for_type(region, kind)
    national = str(example.national_number)
    k = draw(st.integers(2, min(5, len(national) - 2)))
    tail = draw(st.text(alphabet="0123456789", min_size=k, max_size=k))
    number = pn.parse(national[:-k] + tail, region)
    assume(pn.is_valid_number(number))
    return region, number


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    valid_numbers(),
    st.sampled_from(PHONE_FORMATS),
    st.sampled_from(["call me at {} tonight", "{}", "phone: {}.", "(mobile {})", "tel {}, ok"]),
)
def test_any_valid_number_of_a_listed_region_in_any_format_is_replaced(number, fmt, sentence):
    region, num = number
    written = pn.format_number(num, fmt)
    text = sentence.format(written)
    out, _ = RED.redact(text)
    assert out == sentence.format("[PHONE_1]"), (region, written, out)


WORDS_22 = (
    ["the", "answer", "is", "half", "of", "a", "dozen", "I", "will", "help", "you", "may", "go",
     "by", "grace", "look", "at", "dot", "product", "café", "naïve", "über", "Ωmega", "日本",
     "🙂", "x", "=", "+", "-", "*", "/", "(3)", "ok,", "so.", "3.5", "1/2", "e.g.", "i.e.",
     "solve.py", "v1.2", "19:40", "2005-2007", "$12", "50%", "#3", "A1:A10", "=SUM(A1)", "@", "--",
     "~~", "**", "__", "«", "»", "—", "…"]
)  # fmt: skip
VOCAB = st.sampled_from(WORDS_22)
SEPARATORS = st.sampled_from([" ", "  ", ", ", ". ", "\n", "\t", "\u00a0", " \u200b", " \u2014 "])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(VOCAB, SEPARATORS, st.integers(0, 99) | st.none()), max_size=12),
    st.sampled_from(["NFC", "NFD"]),
)
def test_text_without_planted_values_is_unchanged_byte_for_byte(parts, form):
    # numbers never touch each other (a word always between them), so no phone can form
    text = "".join(w + sep + ("" if n is None else f"{n} ") for w, sep, n in parts)
    text = unicodedata.normalize(form, text)
    out, counts = NAMED.redact(text)
    assert out == text and not counts, (text, out)
    assert out.encode("utf-8") == text.encode("utf-8")
