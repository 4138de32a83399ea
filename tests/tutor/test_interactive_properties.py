"""The scorer agrees with a straightforward re-statement of MathDial's rules on random dialogues."""

from __future__ import annotations

import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from edukit.tutor.interactive_score import score_table
from edukit.tutor.success import outcome, reference_answer, split_turns


def restated(conversation: str, ground_truth: str, k: int) -> tuple[bool, bool]:
    """The rules as the issue and the reference state them, written independently."""
    answer = ground_truth.split("\n")[-1].strip().split("\\n")[-1].strip().replace(",", "")

    def says(turn: str) -> bool:
        found = [m.group(0) for m in re.finditer(r"\d+(\.\d+)?", turn.replace(",", ""), re.ASCII)]
        try:
            value = float(answer)
        except ValueError:
            return answer in found
        return any(abs(float(x) - value) < 1e-7 for x in found)

    turns = [t.strip() for t in conversation.split("<EOM>")]

    def first(role: str) -> float:
        own = [t for t in turns if t.startswith(role + ":")]
        hits = [i for i, t in enumerate(own) if says(t)]
        return hits[0] if hits else math.inf

    s, t = first("Student"), first("Teacher")
    return s <= k, t <= min(s, k)


ROLES = st.sampled_from(["Teacher: ", "Student: ", "student: ", " Teacher:", "Kayla: ", ""])
TEXT = st.text(alphabet="0123456789,.$- abx\n\\\r\u2003٣", max_size=14)
TURN = st.builds(lambda r, t: r + t, ROLES, TEXT)
ANSWER = st.one_of(
    st.sampled_from(["12", "1,234", "12.0", "$12", "0.5", ".5", "1e3", "-3", "007", "", "abc"]),
    st.integers(0, 2000).map(str),
    st.text(alphabet="0123456789,.$٣ ", max_size=5),
)


@st.composite
def problems(draw):
    answer = draw(ANSWER)
    sep = draw(st.sampled_from(["\n", "\\n", "\n \\n"]))
    ground_truth = draw(TEXT) + sep + answer
    conversation = "<EOM>".join(draw(st.lists(TURN, max_size=9)))
    return conversation, ground_truth


@settings(max_examples=400, deadline=None)
@given(problems(), st.integers(0, 6))
def test_one_conversation(problem, k):
    conversation, ground_truth = problem
    o = outcome(split_turns(conversation), reference_answer(ground_truth))
    assert (o.success(k), o.telling(k)) == restated(conversation, ground_truth, k)


@settings(max_examples=60, deadline=None)
@given(st.lists(problems(), min_size=1, max_size=8), st.integers(1, 5))
def test_rates_over_a_file(rows, max_k):
    import pandas as pd

    table = pd.DataFrame(rows, columns=["chat", "ground_truth"])
    result = score_table(table, ["chat"], max_k=max_k, n_boot=0).tutors["chat"]
    n = len(rows)
    for k in range(1, max_k + 1):
        outs = [restated(c, g, k) for c, g in rows]
        assert math.isclose(result.success_at_k[k - 1], sum(s for s, _ in outs) / n)
        assert math.isclose(result.telling_at_k[k - 1], sum(t for _, t in outs) / n)
        assert result.telling_at_k[k - 1] <= 1 + 1e-12
