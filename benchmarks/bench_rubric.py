"""Rubric throughput: load time, and requests + decode per item for the bundled rubrics.

Run: /work/venv/bin/python benchmarks/bench_rubric.py [N_ITEMS]
"""

from __future__ import annotations

import sys
import time

from edukit.resources import bundled
from edukit.rubric import load_rubric


def main(n: int = 2000) -> None:
    comments = [
        {
            "item_id": str(i),
            "comment": f"Comment {i}: why does the sign flip at 12:{i % 60:02d}?",
            "video_name": f"Lecture {i % 30}",
            "playlist_name": "Synthetic playlist",
        }
        for i in range(n)
    ]
    turns = [
        {
            "item_id": f"test-{i}:2",
            "text": "What do you get if you multiply 12 by 2?",
            "history": "Teacher: Hi, walk me through it?\nStudent: I added 12 and 2.",
            "question": "A dozen is 12 pens. How many pens are in 2 dozens?",
            "student_incorrect_solution": "12 + 2 = 14 pens.",
        }
        for i in range(n)
    ]
    for name, items in (
        ("sight.yaml", comments),
        ("sight-joint.yaml", comments),
        ("mathdial-moves.yaml", turns),
    ):
        t0 = time.perf_counter()
        rubric = load_rubric(bundled("rubrics", name))
        t1 = time.perf_counter()
        n_requests = 0
        for item in items:
            for request in rubric.requests(item):
                n_requests += 1
                answer = (
                    {"move": "focus"}
                    if rubric.task == "single"
                    else dict.fromkeys(request.labels, True)
                )
                rubric.decode(request, answer)
        t2 = time.perf_counter()
        print(
            f"{name}: load {1000 * (t1 - t0):.1f} ms; {n} items, {n_requests} requests built "
            f"and decoded in {t2 - t1:.2f} s ({1e6 * (t2 - t1) / n_requests:.0f} us/request)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
