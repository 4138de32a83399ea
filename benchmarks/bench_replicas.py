"""Two replicas against one: real llama-server instances (../shared/realserver), issue 26.

Starts two llama-servers with the tiny model (`--parallel 4`, one thread each), then annotates
the same number of fresh MathDial teacher turns (the bundled mathdial-moves rubric, one short
answer per item) through one replica and through both, each at fixed concurrency 4 per replica
and with --concurrency auto. Figures are requests/s and the two-replica / one-replica ratio.

Beside them, a minimal asyncio loop without edukit sends the same request bodies straight to one
server and to both (4 workers per server pulling from one queue, so a faster server takes more:
an ideal split with nothing stored): its two / one ratio is what the machine itself allows two
replicas, whatever the client.

    python benchmarks/bench_replicas.py [--n 60] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALSERVER = Path(os.environ.get("EDUKIT_REALSERVER", ROOT.parent / "shared" / "realserver"))


def start(port: int) -> tuple[int, str]:
    out = subprocess.run(
        ["bash", str(REALSERVER / "start.sh"), str(port), "--parallel", "4"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1]), f"http://127.0.0.1:{port}/v1"


def items(n: int, tag: str):
    from edukit.corpora.detect import load_items
    from edukit.resources import bundled

    base = load_items(bundled("datasets", "mathdial", "test.csv"))
    base = base[base["text"].fillna("").str.strip() != ""].reset_index(drop=True)
    rows = []
    for i in range(n):
        row = base.iloc[i % len(base)].to_dict()
        row["item_id"] = f"{tag}-{i}"
        row["text"] = f"({tag} {i}) {row['text']}"  # a new prompt: nothing is answered yet
        rows.append(row)
    return rows


def run(urls: list[str], n: int, concurrency, tmp: Path, tag: str) -> float:
    from edukit.annotate.engine import annotate
    from edukit.resources import bundled
    from edukit.rubric import load_rubric

    rubric = load_rubric(bundled("rubrics", "mathdial-moves.yaml"))
    began = time.perf_counter()
    res = annotate(
        items(n, tag),
        rubric,
        "tiny",
        base_url=urls if len(urls) > 1 else urls[0],
        run_db=tmp / f"{tag}.sqlite",
        concurrency=concurrency,
        quiet=True,
    )
    elapsed = time.perf_counter() - began
    assert res.counts["ok"] + res.counts["invalid"] == n, res.counts
    return n / elapsed


def run_direct(urls: list[str], n: int, per_server: int, tag: str) -> float:
    """Requests/s of a minimal loop: `per_server` workers per URL, one shared queue of bodies."""
    import asyncio

    from openai import AsyncOpenAI

    from edukit.annotate.client import request_body
    from edukit.resources import bundled
    from edukit.rubric import load_rubric

    rubric = load_rubric(bundled("rubrics", "mathdial-moves.yaml"))
    bodies = []
    for item in items(n, tag):
        for req in rubric.requests(item):
            body = request_body(
                "json_schema", req.messages, req.schema_name, req.schema, req.params
            )
            bodies.append(body)

    async def go() -> float:
        clients = [AsyncOpenAI(base_url=u, api_key="unused", max_retries=0) for u in urls]
        queue = iter(bodies)
        began = time.perf_counter()

        async def worker(client) -> None:
            for body in queue:  # shared iterator: each body is sent once
                await client.post(
                    "/chat/completions", cast_to=bytes, body={"model": "tiny", **body}
                )

        await asyncio.gather(*(worker(c) for c in clients for _ in range(per_server)))
        elapsed = time.perf_counter() - began
        for c in clients:
            await c.close()
        return len(bodies) / elapsed

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "unused")
    pids = []
    try:
        for port in (18431, 18432):
            pid, url = start(port)
            pids.append((pid, url))
        urls = [u for _, u in pids]
        tmp = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
        for url in urls:  # warm both servers up (first requests load and allocate)
            run([url], 8, 4, tmp, f"warm-{url[-8:-3]}")
        print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
        print("| setting | one replica req/s | two replicas req/s | two / one |")
        print("|---|---|---|---|")
        ratios = []
        for rep in range(args.repeat):
            one = run_direct(urls[:1], args.n, 4, f"d1-{rep}")
            two = run_direct(urls, args.n, 4, f"d2-{rep}")
            ratios.append(two / one)
            print(
                f"| minimal loop, 4 per server (pair {rep + 1}) | {one:.2f} | {two:.2f} | "
                f"{two / one:.2f} |"
            )
        print(f"| minimal loop median | | | {statistics.median(ratios):.2f} |", flush=True)
        for label, one_c, two_c in (("fixed 4 per replica", 4, 8), ("auto", "auto", "auto")):
            ratios = []
            for rep in range(args.repeat):
                one = run(urls[:1], args.n, one_c, tmp, f"one-{label[:4]}-{rep}")
                two = run(urls, args.n, two_c, tmp, f"two-{label[:4]}-{rep}")
                ratios.append(two / one)
                print(f"| {label} (pair {rep + 1}) | {one:.2f} | {two:.2f} | {two / one:.2f} |")
            print(f"| {label} median | | | {statistics.median(ratios):.2f} |", flush=True)
    finally:
        for pid, _ in pids:
            subprocess.run(["kill", str(pid)], check=False)


if __name__ == "__main__":
    main()
