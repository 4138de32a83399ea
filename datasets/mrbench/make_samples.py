"""Write the synthetic MRBench samples (invented dialogues in the published JSON layouts).

Run from the repository root: `python datasets/mrbench/make_samples.py`. The texts are made up
for edukit; they copy no MRBench data but keep its quirks: a repeated conversation id with the
same history and other responses, NBSP and "\\xa0\\n\\xa0" between turns, a multi-line student
turn, the `Turor:` typo, lower-case `humanlikeness`, Novice responses for Bridge dialogues only,
"Not Available" solutions, and the V3 dev (4 dimensions) and test (no labels) layouts.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
NB = "\xa0"

DIALOGUES = [
    {
        "id": "5001",
        "data": "MathDial",
        "split": "test",
        "topic": "Not Available",
        "truth": "One box has 6 pens, so 7 boxes have 6 * 7 = 42 pens.\n 42",
        "history": (
            "Tutor: Hi, could you please provide a step-by-step solution for the question below? "
            f"The question is: A box holds 6 pens. How many pens are in 7 boxes?{NB}{NB}\n"
            " Student: Each box has 6 pens.\nSo 7 boxes have 6 + 7 = 13 pens.\n 13\n"
            "Tutor: Can you walk me through the last step?\n"
            " Student: I added the pens and the boxes together."
        ),
    },
    {
        "id": "5002",
        "data": "MathDial",
        "split": "train",
        "topic": "Not Available",
        "truth": "Half of 30 is 15; 15 - 4 = 11.\n 11",
        "history": (
            "Tutor: Hi, could you please provide a step-by-step solution for the question below? "
            "The question is: A class of 30 splits in half and 4 leave one half. How many stay?\n"
            " Student: 30 / 2 = 15.\n15 + 4 = 19.\n 19\n"
            "Turor: Tell me how you got 19.\n"
            " Student: Four more children joined, so I added them."
        ),
    },
    {
        "id": "5001",  # repeated id: same history, other responses (as in the real V1 file)
        "data": "MathDial",
        "split": "test",
        "topic": "Not Available",
        "truth": "One box has 6 pens, so 7 boxes have 6 * 7 = 42 pens.\n 42",
        "history": None,  # filled from dialogue 0 below
    },
    {
        "id": "7001",
        "data": "Bridge",
        "split": "val",
        "topic": "3.2B.Fractions of a whole",
        "truth": "Not Available",
        "history": (
            f"Tutor: A pizza is cut into 8 equal slices.{NB}\n{NB}Tutor: You eat 3 slices."
            f"{NB}\n{NB}Tutor: What fraction of the pizza is left?{NB}\n{NB}Student: 3/8"
        ),
    },
]
DIALOGUES[2]["history"] = DIALOGUES[0]["history"]

RESPONSES = {
    0: {
        "Expert": "How many pens would 2 boxes hold? Try adding 6 for each box.",
        "GPT4": "Not quite: 6 + 7 adds pens to boxes. Since each of the 7 boxes has 6 pens, "
        "try multiplying.",
        "Phi3": "The answer is 42 because 6 times 7 is 42.",
    },
    1: {
        "Expert": "Did anyone join the class, or did some children leave?",
        "GPT4": "You're close! Read again: do the 4 children arrive or go away?",
        "Phi3": "Great job, 19 is right.",
    },
    2: {
        "Expert": "Let's count together: 6 pens in the first box, 12 in two boxes. Keep going.",
        "GPT4": "Adding the number of boxes is the slip here; think about 7 groups of 6.",
        "Phi3": f"Multiply{NB}6 by 7 to get 42.",
    },
    3: {
        "Expert": "Good try! If you eat 3 slices, how many of the 8 are still on the plate?",
        "GPT4": "That is the part you ate. What part remains?",
        "Phi3": "5/8 is left, since 8 - 3 = 5.",
        "Novice": "no thats wrong",
    },
}

# (MI, ML, Revealing, PG, Actionability, humanlikeness, Coherence, Tone) per dialogue and tutor
LABELS = {
    (0, "Expert"): ("Yes", "To some extent", "No", "Yes", "Yes", "Yes", "Yes", "Neutral"),
    (0, "GPT4"): ("Yes", "Yes", "No", "Yes", "Yes", "Yes", "Yes", "Encouraging"),
    (0, "Phi3"): (
        "No",
        "No",
        "Yes (and the answer is correct)",
        "No",
        "No",
        "To some extent",
        "To some extent",
        "Neutral",
    ),
    (1, "Expert"): ("Yes", "Yes", "No", "Yes", "To some extent", "Yes", "Yes", "Neutral"),
    (1, "GPT4"): ("Yes", "Yes", "No", "Yes", "Yes", "Yes", "Yes", "Encouraging"),
    (1, "Phi3"): ("No", "No", "No", "No", "No", "Yes", "No", "Encouraging"),
    (2, "Expert"): ("To some extent", "No", "No", "Yes", "Yes", "Yes", "Yes", "Encouraging"),
    (2, "GPT4"): ("Yes", "Yes", "No", "Yes", "To some extent", "Yes", "Yes", "Neutral"),
    (2, "Phi3"): (
        "No",
        "No",
        "Yes (and the answer is correct)",
        "No",
        "No",
        "No",
        "Yes",
        "Neutral",
    ),
    (3, "Expert"): ("Yes", "To some extent", "No", "Yes", "Yes", "Yes", "Yes", "Encouraging"),
    (3, "GPT4"): ("Yes", "Yes", "No", "To some extent", "Yes", "Yes", "Yes", "Neutral"),
    (3, "Phi3"): (
        "No",
        "No",
        "Yes (but the answer is incorrect)",
        "No",
        "No",
        "To some extent",
        "Yes",
        "Neutral",
    ),
    (3, "Novice"): ("To some extent", "No", "No", "No", "No", "Yes", "To some extent", "Offensive"),
}
KEYS = (
    "Mistake_Identification",
    "Mistake_Location",
    "Revealing_of_the_Answer",
    "Providing_Guidance",
    "Actionability",
    "humanlikeness",
    "Coherence",
    "Tutor_Tone",
)
V3_KEYS = ("Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability")


def v1() -> list[dict]:
    out = []
    for n, d in enumerate(DIALOGUES):
        out.append(
            {
                "conversation_id": d["id"],
                "conversation_history": d["history"],
                "Data": d["data"],
                "Split": d["split"],
                "Topic": d["topic"],
                "Ground_Truth_Solution": d["truth"],
                "anno_llm_responses": {
                    t: {"response": r, "annotation": dict(zip(KEYS, LABELS[(n, t)], strict=True))}
                    for t, r in RESPONSES[n].items()
                },
            }
        )
    return out


def v3(labelled: bool) -> list[dict]:
    out = []
    for n, d in enumerate(DIALOGUES):
        # V3 renames a repeated id with _1/_2 suffixes
        cid = d["id"] + ("_1" if n == 0 else "_2" if n == 2 else "")
        tutors = {}
        for k, (t, r) in enumerate(RESPONSES[n].items(), 1):
            body: dict = {"response": r}
            if labelled:
                full = dict(zip(KEYS, LABELS[(n, t)], strict=True))
                body["annotation"] = {key: full[key] for key in V3_KEYS}
            tutors[t if labelled else f"Tutor_{k}"] = body
        out.append(
            {
                "conversation_id": cid,
                "conversation_history": d["history"],
                "tutor_responses": tutors,
            }
        )
    return out


def main() -> None:
    for name, data in (
        ("mrbench_sample.json", v1()),
        ("mrbench_v3_dev_sample.json", v3(True)),
        ("mrbench_v3_test_sample.json", v3(False)),
    ):
        (HERE / name).write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
