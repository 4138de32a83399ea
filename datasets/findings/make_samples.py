"""Write the synthetic tutoring-sessions sample of `edukit estimate / aggregate / relate`.

100 sessions of 30 turns (teacher and student alternating) by 25 teachers. Each teacher turn has
a true move (focus, probing, generic, telling); the session's true share of focus moves varies.
A model (rater `model`) labels every teacher turn but finds only 60% of the focus moves and calls
5% of the others focus; two humans' consensus (rater `human`) codes every teacher turn of 40
sessions drawn at random (selection_rule random, selection_probability 0.4). The outcome:
post_test = 40 + 0.6 pre_test + 30 x (true focus share) + teacher effect + noise.

Run: python datasets/findings/make_samples.py  (deterministic; rewrites the three CSV files)
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
MOVES = ("probing", "generic", "telling")


def main() -> None:
    rng = random.Random(25)
    items, annotations, outcomes = [], [], []
    coded = set(rng.sample(range(100), 40))
    teacher_effect = [rng.gauss(0, 3) for _ in range(25)]
    for s in range(100):
        session, teacher = f"s{s:03d}", f"t{s // 4:02d}"
        focus_share = rng.betavariate(3, 5)
        true_focus = 0
        for turn in range(30):
            item = f"{session}:{turn}"
            speaker = "teacher" if turn % 2 == 0 else "student"
            items.append([item, session, teacher, speaker, turn])
            if speaker != "teacher":
                continue
            truth = "focus" if rng.random() < focus_share else rng.choice(MOVES)
            true_focus += truth == "focus"
            if truth == "focus":
                said = "focus" if rng.random() < 0.6 else rng.choice(MOVES)
            else:
                said = "focus" if rng.random() < 0.05 else truth
            annotations.append([item, "model", "move", said, "v1", "", ""])
            if s in coded:
                annotations.append([item, "human", "move", truth, "", "random", "0.4"])
        pre = rng.gauss(50, 10)
        post = 40 + 0.6 * pre + 30 * true_focus / 15 + teacher_effect[s // 4] + rng.gauss(0, 5)
        outcomes.append([session, teacher, round(pre, 1), round(post, 1)])
    _write(
        HERE / "sessions_items.csv",
        ["item_id", "session_id", "teacher_id", "speaker", "turn"],
        items,
    )
    _write(
        HERE / "sessions_annotations.csv",
        [
            "item_id",
            "rater",
            "label",
            "value",
            "version",
            "selection_rule",
            "selection_probability",
        ],
        annotations,
    )
    _write(
        HERE / "sessions_outcomes.csv",
        ["session_id", "teacher_id", "pre_test", "post_test"],
        outcomes,
    )


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()
