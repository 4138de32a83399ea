"""Overhead of `edukit compare` (a sweep) against the same arms as separate `annotate` commands.

Two arms (zero-shot and reasoning of one binary rubric without examples, one model) on N items
against the fake server (tests/annotate/fake_openai.py, its own process, `--latency-ms`). The
sweep is one `edukit compare ITEMS --gold GOLD ... --n-boot 0` process (plan, both runs, the
comparison); the baseline is two `edukit annotate` processes with the equivalent rubric files.
Each repetition uses fresh run stores and alternates which side goes first.

    python benchmarks/bench_compare.py [--n 300] [--latency-ms 50] [--concurrency 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = """\
name: bench
version: "1"
task: binary
labels:
  - {name: confusion, definition: The student does not understand something.}
  - {name: gratitude, definition: The student thanks the teacher.}
"""


def start_server(latency_ms: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/annotate/fake_openai.py"),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, proc.stdout.readline().strip()


def run(args: list[str]) -> float:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench"}
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    import pandas as pd

    proc, url = start_server(a.latency_ms)
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            items = tmp / "items.csv"
            pd.DataFrame(
                {
                    "item_id": [str(i) for i in range(a.n)],
                    "text": [f"comment {i} about the lecture" for i in range(a.n)],
                }
            ).to_csv(items, index=False)
            gold = tmp / "gold.csv"
            pd.DataFrame(
                [
                    {"item_id": str(i), "rater": "H1", "label": lab, "value": i % 2}
                    for i in range(a.n)
                    for lab in ("confusion", "gratitude")
                ]
            ).to_csv(gold, index=False)
            rubric = tmp / "bench.yaml"
            rubric.write_text(RUBRIC)
            reasoning = tmp / "bench-reasoning.yaml"
            reasoning.write_text(RUBRIC + "output:\n  reasoning: true\n")
            common = [
                "--model",
                "m",
                "--base-url",
                url,
                "--concurrency",
                str(a.concurrency),
                "--quiet",
            ]
            ratios = []
            for rep in range(a.repeat):

                def sweep(rep=rep):
                    return run(
                        [
                            "compare",
                            str(items),
                            "--gold",
                            str(gold),
                            "--humans",
                            "H1",
                            "--rubric",
                            str(rubric),
                            "--strategy",
                            "zero-shot",
                            "--strategy",
                            "reasoning",
                            "--n-boot",
                            "0",
                            "--holdout",
                            "0",
                            "--run-db",
                            str(tmp / f"s{rep}.sqlite"),
                            *common,
                        ]
                    )

                def separate(rep=rep):
                    return sum(
                        run(
                            [
                                "annotate",
                                str(items),
                                "--rubric",
                                str(r),
                                "--rater",
                                name,
                                "--run-db",
                                str(tmp / f"a{rep}.sqlite"),
                                *common,
                            ]
                        )
                        for r, name in ((rubric, "zs"), (reasoning, "rs"))
                    )

                if rep % 2:
                    b, s = separate(), sweep()
                else:
                    s, b = sweep(), separate()
                ratios.append(s / b)
                print(
                    f"rep {rep}: sweep {s:.2f} s, separate annotate {b:.2f} s, ratio {s / b:.3f}",
                    flush=True,
                )
            print(
                f"median ratio sweep / separate: {statistics.median(ratios):.3f} "
                f"({a.n} items x 2 labels x 2 arms, latency {a.latency_ms:g} ms)"
            )
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
