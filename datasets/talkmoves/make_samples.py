"""Write the synthetic TalkMoves sample (invented lessons in the published .xlsx layout).

Run from the repository root: `python datasets/talkmoves/make_samples.py` (needs openpyxl, a dev
dependency). Every sentence, name and date is made up for edukit; nothing is copied from the
TalkMoves corpus. The files keep its quirks: the time column spelled `TimeStamp`, `TImeStamp`,
`Video Length`, `S` or `SS` or absent, `turn` for `Turn`, `S` where `Speaker` belongs, a leftover
index column, tags written `1 - none` / `1 - None`, double spaces, find-and-replace accidents
(`8 - PreStudents for Accuracy`, `3 - gettingSSto relate`), bare numbers (`1`, `2`, `8`) and
noise (`128`, `\\`, `7\\`),
teachers' names as speakers and inside sentences, a first-name student speaker, `12)` turns, an
empty sentence, TalkBack file names (one without a term), a second `Tags` sheet, and a datasheet
with exact, case-different, duplicated and missing titles.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
T1 = "1 - none"
K = "2 - keeping everyone together"
R = "3 - getting students to relate"
RS = "4 - restating"
RV = "5 - revoicing"
A = "8 - press for  accuracy"
P = "9 - press for reasoning"
C = "7 - context"
S1 = "1 - none"
SR = "2 - relating to another student"
SA = "3 - asking for more information"
SC = "4 - making a claim"
SE = "5 - providing evidence/providing reasoning"

# (speaker, sentence, teacher tag, student tag); turns are numbered per change of speaker.
PIZZA = [
    ("Ms. Rivera", "Good morning, everyone, my name's Ms. Rivera for our visitors.", T1, None),
    ("T", "Today we are cutting pizzas into equal slices.", T1, None),
    ("T", "Is everybody looking at the board?", K, None),
    ("SS", "Yes.", None, S1),
    ("T", "How many slices did this pizza get?", A, None),
    ("S", "Eight slices.", C, SC),
    ("T", "Eight slices.", RS, None),
    ("T", "Jonah, do you agree with her?", R, None),
    ("Jonah", "I agree, because each slice is the same size.", None, SE),
    ("T", "Why does the same size matter?", P, None),
    ("Jonah", "Otherwise they would not be eighths.", None, SE),
    ("T", "So equal parts make eighths.", RV, None),
    ("Ms. Rivera", "Turn and talk with your partner.", 1, None),
    ("S", "What is a half of a slice called?", None, "3 - Asking for More Information"),
    ("T", "", None, None),
    ("T", "Great question, we will come back to it.", "1 - None", None),
]
NUMBER_TALK = [
    ("T", "Let's start our number talk.", T1, None),
    ("T", "What is nine plus six?", "8 - PreStudents for Accuracy", None),
    ("S", "Fifteen.", None, SC),
    ("T", "Who got something else?", "3 - gettingSSto relate", None),
    ("S", "I got fifteen too, I took one from the six.", None, "2 - relating to another S"),
    ("T", "How did you know to take one?", "9 - preS for reasoning", None),
    ("S", "Because nine and one make ten.", None, SE),
    ("T", "Nine and one make a ten, then five more.", "5 - Revoicing", None),
    ("T", "Write it on the board, please.", "8 - press for  accuracy", None),
    ("S", "Okay.", None, "1 - None"),
    ("T", "Thank you, Mr. Lind is taking pictures.", "7\\", None),
]
RIVERA_FALL = [
    ("Teacher", "Hello, mathematicians.", T1, None),
    ("Teacher", "Ms. Rivera wants to hear from the back table.", K, None),
    ("Student 1", "We think the pattern grows by three.", None, SC),
    ("Teacher", "Grows by three.", "4 - Restating", None),
    ("Teacher", "Can someone add on to that?", "2 - keeping SS together", None),
    ("Student 2", "Each new row gets three more tiles.", None, SR),
    ("Teacher", "Why three and not two?", P, None),
    ("Student 2", "Because one tile goes on each side and one on top.", None, SE),
    ("Students", "Oh!", None, "1"),
    ("T2", "Check your table for row five.", A, None),
    ("Student 1", "Row five has fifteen.", None, "4 - making a cClaim"),
    ("Teacher", "So row five has fifteen tiles.", "6 - Marking", None),
    ("Teacher", "What would row ten have?", "128", None),
]
RIVERA_SPRING = [
    ("Ms. Rivera", "Let's look at the fractions on the number line.", T1, None),
    ("Ms. Rivera", "Where does three fourths go?", A, None),
    ("S", "Between one half and one.", None, SC),
    ("Ms. Rivera", "Between one half and one, closer to one.", RV, None),
    ("Ms. Rivera", "Do you all see it?", K, None),
    ("SS", "Yes.", None, S1),
    ("Ms. Rivera", "How do you know it is closer to one?", P, None),
    ("S", "One fourth is smaller than one half.", None, SE),
    ("Ms. Rivera", "Does anyone think differently?", R, None),
    ("S", "I don't get why it's not in the middle.", None, SA),
]
RIVERA_YEAR2 = [
    ("T", "Today we measure the garden beds.", T1, None),
    ("T", "What is the length of this bed?", A, None),
    ("S", "Twelve feet.", C, SC),
    ("T", "Twelve feet.", RS, None),
    ("T", "Who can tell us how they measured it?", "3 - Getting SS to Relate", None),
    ("S", "I counted the one-foot tiles along the side.", None, SE),
    ("T", "Why count the tiles and not the stones?", "9 - Press for Reasoning", None),
    ("S", "The tiles are all one foot.", None, SE),
    ("T", "Everybody, eyes up here.", "2 - Keeping Everyone Together", None),
    ("S", "Can you show it again?", None, SA),
    ("T", "Yes, watch the ruler.", 2, None),
]
OKAFOR_YEAR1 = [
    ("Mr. Okafor", "Good afternoon, class.", T1, None),
    ("Mr. Okafor", "Copy the problem into your notebook.", T1, None),
    ("Mr. Okafor", "What is four times seven?", A, None),
    ("S", "Twenty-eight.", None, SC),
    ("Mr. Okafor", "Raise your hand if you agree.", R, None),
    ("SS", "Me!", None, SR),
    ("Mr. Okafor", "Explain how you would check it.", P, None),
    ("S", "Seven plus seven is fourteen, and two fourteens make twenty-eight.", None, SE),
]
OKAFOR_FALL = [
    ("T", "Open your notebooks to the area page.", T1, None),
    ("T", "Mr. Okafor needs one volunteer.", K, None),
    ("S", "Is the area the inside part?", None, SA),
    ("T", "It is the inside part, measured in squares.", RV, None),
    ("T", "How many squares fit inside?", A, None),
    ("S", "Twenty.", None, SC),
    ("T", "Why twenty?", P, None),
    ("S", "Four rows of five.", None, SE),
    ("T", "Does everyone agree with four rows of five?", R, None),
    ("SS", "Yes.", None, "\\"),
]
OKAFOR_SPRING = [
    ("T", "Let's warm up with doubles.", T1, None),
    ("T", "Double eight?", A, None),
    ("S", "Sixteen.", None, SC),
    ("T", "Sixteen.", RS, None),
    ("T", "Double sixteen?", 8, None),
    ("S", "Thirty-two, because sixteen and sixteen.", None, SE),
    ("T", "Stay with me, everyone.", K, None),
    ("T", "How did you get thirty-two?", P, None),
]

HEADER = ["Turn", "Speaker", "Sentence", "Teacher Tag", "Student Tag"]
# (subset, file stem, rows, time column name or None, leftover index?, renames, extra sheet?)
LESSONS = [
    ("Subset 1", "Pizza Fractions 1_Grade 4", PIZZA, "TimeStamp", True, {}, True),
    ("Subset 1", "Number Talk pt1", NUMBER_TALK, "TImeStamp", True, {"Speaker": "S"}, False),
    ("Subset 2", "TalkBack.Year1.Rivera.Fall.101519", RIVERA_FALL, "TimeStamp", True,
     {"Turn": "turn"}, False),
    ("Subset 2", "TalkBack.Year1.Rivera.Spring.021220-1", RIVERA_SPRING, "SS", True, {}, False),
    ("Subset 2", "TalkBack.Year1.Okafor.Spring.030320", OKAFOR_YEAR1, "Video Length", True, {},
     False),
    ("Subset 2", "TalkBack.Year2.Rivera.Spring.030321", RIVERA_YEAR2, "S", True, {}, False),
    ("Subset 2", "TalkBack.Year2.Okafor.Fall.110420", OKAFOR_FALL, "TimeStamp", False, {}, False),
    ("Subset 2", "TalkBack.Year2.Okafor.041521", OKAFOR_SPRING, None, True, {}, False),
]

DATASHEET_1 = [
    "Name of File ",
    "Date Recorded",
    "Teacher Male/Female",
    "Grade (exact grade or elementary, middle, high school)",
    "Country/State",
    "Original Language (english, etc)",
    "Full or Partial Lesson",
]
DATASHEET_2 = [
    "Teacher ",
    "Lesson Title",
    "Date Recorded",
    "Year 1, Year 2",
    "Teacher Male/Female",
    "Grade (exact grade or elementary, middle, high school)",
    "Full or Partial Lesson",
    "Country, State",
    "Original Language",
]
ROWS_1 = [
    ["Pizza Fractions 1_grade 4", "Unknown", "Female", "4th", "US", "English", "Partial"],
    ["Number Talk pt 2", "Unknown", "Male", "3rd", "Unknown", "English", "Partial"],
]
ROWS_2 = [
    ["Dana Rivera", "TalkBack.Year1.Rivera.Fall.101519", "2019-10-15", "Year 1", "Female",
     "4th", "Full", "US, CO", "English"],
    ["Dana Rivera", "TalkBack.Year1.Rivera.Spring.021220-1", "2020-02-12", "Year 1", "Female",
     "4th", "Partial", "US, CO", "English"],
    ["Dana Rivera", "TalkBack.Year1.Rivera.Spring.021220-1", "2020-02-12", "Year 1", "Female",
     "4th", "Partial", "US, CO", "English"],
    ["Sam Okafor", "TalkBack.Year1.Okafor.Spring.030320", "2020-03-03", "Year 1", "Male", "5th",
     "Full", "US, CO", "English"],
    ["Dana Rivera", "TalkBack.Year2.Rivera.Spring.030321", "2021-03-03", "Year 2", "Female",
     "5th", "Full", "US, CO", "English"],
    ["Sam Okafor", "TalkBack.Year2.Okafor.Fall.110520", "2020-11-05", "Year 2", "Male", "5th",
     "Full", "US, CO", "English"],
    ["Sam Okafor", "TalkBack.Year2.Okafor.Spring.041521", "2021-04-15", "Year 2", "Male", "5th",
     "Partial", "US, CO", "English"],
]


def lesson_rows(rows, time_col, index, renames):
    header = [renames.get(h, h) for h in HEADER]
    if time_col:
        header = [time_col, *header]
    if index:
        header = [None, *header]  # a leftover index column: blank header cell
    out = [header]
    turn, last = 0, None
    for i, (speaker, sentence, ttag, stag) in enumerate(rows):
        if speaker != last:
            turn, last = turn + 1, speaker
        cells = [f"{turn})" if i == 4 and renames.get("Speaker") else turn, speaker, sentence]
        cells += [ttag, stag]
        if time_col:
            cells = [f"00:{i // 4:02d}:{(i * 7) % 60:02d}", *cells]
        if index:
            cells = [i, *cells]
        out.append(cells)
    return out


def write_book(path: Path, sheets: list[tuple[str, list[list]]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def main() -> None:
    for subset, stem, rows, time_col, index, renames, extra in LESSONS:
        sheets = [("Sheet1", lesson_rows(rows, time_col, index, renames))]
        if extra:
            sheets.append(("Tags", [["1 - None", None, "1 - None"], [K, None, SC]]))
        write_book(HERE / subset / f"{stem}.xlsx", sheets)
    dated = [[*r[:2], datetime.fromisoformat(r[2]), *r[3:]] for r in ROWS_2]  # date cells
    write_book(
        HERE / "Datasheet for Public Release.xlsx",
        [("Subset 1", [DATASHEET_1, *ROWS_1]), ("Subset 2", [DATASHEET_2, *dated])],
    )


if __name__ == "__main__":
    main()
