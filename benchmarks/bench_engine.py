"""Throughput of the annotation engine against the local server with 200 ms latency.

Side by side in one run: `edukit.annotate.engine.annotate` at concurrency 1, 8, 32 and 64; a
plain sequential loop over the sync openai client; a minimal asyncio loop (a semaphore over
AsyncOpenAI) at the same concurrencies. Figures are requests/s and the ratio to the ideal
concurrency / latency. The server runs in its own process (tests/annotate/fake_openai.py).

    python benchmarks/bench_engine.py [--n 2000] [--n-sequential 50] [--latency-ms 200]
        [--concurrency 8,32,64] [--repeat 3]

On a shared machine one pair of runs is noisy: `--repeat R` runs each pair R times, alternating
which client goes first, and prints every pair and the median edukit / minimal ratio.
"""

from __future__ import annotations

import argparse
import asyncio
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
task: single
target: move
labels:
  - {name: focus, definition: Guiding focus.}
  - {name: probing, definition: Asking for explanation.}
  - {name: telling, definition: Revealing the answer.}
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


def items(n: int, tag: str) -> list[dict]:
    return [{"item_id": f"{tag}-{i}", "text": f"{tag} utterance {i}"} for i in range(n)]


def bench_engine(rubric, base_url: str, n: int, concurrency: int, tmp: Path, rep: int = 0) -> float:
    from edukit.annotate.engine import annotate

    db = tmp / f"engine-{concurrency}-{rep}.sqlite"
    start = time.perf_counter()
    res = annotate(
        items(n, f"e{concurrency}r{rep}"),
        rubric,
        "bench-model",
        base_url=base_url,
        run_db=db,
        concurrency=concurrency,
        quiet=True,
    )
    elapsed = time.perf_counter() - start
    assert res.counts["ok"] == n and res.sent == n, res.counts
    return n / elapsed


def _requests(rubric, n: int, tag: str):
    from edukit.annotate.client import request_body

    for item in items(n, tag):
        (req,) = rubric.requests(item)
        yield request_body("json_schema", req.messages, req.schema_name, req.schema, req.params)


def bench_sequential(rubric, base_url: str, n: int) -> float:
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key="x", max_retries=0)
    start = time.perf_counter()
    for body in _requests(rubric, n, "seq"):
        client.chat.completions.create(model="bench-model", **body)
    elapsed = time.perf_counter() - start
    client.close()
    return n / elapsed


def bench_minimal_async(rubric, base_url: str, n: int, concurrency: int, rep: int = 0) -> float:
    from openai import AsyncOpenAI

    async def run() -> float:
        client = AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
        sem = asyncio.Semaphore(concurrency)

        async def one(body):
            async with sem:
                await client.chat.completions.create(model="bench-model", **body)

        bodies = list(_requests(rubric, n, f"min{concurrency}r{rep}"))
        start = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        elapsed = time.perf_counter() - start
        await client.close()
        return n / elapsed

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--n-sequential", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", default="8,32,64")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from edukit.rubric import load_rubric

    os.environ.setdefault("OPENAI_API_KEY", "not-a-real-key")
    proc, base_url = start_server(args.latency_ms)
    latency = args.latency_ms / 1000
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            (tmp / "bench.yaml").write_text(RUBRIC)
            rubric = load_rubric(tmp / "bench.yaml")
            print(f"server latency {args.latency_ms:.0f} ms, {os.cpu_count()} cores")
            print(f"{'client':<34}{'conc':>5}{'requests':>9}{'req/s':>9}{'ideal':>8}{'ratio':>7}")

            def row(name, conc, n, rate):
                ideal = conc / latency
                print(f"{name:<34}{conc:>5}{n:>9}{rate:>9.1f}{ideal:>8.1f}{rate / ideal:>7.2f}")

            row(
                "sequential sync OpenAI loop",
                1,
                args.n_sequential,
                bench_sequential(rubric, base_url, args.n_sequential),
            )
            row(
                "edukit annotate",
                1,
                args.n_sequential,
                bench_engine(rubric, base_url, args.n_sequential, 1, tmp),
            )
            for conc in (int(c) for c in args.concurrency.split(",")):
                ratios = []
                for rep in range(args.repeat):
                    order = ("minimal", "engine") if rep % 2 == 0 else ("engine", "minimal")
                    rate = {}
                    for kind in order:
                        if kind == "minimal":
                            rate[kind] = bench_minimal_async(rubric, base_url, args.n, conc, rep)
                        else:
                            rate[kind] = bench_engine(rubric, base_url, args.n, conc, tmp, rep)
                    row("minimal asyncio AsyncOpenAI loop", conc, args.n, rate["minimal"])
                    row("edukit annotate", conc, args.n, rate["engine"])
                    ratios.append(rate["engine"] / rate["minimal"])
                    print(f"{'  edukit / minimal':<34}{conc:>5}{'':>9}{ratios[-1]:>9.2f}")
                if args.repeat > 1:
                    med = statistics.median(ratios)
                    print(f"{'  median edukit / minimal':<34}{conc:>5}{'':>9}{med:>9.2f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
