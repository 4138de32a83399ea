"""--concurrency auto against a server with a capacity, versus a sweep of fixed levels (issue 26).

The fake server (tests/annotate/fake_openai.py, its own process) serves C requests at once:
beyond C in flight each request takes `latency * in_flight / C`, beyond the queue limit Q = 3C
it is refused with 503. The best throughput is C / latency, reached at any level from C to Q.
For each C the script runs `edukit.annotate.engine.annotate` at fixed levels (a sweep) and with
`concurrency="auto"` on the same number of fresh items, and reports, from the run store's HTTP
calls: requests/s over the whole run, requests/s in steady state (the second half of the
answers), the peak level auto chose, and the 503s.

    python benchmarks/bench_concurrency.py [--capacity 8,64,512] [--rate 40] [--seconds 30]

`--rate` sets each server's latency to C / rate, so every C asks the same work of the machine.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_engine import RUBRIC, items  # noqa: E402

from edukit.annotate.concurrency import START  # noqa: E402


def start_server(latency_ms: float, capacity: int, queue_limit: int):
    cmd = [sys.executable, str(ROOT / "tests/annotate/fake_openai.py"), "--latency-ms"]
    cmd += [str(latency_ms), "--capacity", str(capacity), "--queue-limit", str(queue_limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def one_run(rubric, base_url: str, n: int, concurrency, tmp: Path, tag: str) -> dict:
    from edukit.annotate.engine import annotate

    db = tmp / f"{tag}.sqlite"
    began = time.perf_counter()
    res = annotate(
        items(n, tag),
        rubric,
        "bench",
        base_url=base_url,
        run_db=db,
        concurrency=concurrency,
        quiet=True,
    )
    elapsed = time.perf_counter() - began
    assert res.counts["ok"] == n, res.counts
    with sqlite3.connect(db) as con:
        done = sorted(
            s + lat
            for s, lat in con.execute(
                "SELECT started, latency FROM attempts WHERE http_status = 200"
            )
        )
        (refused,) = con.execute("SELECT COUNT(*) FROM attempts WHERE http_status = 503").fetchone()
    half = done[len(done) // 2 :]
    steady = (len(half) - 1) / (half[-1] - half[0]) if len(half) > 1 else float("nan")
    conc = (res.replicas[0].get("concurrency") or {}) if res.replicas else {}
    return {
        "level": concurrency,
        "whole": n / elapsed,
        "steady": steady,
        "refused": refused,
        "peak": conc.get("peak"),
        "final": conc.get("level"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--capacity", default="8,64,512")
    ap.add_argument("--rate", type=float, default=40.0, help="C / latency, requests/s")
    ap.add_argument("--seconds", type=float, default=30.0, help="ideal length of one run")
    ap.add_argument(
        "--ramps", type=float, default=1.5, help="runs last at least this many auto ramp-ups"
    )
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "unused")
    from edukit.rubric import load_rubric

    tmp = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    (tmp / "r.yaml").write_text(RUBRIC)
    rubric = load_rubric(tmp / "r.yaml")
    print("| C | latency | level | req/s whole run | req/s steady | 503s | auto peak / final |")
    print("|---|---|---|---|---|---|---|")
    for c in (int(x) for x in args.capacity.split(",")):
        latency = c / args.rate
        # slow start doubles once per round trip from START: runs are long enough for it
        ramp = math.log2(max(2, c / START)) * latency
        n = int(args.rate * max(args.seconds, args.ramps * ramp))
        proc, url = start_server(latency * 1000, c, 3 * c)
        try:
            rows = []
            for level in [*sorted({max(1, c // 2), c, min(1000, 2 * c)}), "auto"]:
                rows.append(one_run(rubric, url, n, level, tmp, f"c{c}-{level}"))
                r = rows[-1]
                auto = f"{r['peak']} / {r['final']}" if level == "auto" else ""
                print(
                    f"| {c} | {latency:.2f} s | {level} | {r['whole']:.1f} | {r['steady']:.1f} "
                    f"| {r['refused']} | {auto} |",
                    flush=True,
                )
            best = max(rows[:-1], key=lambda r: r["steady"])
            auto = rows[-1]
            print(
                f"| {c} | | auto / best fixed ({best['level']}) | "
                f"{auto['whole'] / max(r['whole'] for r in rows[:-1]):.2f} | "
                f"{auto['steady'] / best['steady']:.2f} | | |",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
