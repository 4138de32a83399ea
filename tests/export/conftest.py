"""Fixtures for the export tests: MathDial-shaped tables built from turn lists, and the sample."""

from __future__ import annotations

import pandas as pd
import pytest

from edukit.resources import bundled


def make_tables(
    dialogues: list[list[tuple[str, str, str]]],
    qids: list[str] | None = None,
    stem: str = "test",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dialogue and utterance tables in `read_mathdial`'s shape from (speaker, move, text) turns."""
    d_rows, u_rows = [], []
    for i, turns in enumerate(dialogues):
        did = f"{stem}-{i}"
        qid = qids[i] if qids else str(7000000 + i)
        d_rows.append(
            {
                "dialogue_id": did,
                "qid": qid,
                "scenario": 1,
                "question": f"Question {i}: what is 2 + {i}?",
                "ground_truth": f"2 + {i} = {2 + i}\n {2 + i}",
                "student_incorrect_solution": f"2 + {i} = {3 + i}\n {3 + i}",
                "student_profile": "Mariana is a 7th grade student.",
                "student_name": "Mariana",
                "teacher_described_confusion": "adding one too many",
                "self_correctness": "Yes",
                "self_typical_confusion": 3,
                "self_typical_interactions": 3,
                "n_turns": len(turns),
            }
        )
        for t, (speaker, move, text) in enumerate(turns):
            u_rows.append(
                {
                    "item_id": f"{did}:{t}",
                    "dialogue_id": did,
                    "qid": qid,
                    "turn": t,
                    "speaker": speaker,
                    "move": move,
                    "text": text,
                    "question": d_rows[-1]["question"],
                    "student_incorrect_solution": d_rows[-1]["student_incorrect_solution"],
                    "history": "",
                }
            )
    return pd.DataFrame(d_rows), pd.DataFrame(u_rows)


# One short dialogue with every move: the golden files pin its export in every format.
GOLDEN_DIALOGUE = [
    ("teacher", "generic", "Hi Mariana, talk me through your solution."),
    ("student", "", "I added 2 and 1 and got 4."),
    ("teacher", "probing", "How did you get from 2 + 1 to 4?"),
    ("student", "", "I counted 2, 3, 4."),
    ("teacher", "focus", "Start counting after 2: what comes next?"),
    ("student", "", "3. So 2 + 1 = 3."),
    ("teacher", "telling", "Yes: counting on from 2 by one gives 3."),
]


@pytest.fixture
def golden_dialogue():
    return list(GOLDEN_DIALOGUE)


@pytest.fixture
def tables():
    return make_tables


@pytest.fixture(scope="session")
def sample_path():
    return bundled("datasets", "mathdial", "test.csv")


@pytest.fixture(scope="session")
def sample(sample_path):
    from edukit.corpora.mathdial import read_mathdial

    return read_mathdial(sample_path)
