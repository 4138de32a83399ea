"""Write the synthetic MathDial samples (test.csv, test.jsonl, example.jsonl) deterministically.

The dialogues are invented (not MathDial text) but use the published file formats and carry every
quirk of the real test split. Run from anywhere: `python datasets/mathdial/make_samples.py`.

- test.csv: GitHub CSV; every value text, missing annotations are empty cells, no final newline.
- test.jsonl: GitHub JSONL; qid and scenario ints, Likert floats, missing annotations null,
  ASCII-escaped (as json.dumps writes it).
- example.jsonl: Hugging Face JSONL; every value a string, newlines written as backslash-n.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "qid",
    "scenario",
    "question",
    "ground_truth",
    "student_incorrect_solution",
    "student_profile",
    "teacher_described_confusion",
    "self-correctness",
    "self-typical-confusion",
    "self-typical-interactions",
    "conversation",
]
EOM = "|EOM|"

PENS_Q = "Bruno wants to buy two and one-half dozens of pens. How many pens will he have?"
PENS_GT = "A dozen is 12, so two dozens are 24.\nHalf a dozen is 6.\nBruno has 24 + 6 = 30 pens.\n 30"
PENS_WRONG = (
    'Two dozens is 24 pens.\nOne and a half dozen is 18 pens.\nSo "two and one-half" is '
    "24 + 18 = 42 pens.\n 42"
)


def dialogue(
    qid: int,
    scenario: int,
    question: str,
    ground_truth: str,
    wrong: str,
    profile: str,
    confusion: str | None,
    correctness: str | None,
    typical_confusion: int | None,
    typical_interactions: int | None,
    turns: list[str],
) -> dict:
    return {
        "qid": qid,
        "scenario": scenario,
        "question": question,
        "ground_truth": ground_truth,
        "student_incorrect_solution": wrong,
        "student_profile": profile,
        "teacher_described_confusion": confusion,
        "self-correctness": correctness,
        "self-typical-confusion": None if typical_confusion is None else float(typical_confusion),
        "self-typical-interactions": (
            None if typical_interactions is None else float(typical_interactions)
        ),
        "conversation": EOM.join(turns),
    }


DIALOGUES = [
    # 0: a plain dialogue with all four moves
    dialogue(
        7000001,
        1,
        "Mia has 12 apples and gives 5 to Leo. How many apples does Mia have left?",
        "Mia has 12 - 5 = 7 apples left.\n 7",
        "Mia had 12 apples and got 5 more, so 12 + 5 = 17.\n 17",
        "Mariana is a 7th grade student. She mixes up adding and subtracting.",
        "added instead of subtracting",
        "Yes",
        4,
        4,
        [
            "Teacher: (generic)Hi Mariana, please talk me through your solution",
            "Student: I added 12 and 5 to get 17 apples.",
            "Teacher: (probing)Did Mia get apples or give them away?",
            "Student: She gave 5 away.",
            "Teacher: (focus)So should the number go up or down?",
            "Student: Down. 12 - 5 = 7.",
            "Teacher: (telling)Yes, giving away means we subtract: 7 apples.",
            "Student: Thank you!",
        ],
    ),
    # 1: student turns prefixed with the student's name (3 of 4), a trailing space before |EOM|
    dialogue(
        7000002,
        2,
        PENS_Q,
        PENS_GT,
        PENS_WRONG,
        "Cody is a 7th grade student. He struggles with fractions of a dozen.",
        "Added one and a half dozen instead of half a dozen.",
        "Yes, but I had to reveal the answer",
        3,
        2,
        [
            "Teacher: (generic)Hi Cody, could you walk me through your solution? ",
            "Cody: Sure! Two dozens is 24 and one and a half dozen is 18, so 42.",
            "Teacher: (focus)How many pens are in half a dozen?",
            "Cody: Half a dozen is 6 pens.",
            "Teacher: (telling)So two and a half dozen is 24 + 6 = 30. ",
            "Student: Oh, I see. 30 pens.",
            "Teacher: (generic)Well done.",
            "Cody: Thanks.",
        ],
    ),
    # 2: the same qid as dialogue 1 (qid is not unique); two tag-only teacher turns in a row
    dialogue(
        7000002,
        3,
        PENS_Q,
        PENS_GT,
        PENS_WRONG,
        "Luca is a 7th grade student. He struggles most with understanding the question.",
        "thought half a dozen was 18",
        "No",
        2,
        1,
        [
            "Teacher: (generic)Can you walk me through your solution?",
            "Student: I got 42 pens.",
            "Teacher: (probing)",
            "Teacher: (probing)",
            "Teacher: (probing)What is half of 12?",
            "Student: 6.",
        ],
    ),
    # 3: a second parenthetical right after the tag is text, not a move
    dialogue(
        7000003,
        4,
        "A bag holds 3 red and 4 blue marbles. How many marbles are in 5 bags?",
        "One bag holds 3 + 4 = 7 marbles.\nFive bags hold 7 x 5 = 35 marbles.\n 35",
        "5 bags x 3 red = 15, plus 4 blue = 19.\n 19",
        "Jia is a 7th grade student. She has trouble keeping track of units.",
        "only multiplied the red marbles",
        "Yes",
        5,
        5,
        [
            "Teacher: (generic)Hi Jia, how did you solve it?",
            "Student: I multiplied 5 by 3 and added 4.",
            "Teacher: (focus)(3 + 4) x 5 = ? Try that.",
            "Student: 7 x 5 = 35.",
            "Teacher: (probing)(I would draw a picture here.) How many marbles in one bag?",
            "Student: 7, so 35 in total.",
        ],
    ),
    # 4: real newlines inside turns, quotes and a comma inside a turn
    dialogue(
        7000004,
        5,
        "Sam runs 3 laps of a 400 m track.\nHow many metres does he run?",
        "3 x 400 = 1200 metres.\n 1200",
        'Sam runs "3 laps", so 3 + 400 = 403 metres.\n 403',
        "Ayisha is a 7th grade student. She adds when she should multiply.",
        "added laps and metres",
        "Yes",
        3,
        4,
        [
            "Teacher: (generic)Hi Ayisha, talk me through it, please.",
            'Student: I read "3 laps" and added 400.\nSo 403 metres.',
            "Teacher: (focus)Each lap is 400 m.\nHow far is 2 laps?",
            "Student: 800 m, so 3 laps is 1200 m.",
        ],
    ),
    # 5: missing teacher annotations (empty cells in CSV, null in JSONL)
    dialogue(
        7000005,
        1,
        "A pizza has 8 slices. Ana eats 3. What fraction is left?",
        "8 - 3 = 5 slices are left, so 5/8 of the pizza.\n 5/8",
        "Ana ate 3 slices so 3/8 is left.\n 3/8",
        "Rishi is a 7th grade student. He confuses what is left with what is used.",
        None,
        None,
        None,
        None,
        [
            "Teacher: (generic)Hi Rishi, what did you do?",
            "Student: 3 of 8 slices, so 3/8.",
            "Teacher: (probing)Is 3/8 what was eaten or what is left?",
            "Student: Eaten. So 5/8 is left.",
        ],
    ),
    # 6: an unknown tag (kept, lowercased) and a known tag written in capitals
    dialogue(
        7000006,
        2,
        "Tom saves $4 a week. How many weeks until he has $36?",
        "36 / 4 = 9 weeks.\n 9",
        "36 - 4 = 32 weeks.\n 32",
        "Heidi is a 7th grade student. She picks the wrong operation.",
        "subtracted instead of dividing",
        "Yes",
        4,
        3,
        [
            "Teacher: (Probing)Hi Heidi, how did you get 32?",
            "Student: I took 4 away from 36.",
            "Teacher: (hint)Think of equal groups of $4.",
            "Student: 36 / 4 = 9 weeks.",
            "Teacher: (HINT)Check it: 9 x 4 = ?",
            "Student: 36. Yes.",
        ],
    ),
    # 7: a teacher turn with no move tag (move left empty, reported)
    dialogue(
        7000007,
        3,
        "A book costs $12 and a pen $3. What do 2 books and 1 pen cost?",
        "2 x 12 + 3 = 27 dollars.\n 27",
        "12 + 3 = 15, times 2 is 30 dollars.\n 30",
        "Steven is a 7th grade student. He applies operations to everything at once.",
        "doubled the pen as well",
        "Yes",
        2,
        2,
        [
            "Teacher: (generic)Hi Steven, walk me through it.",
            "Student: (12 + 3) x 2 = 30.",
            "Teacher: How many pens are there?",
            "Student: One pen. So 24 + 3 = 27.",
        ],
    ),
    # 8: the student's name prefix in a second dialogue; a teacher tag-only turn at the end
    dialogue(
        7000008,
        4,
        "A class of 28 splits into teams of 4. How many teams?",
        "28 / 4 = 7 teams.\n 7",
        "28 x 4 = 112 teams.\n 112",
        "DeAndre is a 7th grade student. He multiplies when he should divide.",
        "multiplied instead of dividing",
        "No",
        1,
        1,
        [
            "Teacher: (generic)Hi DeAndre, what did you do?",
            "DeAndre: I did 28 times 4.",
            "Teacher: (focus)Would 112 teams fit in a class of 28?",
            "DeAndre: No. 28 / 4 = 7.",
            "Teacher: (telling)",
        ],
    ),
    # 9: unicode (pound sign, multiplication sign, curly apostrophe) and a colon inside text
    dialogue(
        7000009,
        5,
        "Eggs cost £2 a box. Nia buys 3 boxes. What does she pay?",
        "3 × £2 = £6.\n 6",
        "£2 + 3 = £5.\n 5",
        "Winnie is a 7th grade student. She adds the count to the price.",
        "added instead of multiplying",
        "Yes",
        3,
        3,
        [
            "Teacher: (generic)Hi Winnie, let’s look at it: how did you get £5?",
            "Student: I added £2 and 3: £5.",
            "Teacher: (focus)What is 3 boxes × £2?",
            "Student: £6.",
        ],
    ),
    # 10: missing annotations again, in a dialogue with a single exchange
    dialogue(
        7000010,
        1,
        "What is 15% of 80?",
        "0.15 x 80 = 12.\n 12",
        "15 + 80 = 95.\n 95",
        "Hunter is a 7th grade student. He does not know what a percentage means.",
        None,
        None,
        None,
        None,
        [
            "Teacher: (telling)15% means 15 per 100, so 0.15 x 80 = 12.",
            "Student: Oh, 12.",
        ],
    ),
    # 11: student turns by name in a third dialogue, mixed with Student:
    dialogue(
        7000011,
        2,
        "A car uses 6 litres per 100 km. How much for 250 km?",
        "250 / 100 x 6 = 15 litres.\n 15",
        "250 x 6 = 1500 litres.\n 1500",
        "Riya is a 7th grade student. She forgets the per-100 part.",
        "ignored the per 100 km",
        "Yes, but I had to reveal the answer",
        5,
        4,
        [
            "Teacher: (generic)Hi Riya, talk me through it.",
            "Riya: 250 x 6 = 1500.",
            "Teacher: (probing)6 litres for how many km?",
            "Student: For 100 km.",
            "Teacher: (telling)So 250 km is 2.5 lots of 100 km: 2.5 x 6 = 15 litres.",
            "Riya: 15 litres.",
        ],
    ),
]


def likert_text(value: float | None) -> str:
    return "" if value is None else str(int(value))


def as_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                "" if r[c] is None else (likert_text(r[c]) if isinstance(r[c], float) else r[c])
                for c in COLUMNS
            ]
        )
    return buf.getvalue().rstrip("\n")  # the published CSV has no final newline


def as_github_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps({c: r[c] for c in COLUMNS}) + "\n" for r in rows)


def as_hf_jsonl(rows: list[dict]) -> str:
    def text(v: object) -> str:
        s = likert_text(v) if isinstance(v, float) else ("" if v is None else str(v))
        return s.replace("\n", "\\n")

    return "".join(
        json.dumps({c: text(r[c]) for c in COLUMNS}, ensure_ascii=False) + "\n" for r in rows
    )


def main() -> None:
    (HERE / "test.csv").write_text(as_csv(DIALOGUES), encoding="utf-8")
    (HERE / "test.jsonl").write_text(as_github_jsonl(DIALOGUES), encoding="utf-8")
    (HERE / "example.jsonl").write_text(as_hf_jsonl(DIALOGUES), encoding="utf-8")


if __name__ == "__main__":
    main()
