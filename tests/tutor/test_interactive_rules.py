"""Success@k / Telling@k rules on small conversations whose values are derived by hand.

Each expected value below is worked out from the rules of MathDial's evaluate.py (restated in
edukit/tutor/success.py): a role's turns before its first mention of the answer are counted from
0; Success@k is student <= k; Telling@k is teacher <= min(student, k), never = infinitely late.
"""

from __future__ import annotations

import pytest

from edukit.tutor.success import (
    mentions_answer,
    numbers_in,
    outcome,
    rate_at_k,
    reference_answer,
    split_turns,
)


def conv(*turns: str) -> list[str]:
    """Alternating turns, teacher first, as MathDial's runner writes them."""
    roles = ["Teacher", "Student"]
    return [f"{roles[i % 2]}: {t}" for i, t in enumerate(turns)]


def at(turns: list[str], answer: str, ks=(1, 2, 3)) -> tuple[list[bool], list[bool]]:
    o = outcome(turns, answer)
    return [o.success(k) for k in ks], [o.telling(k) for k in ks]


def test_student_says_it_first():
    # student turns: 0 walk-through (4), 1 "it's 10" -> student = 1; the teacher never says 10
    turns = conv(
        "Hi! Walk me through?", "I got 4.", "Check step 2.", "Oh, it's 10.", "Great.", "Ok"
    )
    o = outcome(turns, "10")
    assert (o.student, o.teacher) == (1, None)
    assert at(turns, "10") == ([True, True, True], [False, False, False])


def test_teacher_says_it_first():
    # teacher turns: 0 greeting, 1 "no", 2 "the answer is 10"; student repeats it in its turn 3
    turns = conv("Hi", "I got 4", "No.", "Hmm 5?", "The answer is 10.", "Ok", "Yes", "So 10.")
    o = outcome(turns, "10")
    assert (o.student, o.teacher) == (3, 2)
    # k=1: 3 > 1, telling 2 <= min(3, 1) no; k=2: telling 2 <= 2 yes; k=3: success and telling
    assert at(turns, "10") == ([False, False, True], [False, True, True])


def test_both_in_one_round_counts_as_telling():
    # round 1: the teacher says 10 (teacher turn 1), then the student repeats it (student turn 1)
    turns = conv("Hi", "I got 4", "It is 10, see?", "Yes, 10.")
    o = outcome(turns, "10")
    assert (o.student, o.teacher) == (1, 1)
    assert at(turns, "10") == ([True, True, True], [True, True, True])


def test_teacher_confirming_after_the_student_is_not_telling():
    turns = conv("Hi", "I got 4", "Why 4?", "Oh, 10!", "Yes, 10.", "Thanks")
    o = outcome(turns, "10")
    assert (o.student, o.teacher) == (1, 2)
    assert at(turns, "10") == ([True, True, True], [False, False, False])


def test_never_said():
    turns = conv("Hi", "I got 4", "Check again", "Still 4")
    o = outcome(turns, "10")
    assert (o.student, o.teacher) == (None, None)
    assert at(turns, "10") == ([False] * 3, [False] * 3)


def test_walk_through_with_the_answer_is_success_at_every_k():
    # the student's turn 0 (its walk-through) already holds 10: student = 0
    turns = conv("Hi", "10 - 2 = 8, so 8.", "Hmm", "8")
    assert outcome(turns, "10").student == 0
    assert at(turns, "10", ks=(1, 7)) == ([True, True], [False, False])


def test_the_reference_worked_examples():
    # the two conversations of MathDial's tests/test_metrics.py, expected values re-derived:
    # student says 6 in its turn 2, teacher in its turn 3
    first = conv(
        "Walk me through?", "2+3=5", "Why 2?", "Sorry.", "The answer?", "2+4=6", "6!", "Ok"
    )
    assert (outcome(first, "6").student, outcome(first, "6").teacher) == (2, 3)
    assert at(first, "6") == ([False, True, True], [False, False, False])
    # teacher says 6 in its turn 2, student in its turn 3
    second = conv("Walk me?", "2+3=5", "Why 2?", "Sorry.", "It is 6, do 2+4", "Ok", "Bye", "6.")
    assert (outcome(second, "6").student, outcome(second, "6").teacher) == (3, 2)
    assert at(second, "6") == ([False, False, True], [False, True, True])


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("It is 1,234 pens", "1234", True),  # commas deleted from the turn
        ("It is 1234 pens", "1,234", True),  # and from the answer
        ("1,2,3,4", "1234", True),  # every comma, even between separate numbers
        ("I pay $12", "12", True),
        ("I pay 12.0 dollars", "12", True),  # compared as floats
        ("12.0000000001", "12", True),  # within 1e-7
        ("12.000001", "12", False),
        ("-12", "12", True),  # signs are not part of numbers
        ("-12", "-12", False),  # so a negative answer is never matched
        ("120 pens", "12", False),  # the answer inside a longer number
        ("3.12", "12", False),
        ("12.5", "12", False),
        ("212", "12", False),
        ("I pay $12", "$12", False),  # not a float: compared as a string with the numbers
        ("I pay 12", "12 pens", False),
        ("1.5", ".5", False),  # float('.5') = 0.5, the number is 1.5
        ("0.5", ".5", True),
        ("5", "5.", True),
        ("1000", "1e3", True),  # float() reads 1e3
        ("1000", "1_000", True),  # and 1_000
        ("nan", "nan", False),
        ("1.2.3", "3", True),  # numbers 1.2 and 3
        ("x", "", False),
        ("٣ apples", "3", False),  # only ASCII digits are numbers in a turn
        ("3 apples", "٣", True),  # but float() reads the answer's Arabic-Indic digit as 3
    ],
)
def test_answer_matching(text, answer, expected):
    assert mentions_answer(text, answer) is expected


def test_numbers_in():
    assert numbers_in("a 1,234.5 b 7. 08 c3.x") == ["1234.5", "7", "08", "3"]


@pytest.mark.parametrize(
    ("ground_truth", "answer"),
    [
        ("2 x 12 = 24.\nSo 30 pens.\n 30", "30"),
        ("12 x 2= 24.\\nThus 24 + 6 = 30 pens.\\n 30", "30"),  # literal backslash-n
        ("So $1,234.\n $1,234 ", "$1,234"),
        ("just 7", "just 7"),
        ("ends with a newline 5\n", ""),
    ],
)
def test_reference_answer_is_the_last_line(ground_truth, answer):
    assert reference_answer(ground_truth) == answer


def test_roles_by_prefix_after_stripping():
    turns = split_turns("  Teacher: Hi<EOM>\nStudent: 10<EOM>student: 10<EOM>Kayla: 10")
    assert outcome(turns, "10").student == 0
    turns = split_turns("Teacher: Hi<EOM>student: 10<EOM>Kayla: 10<EOM>Student: 4<EOM>Student: 10")
    assert outcome(turns, "10").student == 1  # lower-case and named turns are not the student's


def test_rates_sum_as_the_reference_does():
    # 3 successes of 10: the reference adds 1/10 three times
    o_yes = outcome(conv("Hi", "10"), "10")
    o_no = outcome(conv("Hi", "4"), "10")
    outs = [o_yes] * 3 + [o_no] * 7
    assert rate_at_k(outs, 1, "success") == 0.1 + 0.1 + 0.1 != 3 / 10
    assert rate_at_k(outs, 1, "telling") == 0.0
