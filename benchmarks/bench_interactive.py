"""Interactive tutor evaluation: conversations per minute against a server with 200 ms latency.

Side by side in one run: MathDial's way (one conversation at a time, one request at a time: a
plain loop over the sync openai client sending the same messages), edukit's runner at
concurrency 1 and at one conversation per problem, and the re-run of a finished evaluation
(everything from the run store). Then the scorer on the 599 MathDial test conversations.

    python benchmarks/bench_interactive.py [--problems 12] [--rounds 4] [--latency-ms 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "mathdial" / "test.csv"
MATHDIAL = ROOT.parent / "shared" / "data" / "mathdial" / "test.csv"


def start_server(latency_ms: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/annotate/fake_openai.py"), "--latency-ms",
         str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    return proc, proc.stdout.readline().strip()


def sequential(table, base_url: str, rounds: int) -> float:
    """MathDial's loop: each conversation to the end before the next; one request at a time."""
    from openai import OpenAI

    from edukit.tutor import interactive_protocol as protocol

    client = OpenAI(base_url=base_url, api_key="x")
    sides = {"student": protocol.side("student"), "tutor": protocol.side("tutor")}
    start = time.perf_counter()
    for i, row in enumerate(table.to_dict("records")):
        conv = protocol.start(f"seq-{i}", {k: str(v) for k, v in row.items()})
        for turn in range(1, 2 * rounds + 1):
            sd = sides["student" if turn % 2 else "tutor"]
            req = sd.request(conv)
            resp = client.chat.completions.create(
                model="bench", messages=req.messages, **req.params
            )
            conv.turns.append((sd.speaker, resp.choices[0].message.content or ""))
    return time.perf_counter() - start


def edukit_run(table, base_url: str, rounds: int, concurrency: int, db: Path) -> tuple[float, int]:
    from edukit.tutor.interactive import Endpoint, run_interactive

    start = time.perf_counter()
    res = run_interactive(
        table,
        Endpoint("bench-tutor", base_url),
        Endpoint("bench-student", base_url),
        rounds=rounds,
        run_db=db,
        concurrency=concurrency,
        quiet=True,
        source=SAMPLE,
    )
    assert res.unfinished == 0
    return time.perf_counter() - start, res.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "x")

    from edukit.tutor.interactive import read_problems

    table = read_problems(SAMPLE).head(args.problems)
    n = len(table)
    proc, base_url = start_server(args.latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{n} conversations x {args.rounds} rounds = {n * 2 * args.rounds} requests, "
                  f"{args.latency_ms:.0f} ms latency")  # fmt: skip
            t = sequential(table, base_url, args.rounds)
            print(f"MathDial's sequential loop: {t:.1f} s ({n / t * 60:.1f} conversations/min)")
            for c in (1, n):
                db = Path(tmp) / f"c{c}.sqlite"
                t, sent = edukit_run(table, base_url, args.rounds, c, db)
                print(f"edukit, concurrency {c}: {t:.1f} s ({n / t * 60:.1f} conversations/min, "
                      f"{sent} requests)")  # fmt: skip
            t, sent = edukit_run(table, base_url, args.rounds, n, db)
            print(f"edukit re-run of the finished evaluation: {t:.2f} s, {sent} requests sent")
    finally:
        proc.terminate()
    if MATHDIAL.is_file():
        from edukit.tutor.interactive_score import score_file

        start = time.perf_counter()
        score_file(MATHDIAL, ["conversation"], eom="|EOM|", n_boot=1000)
        t = time.perf_counter() - start
        print(f"score 599 MathDial conversations, k = 1..7, 1,000 resamples: {t:.2f} s")


if __name__ == "__main__":
    main()
