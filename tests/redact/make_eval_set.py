"""Write tests/redact/data/eval_set.txt: the labelled evaluation set of issue 22 (run by hand).

Realistic comments, chat turns and forum posts in the spellings people write: sign-offs,
greetings, @handles, lists of names, possessives, quotes and markdown around names, names typed
in decomposed Unicode (NFD, as pasted from macOS) or in capitals, declared names that are also
common words (capitalised: a name; in lower case: the word, unmarked), e-mails in any case with
`mailto:`/`email:` prefixes and obfuscated (`maria at example dot com`), URLs in any case,
phone numbers of fifteen countries in their national and international forms (and E.164,
`tel:` URIs, the fictional 555 numbers), and hard negatives (arithmetic, dates, prices,
versions, the words `at` and `dot` in prose). Each PII span is marked inline as
`{{TYPE|value}}`. Conventions: a `mailto:` or `tel:` scheme belongs to its span (one URI), a
label word (`email:`, `phone:`) does not; trailing punctuation is never part of a URL.

Phone numbers come from `phonenumbers`' example numbers of each region with random subscriber
digits, kept only when libphonenumber finds them valid; a fixed seed makes the file the same on
every run. The declared names are written to data/eval_names.txt.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import phonenumbers as pn
from phonenumbers import PhoneNumberFormat, PhoneNumberType

HERE = Path(__file__).parent / "data"
REGIONS = ["US", "GB", "IE", "AU", "NZ", "IN", "ZA", "NG", "DE", "FR", "ES", "IT", "NL", "BR", "MX"]
NAMES = ["Maria", "Omar", "Priya", "Kevin", "Noor", "Liang", "Mateo", "Aisha", "Jonas", "Emily",
         "José", "Zoë", "Renée", "Björn", "Chloé", "Seán", "Anne-Marie", "O'Brien"]  # fmt: skip
COMMON = ["Will", "Grace", "May"]  # declared names that are also common English words
FULL = ["Maria Lopez", "Omar Haddad", "Priya Raman"]
HANDLES = ["@maria_k99", "@bob.smith", "@mathwhiz", "@Priya_R", "@kev_b", "@noor.codes",
           "@Omar", "@MariaL"]  # fmt: skip
USERS = ["maria.lopez", "j.smith42", "TUTOR.HELP", "kevin_b+math", "a.okafor", "liang.wei",
         "priya.r", "sam-o", "noor99", "teacher.ann"]  # fmt: skip
DOMAINS = ["gmail.com", "school.edu", "Example.ORG", "outlook.com", "student.uni-koeln.de",
           "qq.com", "k12.ca.us", "mail.co.uk", "yahoo.fr", "Mail.CS.Stanford.EDU"]  # fmt: skip
URLS = ["https://www.khanacademy.org/math/algebra", "HTTPS://EXAMPLE.COM/u/kim99",
        "Http://Example.com/hw?id=42&x=1", "www.desmos.com/calculator", "WWW.Desmos.COM",
        "mit.edu/18.06", "https://youtu.be/dQw4w9WgXcQ", "bit.ly/3xYz9", "tinyurl.com/mathhelp",
        "https://github.com/sam/proofs", "http://192.0.2.5/notes", "ftp://files.example.org/a.pdf",
        "https://docs.google.com/document/d/1AbC/edit#heading=h.x"]  # fmt: skip
FICTIONAL = ["555-123-4567", "(555) 123-4567", "(555)123-4567", "555.123.4567",
             "+1 555 123 4567", "1-800-555-0199", "+15551234567", "555-0199"]  # fmt: skip


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def phones(rng: random.Random) -> list[tuple[str, str]]:
    """(region, number as written) for every region: national, international, E.164, tel:."""
    out = []
    for region in REGIONS:
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            example = pn.example_number_for_type(region, kind)
            for _ in range(3):
                number = None
                for _ in range(50):
                    digits = str(example.national_number)
                    k = rng.randint(3, 5)
                    digits = digits[:-k] + "".join(str(rng.randint(0, 9)) for _ in range(k))
                    cand = pn.parse(digits, region)
                    if pn.is_valid_number(cand):
                        number = cand
                        break
                if number is None:
                    continue
                out.append((region, pn.format_number(number, PhoneNumberFormat.NATIONAL)))
                out.append((region, pn.format_number(number, PhoneNumberFormat.INTERNATIONAL)))
                fmt = rng.choice([PhoneNumberFormat.E164, PhoneNumberFormat.RFC3966])
                out.append((region, pn.format_number(number, fmt)))
    return out


def mark(kind: str, value: str) -> str:
    return "{{" + kind + "|" + value + "}}"


def email(rng: random.Random) -> str:
    user, domain = rng.choice(USERS), rng.choice(DOMAINS)
    form = rng.randrange(9)
    if form == 0:
        return f"{user}@{domain}".upper()
    if form == 1:
        return "mailto:" + f"{user}@{domain}"
    if form == 2:
        return f"{user.split('.')[0].split('_')[0]} at {domain.split('.')[0].lower()} dot com"
    if form == 3:
        return f"{user} [at] {domain.lower().replace('.', ' [dot] ')}"
    if form == 4:
        return f"{user}(at){domain.lower().replace('.', '(dot)')}"
    if form == 5:
        return f"{user.replace('.', ' dot ')} at {domain.lower().replace('.', ' dot ')}"
    if form == 6:
        return f"{user} @ gmail.com"
    return f"{user}@{domain}"


EMAIL_T = [
    "Student: my email is {EMAIL}",
    "email: {EMAIL}",
    "email:{EMAIL_PLAIN}",
    "Contact me ({EMAIL}) if the link breaks.",
    "You can reach my mom at {EMAIL}, she checks it daily.",
    "E-MAIL ME AT {EMAIL} !!!",
    "reply to <{EMAIL_PLAIN}> please",
    "[{EMAIL_PLAIN}](mailto:{EMAIL_SAME})",
]
URL_T = [
    "Great lecture! My notes are at {URL}",
    "see {URL}.",
    "link: {URL}, it helped",
    "(source: {URL})",
    "watch this {URL}!!",
    "[slides]({URL})",
    "I uploaded it to {URL} yesterday",
]
PHONE_T = [
    "Student: call me at {PHONE} after school",
    "phone: {PHONE}",
    "my number is {PHONE}.",
    "Text {PHONE}, I'm usually up late",
    "whatsapp me ({PHONE}) for the answers",
    "Office: {PHONE} / ext 12",
]
NAME_T = [
    "Thanks! -{N}",
    "see you tomorrow --{N}",
    "Cheers,\n{N}",
    "Best, {N}",
    "— {N}",
    "~{N}",
    "Hi {N}!",
    "Hey {N}, can you help?",
    "Dear {N}:",
    "good morning {n}!!",
    "{N}: I divided 100 by 4 and got 25.",
    "{N}'s answer was 30 but I think it's 36.",
    "I liked {N}\u2019s idea",
    '"{N}" said the answer is 12',
    "\u201c{N}\u201d was right",
    "(with {N})",
    "~~{N}~~ is not in our group anymore",
    "**{N}** explained it best",
    "_{N}_ did the proof",
    "{N}&{N2} worked together",
    "{N};{N2};{N3}",
    "{N}, {N2} and {N3} came to the study group",
    "{N}/{N2} pair up",
    "sorry {N} is my sister, she used my account",
    "Is {N} still there?",
    "{NUP} WHERE ARE YOU",
    "ok {N}.",
    "group: [{N}, {N2}]",
    "{N}+{N2} = best team",
]
HANDLE_T = ["follow me {H} lol", "dm {H}", "{H} thanks for the tip!", "cc {H} and {H2}"]
COMMON_T = ["{C} got 12 apples.", "Thanks, {C}!", "I think {C} is right", "{C}: the answer is 7"]
# the same words as words, in lower case: never redacted
COMMON_WORDS_T = [
    "I will help you with question 3",
    "It may take a while.",
    "by the grace of the teacher, we passed",
    "you will see, it may rain",
]
NEGATIVES = [
    "Student: 450-150-36-50-20-10 = 184 so there are 184 left.",
    "Student: I think 2 x 12 = 24 and 24 + 6 = 30.",
    "Teacher: What is 3.5 times 2?",
    "Student: 1 2 3 4 5 6 7 8 9 10 11 12, so twelve eggs.",
    "At 19:40 he writes the determinant formula.",
    "Python 3.11.4 gives a different answer than 2.7.18.",
    "Run solve.py and then open notes.md to see the result.",
    "The answer is 0.5, i.e. 1/2, e.g. half of the pizza.",
    "Lecture 18.06 covers determinants; lecture 18.02 covers Stokes.",
    "Student: 2005-2007 was when the price went from 120 to 150.",
    "round(sqrt(100/math.pi), 2) = 5.64",
    "This video has 1,234,567 views and counting.",
    "The room number is 2-104 in building 7.",
    "costs $555 1234 5678 in total",
    "4 x 3000 = $12000\n 12000",
    "$26880 - $16128 = $10752.",
    "uploaded 2021-10-11, watched 13/06/2015 and 06.11.2020",
    "look at the dot product of a and b",
    "I'm at school, at home at 5",
    "ISBN 978-3-16-148410-0",
    "12345678 + 87654321 = 99999999",
    "the limit at x = 0 is 1",
    "I will help you, you may ask, by the grace of practice.",
    "20220527 is the file name",
    "=SUM(A1:A10) and @SUM(1) in the spreadsheet",
    "see page 555, exercise 123",
    "pi = 3.14159265358979",
]


def main() -> None:
    rng = random.Random(22)
    nums = phones(rng)
    lines: list[str] = []

    def name(form: str = "") -> str:
        n = rng.choice(NAMES + FULL)
        if form == "up":
            n = n.upper()
        elif form == "low":
            n = n.lower()
        elif rng.random() < 0.25:
            n = nfd(n)
        return n

    for _ in range(11):
        for t in NAME_T:
            line = t
            for key in ("{N}", "{N2}", "{N3}"):
                line = line.replace(key, mark("NAME", name()), 1)
            line = line.replace("{n}", mark("NAME", name("low")))
            line = line.replace("{NUP}", mark("NAME", name("up")))
            lines.append(line)
    for _ in range(6):
        for t in COMMON_T:
            lines.append(t.replace("{C}", mark("NAME", rng.choice(COMMON))))
        lines += COMMON_WORDS_T
    for _ in range(14):
        for t in EMAIL_T:
            plain = f"{rng.choice(USERS)}@{rng.choice(DOMAINS)}"
            line = t.replace("{EMAIL}", mark("EMAIL", email(rng)))
            line = line.replace("{EMAIL_SAME}", plain)
            line = line.replace("{EMAIL_PLAIN}", mark("EMAIL", plain))
            if "(mailto:" in line:  # the link target is the mailto: URI
                uri = "(" + mark("EMAIL", "mailto:" + plain) + ")"
                line = line.replace(f"(mailto:{plain})", uri)
            lines.append(line)
    for _ in range(8):
        for t in URL_T:
            lines.append(t.replace("{URL}", mark("URL", rng.choice(URLS))))
    for _region, number in nums:
        lines.append(rng.choice(PHONE_T).replace("{PHONE}", mark("PHONE", number)))
    for number in FICTIONAL:
        for t in PHONE_T[:3]:
            lines.append(t.replace("{PHONE}", mark("PHONE", number)))
    for _ in range(6):
        for t in HANDLE_T:
            h1, h2 = rng.sample(HANDLES, 2)
            lines.append(t.replace("{H}", mark("HANDLE", h1)).replace("{H2}", mark("HANDLE", h2)))
    # mixed turns: a name, a contact and a number that is not one
    for _ in range(120):
        n = mark("NAME", name())
        e = mark("EMAIL", email(rng))
        p = mark("PHONE", rng.choice(nums)[1])
        lines.append(
            rng.choice(
                [
                    f"{n} here, mail {e} or call {p}; I got 24 + 18 = 42.",
                    f"Hi all, {n} again. New number {p}, email {e}.",
                    f"{e} / {p} -{n}",
                ]
            )
        )
    lines += NEGATIVES * 3
    HERE.mkdir(exist_ok=True)
    (HERE / "eval_set.txt").write_text("\n".join(_one_line(x) for x in lines) + "\n", "utf-8")
    names = sorted({*NAMES, *COMMON, *FULL})
    (HERE / "eval_names.txt").write_text(
        "# declared names for eval_set.txt (make_eval_set.py)\n" + "\n".join(names) + "\n",
        "utf-8",
    )
    print(f"wrote {len(lines)} sentences to {HERE / 'eval_set.txt'}")


def _one_line(text: str) -> str:
    # one sentence per line in the file: a line break inside a sentence is written as \\n
    # (edukit.redact.evaluate.read_marked turns it back)
    return text.replace("\n", "\\n")


if __name__ == "__main__":
    main()
