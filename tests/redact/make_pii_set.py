"""Write tests/redact/data/pii_sentences.txt: the labelled redaction test set (run by hand).

Synthetic tutoring turns and lecture comments; every PII span is marked inline as
`{{TYPE|value}}`. Types the rule profile should find: EMAIL, URL, PHONE, HANDLE, IP, NAME (a
name declared in names.txt). PERSON and ORG mark undeclared names and schools, which only a
statistical pipeline can find: they are measured to say what the rules miss. Hard negatives
(arithmetic, times, versions, decimals, file names) carry no marks. Values and templates are
written by hand below; a fixed seed pairs them, so the file is the same on every run.
"""

from __future__ import annotations

import random
from pathlib import Path

EMAILS = [
    "maria.lopez@gmail.com",
    "j.smith42@school.edu",
    "TUTOR.HELP@Example.ORG",
    "kevin_b+math@outlook.com",
    "a.okafor@student.uni-koeln.de",
    "liang.wei@qq.com",
    "priya.r@k12.ca.us",
    "sam-o@mail.co.uk",
    "noor99@yahoo.fr",
    "teacher.ann@lincoln-high.org",
]
URLS = [
    "https://www.khanacademy.org/math/algebra",
    "http://example.com/hw?id=42&x=1",
    "www.desmos.com/calculator",
    "mit.edu/18.06",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://docs.google.com/document/d/1AbC/edit",
    "bit.ly/3xYz9",
    "tinyurl.com/mathhelp",
    "https://github.com/sam/proofs",
    "http://192.0.2.5/notes",
]
PHONES = [
    "555-123-4567",
    "(555) 123-4567",
    "555.123.4567",
    "+1 555 123 4567",
    "+44 20 7946 0958",
    "5551234567",
    "1-800-555-0199",
    "+15551234567",
    "07700 900123",
    "555-0199",
    "+49 30 1234 5678",
    "(212) 555-0147",
]
HANDLES = ["@maria_k99", "@bob.smith", "@mathwhiz", "@Priya_R", "@kev_b", "@noor.codes"]
IPS = ["192.168.0.1", "10.0.0.255", "172.16.254.3", "203.0.113.77:8080"]
NAMES = ["Maria", "Cody", "Priya", "Kevin", "Noor", "Liang", "Mateo", "Aisha", "Jonas", "Emily"]
UNDECLARED = ["Tom", "Fatima", "Lucas", "Hannah", "Diego"]
SCHOOLS = ["Lincoln High", "Roosevelt Middle School", "Oakwood Academy"]

TUTORING = [
    "Teacher: Hi {NAME}, could you walk me through your solution?",
    "Student: I'm {NAME} and I got 42 pens because 24 + 18 = 42.",
    "Teacher: Good try, {NAME}! What is half of a dozen?",
    "Student: {NAME} here, my mom says to email her at {EMAIL} about the homework.",
    "Teacher: {NAME}, you can send your work to {EMAIL} before Friday.",
    "Student: can you call me at {PHONE}? my internet is slow",
    "Teacher: If the video call drops, phone me on {PHONE}.",
    "Student: i put my notes on {URL} if u want to see",
    "Teacher: Try the practice set at {URL} and tell me how it goes, {NAME}.",
    "Student: follow me {HANDLE} lol",
    "Student: my discord is {HANDLE} and my email is {EMAIL}",
    "Teacher: The class server is at {IP}, log in with your student id.",
    "Student: it says cannot connect to {IP} again",
    "Teacher: So {NAME}, what do you get when you multiply 12 x 2?",
    "Student: {NAME}'s answer was 30 but I think it's 36.",
    "Student: sorry {NAME} is my sister, she used my account",
    "Teacher: Thanks {NAME}. Let's check 2 x 12 = 24 together.",
    "Student: ok {NAME} will text you at {PHONE} later",
    "Teacher: Well done {NAME}, 30 pens is right.",
    "Student: my teacher {PERSON} at {ORG} said to use {URL}",
    "Student: I asked {PERSON} and she said the answer is 18.",
    "Teacher: Is {NAME} still there? Let's continue with step 2.",
    "Student: you can reach my dad at {EMAIL} or {PHONE}",
    "Student: {NAME}: I divided 100 by 4 and got 25.",
    "Teacher: Message me on {HANDLE} if you get stuck, {NAME}.",
]
COMMENTS = [
    "Great lecture! My notes are at {URL}",
    "If anyone wants a study group email me {EMAIL}",
    "Prof explains it so well. Join our discord {URL}",
    "I'm {NAME} from {ORG}, this saved my exam",
    "Call {PHONE} for free tutoring (not a scam)",
    "Follow {HANDLE} for more linear algebra memes",
    "17:32 is where it clicked for me. Thanks {PERSON}!",
    "Anyone else here from {ORG}? Text me at {PHONE}",
    "The slides are on {URL} and the problem sets on {URL}",
    "My server at {IP} mirrors these videos",
    "Contact {EMAIL} for the solutions manual",
    "{NAME} and I watched this together before the final",
    "Watching in 2024, still the best explanation. Hi {HANDLE}!",
    "Shoutout to {NAME} who sent me this link: {URL}",
    "For the proof at 23:10 see {URL}",
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
    "Teacher: Can you compute 100 / 4 and 25 * 4?",
    "Student: round(sqrt(100/math.pi), 2) = 5.64",
    "He said MIT OpenCourseWare is free for everyone.",
    "Page 555 of the textbook, exercise 123.",
    "Student: The ratio is 3:4 and 12:16 is the same ratio.",
    "Teacher: Let's start from the beginning, what does the question ask?",
    "This video has 1,234,567 views and counting.",
    "Student: 10 - 2 - 3 = 5 apples left for the class.",
    "The room number is 2-104 in building 7.",
    "Version 1.2.3.4 of the software was released in 2019.",
]
# What the rules are expected to miss (pii_hard.txt): obfuscated or spelled-out contact details.
HARD = [
    "Student: email me at {{EMAIL|maria dot lopez at gmail dot com}}",
    "Student: my number is {{PHONE|five five five one two three four}}",
    "Student: add me on insta {{HANDLE|maria_k99}}",
    "Student: my site is {{URL|mariasmath . com}}",
    "Student: call {{PHONE|555 1234}} after school",
]


def fill(template: str, rng: random.Random) -> str:
    out = template
    for kind, pool, mark in (
        ("EMAIL", EMAILS, "EMAIL"),
        ("URL", URLS, "URL"),
        ("PHONE", PHONES, "PHONE"),
        ("HANDLE", HANDLES, "HANDLE"),
        ("IP", IPS, "IP"),
        ("NAME", NAMES, "NAME"),
        ("PERSON", UNDECLARED, "PERSON"),
        ("ORG", SCHOOLS, "ORG"),
    ):
        while "{" + kind + "}" in out:
            out = out.replace("{" + kind + "}", "{{" + mark + "|" + rng.choice(pool) + "}}", 1)
    return out


def main() -> None:
    rng = random.Random(17)
    lines = []
    for _ in range(5):
        lines += [fill(t, rng) for t in TUTORING]
        lines += [fill(t, rng) for t in COMMENTS]
    # every listed value at least once, in a plain sentence
    for e in EMAILS:
        lines.append(f"Student: my email is {{{{EMAIL|{e}}}}}.")
    for u in URLS:
        lines.append(f"Check this out: {{{{URL|{u}}}}}")
    for p in PHONES:
        lines.append(f"Teacher: my office line is {{{{PHONE|{p}}}}}.")
    for h in HANDLES:
        lines.append(f"Student: dm me {{{{HANDLE|{h}}}}}")
    for n in NAMES:
        lines.append(
            f"Teacher: {n.lower()} are you still there? {{{{NAME|{n.upper()}}}}} wrote 42."
        )
    lines += NEGATIVES
    # a lower-case name mark must be put back where the name is written in lower case
    fixed = []
    for line in lines:
        for n in NAMES:
            line = line.replace(
                f"Teacher: {n.lower()} are", f"Teacher: {{{{NAME|{n.lower()}}}}} are"
            )
        fixed.append(line)
    out = Path(__file__).parent / "data" / "pii_sentences.txt"
    out.write_text("\n".join(fixed) + "\n", encoding="utf-8")
    (Path(__file__).parent / "data" / "names.txt").write_text(
        "# declared names for pii_sentences.txt\n" + "\n".join(NAMES) + "\n", encoding="utf-8"
    )
    hard = Path(__file__).parent / "data" / "pii_hard.txt"
    hard.write_text("\n".join(HARD) + "\n", encoding="utf-8")
    print(f"wrote {len(fixed)} sentences to {out} and {len(HARD)} to {hard}")


if __name__ == "__main__":
    main()
