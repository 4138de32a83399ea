"""Regular expressions for the rule-based entity types, and the checks a match must pass.

They run on the normalised text (`edukit.redact.textmap`), case-insensitively: e-mails with an
optional `mailto:` scheme and in the obfuscated spellings people use (`maria at example dot com`,
`maria [at] example [dot] com`, `maria @ gmail.com`), URLs with any scheme or `www.`, or bare
`host.tld/path` on a known top-level domain, handles, IPv4 addresses, and phone numbers in the
shapes `phonenumbers` may reject as invalid (the fictional 555 numbers). Phone numbers are also
found by `phonenumbers` itself (`edukit.redact.phones`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Entity types found by the rules, and those an installed spaCy pipeline's NER can add.
RULE_TYPES = ("EMAIL", "URL", "PHONE", "HANDLE", "IP", "NAME")
MODEL_TYPES = ("PERSON", "GPE", "LOC", "ORG", "DATE")
ALL_TYPES = RULE_TYPES + MODEL_TYPES

# spaCy's list of top-level domains (the one its LIKE_URL uses) and a few common new ones.
_TLDS = """
    ac ad ae aero af ag ai al am an ao aq ar as asia at au aw ax az ba bb bd be bf bg bh bi biz
    bj bm bn bo br bs bt bv bw by bz ca cat cc cd cf cg ch ci ck cl cm cn co com coop cr cs cu cv
    cx cy cz dd de dj dk dm do dz ec edu ee eg eh er es et eu fi fj fk fm fo fr ga gb gd ge gf gg
    gh gi gl gm gn gov gp gq gr gs gt gu gw gy hk hm hn hr ht hu icu id ie il im in info int io iq
    ir is it je jm jo jobs jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma
    mc md me mg mh mil mk ml mm mn mo mobi mp mq mr ms mt mu museum mv mw mx my mz na name nc ne
    net nf ng ni nl no np nr nu nz om org pa pe pf pg ph pk pl pm pn pr pro ps pt pw py qa re ro
    rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sy sz tc td tel tf tg th tj
    tk tl tm tn to tp tr travel tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws xxx xyz
    ye yt za zm zw app dev online site tech store blog page link live"""
TLDS = frozenset(_TLDS.split())
# Bare `name.tld` tokens whose "TLD" is far more often a file extension in students' text.
FILE_EXTENSIONS = frozenset({"py", "md", "sh", "pl", "rs", "cc", "cpp", "js", "ts", "rb", "java"})
# Mail providers: `maria at gmail.com` is an address, `I'm at khanacademy.org` is not.
_MAIL_HOSTS = """
    gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol proton protonmail
    pm gmx web yandex mail qq 163 126 zoho fastmail"""
MAIL_HOSTS = frozenset(_MAIL_HOSTS.split())

_BR_OPEN, _BR_CLOSE = r"[\[(<{]", r"[\])>}]"
_AT = rf"(?:\s*@\s*|\s*{_BR_OPEN}\s*at\s*{_BR_CLOSE}\s*|\s+at\s+)"
_DOT = rf"(?:\.|\s*{_BR_OPEN}\s*dot\s*{_BR_CLOSE}\s*|\s+dot\s+)"
_LOCAL = rf"[\w+%-]+(?:{_DOT}[\w+%-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
EMAIL = re.compile(
    rf"(?<![\w.+%-])(?:mailto:\s*)?{_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[a-z]{{2,24}}"
    r"(?![\w@-])",
    re.IGNORECASE,
)
_URL_CHARS = r"[^\s<>\"'`{}|\\^]"
URL = re.compile(
    rf"(?:(?:https?|ftps?|sftp)://|(?<![\w.@/-])www\d?\.){_URL_CHARS}+"
    rf"|(?<![\w.@/:+-])(?:{_LABEL}\.)+[a-z]{{2,24}}(?::\d{{1,5}})?(?:/{_URL_CHARS}*)?",
    re.IGNORECASE,
)
# a handle has a letter (`@31` is "at 31:20") and is no formula (`@SUM(1)`)
HANDLE = re.compile(r"(?<![\w@.+-])@(?=[\w.]*[^\W\d])\w(?:[\w.]*\w)?(?![\w(])")
IP = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w]|\.\d)")
# Phone shapes: North American (with or without +1 and brackets), international with `+`,
# bare 10-11 digit runs, and seven-digit local numbers with a hyphen or dot. Separators are
# plain after normalisation (every dash is `-`, every space ` `).
_S = r"[ .-]"
PHONE = re.compile(
    rf"(?<![\w+.,/-])(?:tel:\s*)?(?:"
    rf"(?:\+?1{_S}?)?(?:\(\d{{3}}\) ?|\d{{3}}{_S})\d{{3}}{_S}\d{{4}}"
    rf"|\+\d{{1,3}}(?:{_S}?\(?\d{{1,5}}\)?){{1,6}}"
    r"|\+?1?\d{10}"
    r"|\d{3}[-.]\d{4}"
    r")(?![\w]|[.,/-]\d)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_~"
_OPERATORS = "=+*×÷<>%^$€£"


def digits(text: str) -> str:
    """The digits of `text` (a phone number's normal form)."""
    return "".join(c for c in text if c.isdigit())


def find(text: str, kinds: set[str]) -> Iterator[tuple[int, int, str]]:
    """Candidate spans (start, end, type) of the rule types in normalised `text`."""
    if "EMAIL" in kinds and ("@" in text or _maybe_obfuscated(text)):
        for s, e in _scan(EMAIL, text, _email_end):
            yield s, e, "EMAIL"
    if "URL" in kinds and "." in text:
        for s, e in _scan(URL, text, _url_end):
            yield s, e, "URL"
    if "HANDLE" in kinds and "@" in text:
        for m in HANDLE.finditer(text):
            yield m.start(), m.end(), "HANDLE"
    if "IP" in kinds and "." in text:
        for m in IP.finditer(text):
            host = m.group().split(":", 1)[0]
            if all(int(part) <= 255 for part in host.split(".")):
                yield m.start(), m.end(), "IP"
    if "PHONE" in kinds:
        for m in PHONE.finditer(text):
            if phone_shape(m.group()) and not arithmetic(text, m.start(), m.end()):
                yield m.start(), m.end(), "PHONE"


def _scan(pattern: re.Pattern, text: str, check) -> Iterator[tuple[int, int]]:
    """Matches that pass `check` (their kept length); a refused match does not hide a later
    one that starts inside it (`her at liang.wei@qq.com` is refused, `liang.wei@qq.com` kept)."""
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return
        end = check(m.group())
        if end:
            yield m.start(), m.start() + end
            pos = m.start() + end
        else:
            pos = m.start() + 1


_OBFUSCATION = re.compile(r"(?i)\bat\b")


def _maybe_obfuscated(text: str) -> bool:
    return _OBFUSCATION.search(text) is not None


def _email_end(value: str) -> int:
    """The length of the address in an EMAIL match (0: not one)."""
    low = value.lower()
    plain = re.fullmatch(r"(?:mailto:\s*)?[\w.+%-]+@[\w.-]+", low) is not None
    tld = re.split(r"\.|\s|[\])>}]", low)[-1]
    if plain:
        return len(value) if not low.endswith(".") else 0
    if tld not in TLDS:
        return 0
    at = re.search(rf"(?i){_AT}", value)
    if at is None:
        return 0
    sep = at.group().strip().lower()
    domain = value[at.end() :].lower()
    if sep == "at":  # the plain word: an obfuscated domain or a mail provider's
        host = re.split(r"\.|\s", domain)[0]
        if not re.search(rf"(?i){_BR_OPEN}?\s*dot\b", domain) and host not in MAIL_HOSTS:
            return 0
    return len(value)


def _url_end(value: str) -> int:
    """The length of the URL in a URL match without trailing punctuation (0: not one)."""
    end = len(value)
    while end and (
        value[end - 1] in _TRAILING
        or (value[end - 1] in ")]}" and _unbalanced(value[:end], value[end - 1]))
    ):
        end -= 1
    url = value[:end]
    low = url.lower()
    if "://" in low or low.startswith("www"):
        return end if re.search(r"(?:://|\.)\w", low) else 0
    host = low.split("/", 1)[0].split(":", 1)[0]
    tld = host.rsplit(".", 1)[-1]
    if tld not in TLDS or ("/" not in url and tld in FILE_EXTENSIONS):
        return 0
    if "/" not in url:  # a bare host: not two sentences missing their space
        written = url.split(":", 1)[0].rsplit(".", 1)[-1]
        labels = host.split(".")
        if written[:1].isupper() and written[1:].islower():  # `origin.Am`, `here.My`
            return 0
        if len(labels[0]) < 2 or (len(labels) == 2 and tld in _WORD_TLDS):  # `P.So`, `it.it`
            return 0
    return end


# top-level domains that are English words: `lecture.it` is more often a lost space
_WORD_TLDS = frozenset(
    ["it", "is", "in", "am", "my", "so", "to", "me", "no", "be", "do", "go", "us", "at", "as",
     "by", "an", "or", "on", "if", "he", "we", "hi", "ok", "id", "im", "la", "ma", "pa"]
)  # fmt: skip


def _unbalanced(text: str, close: str) -> bool:
    opening = {")": "(", "]": "[", "}": "{"}[close]
    return text.count(close) > text.count(opening)


def phone_shape(value: str) -> bool:
    """Digits a phone number can have: 7 (local, with a hyphen or dot) or 8 to 15."""
    n = len(digits(value))
    if value.count("(") != value.count(")"):
        return False
    return n == 7 or 10 <= n <= 15 or (value.lstrip().startswith(("+", "tel:")) and n >= 8)


def arithmetic(text: str, start: int, end: int) -> bool:
    """Whether a number at text[start:end] is a term of arithmetic or money, not a phone."""
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    if before and before[-1] in _OPERATORS:
        return True
    if before.endswith(("-", "x", "X", "/")) and (
        before[:-1].rstrip()[-1:].isdigit() or before[:-1].rstrip().endswith(("$", "="))
    ):
        return True
    if after and after[0] in "=*×÷<>^":
        return True
    return bool(after) and after[0] in "+-x/" and after[1:].lstrip()[:1].isdigit()


_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_YEARS = re.compile(r"(?<!\d)(?:1[89]|20)\d\d ?[-/] ?(?:(?:1[89]|20)\d\d|\d\d)(?!\d)")


def looks_like_date(value: str) -> bool:
    """`06.11.2020`, `2021-10-11`, `13/06/2015`, or a national number holding a range of years
    (`(3) 2005-2007`): a date, whatever a region's numbering allows."""
    value = value.strip()
    if _DATE.fullmatch(value) is not None:
        return True
    return not value.startswith(("+", "tel:")) and _YEARS.search(value) is not None


def trim_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without an opening or closing bracket it does not close or open:
    `(+33 1 23 45 67 89` in `call me (+33 1 23 45 67 89)` is `+33 1 23 45 67 89`."""
    value = text[start:end]
    while value.startswith("(") and value.count("(") > value.count(")"):
        start, value = start + 1, value[1:]
    while value.endswith(")") and value.count(")") > value.count("("):
        end, value = end - 1, value[:-1]
    return start, end


def plausible_national(text: str, start: int, end: int) -> bool:
    """Whether a number libphonenumber found is written as people write phone numbers, not as a
    run of small numbers: only the first group may have one digit, one kind of separator
    between the groups (not `3.5 10`), no time or decimal glued on (`19:40`, `10.5`).
    A number with its `+` country code always is."""
    value = text[start:end]
    if value.startswith(("+", "tel:")):
        return True
    groups = re.findall(r"\d+", value)
    if any(len(g) < 2 for g in groups[1:]):
        return False
    if len(groups) == 1 and len(groups[0]) < 9:  # `01010101`, `2294272`: a number, not a phone
        return False
    if set("".join(groups)) <= {"0", "1"}:  # binary digits
        return False
    seps = set("".join(re.findall(r"\d\)?([ .-]+)\(?(?=\d)", value)))
    if "." in seps and (" " in seps or "-" in seps or any(len(g) > 4 for g in groups)):
        return False  # `3.5 10`, `120100.0208`: decimals
    # a decimal point before it (`.0208`, `4.0020822`), not a sentence's (`Committee.99404...`)
    after, before = text[end : end + 2], text[:start][-2:]
    return re.match(r"[:.,]\d", after) is None and re.search(r"(^|[\d\s])[.,:]$", before) is None
