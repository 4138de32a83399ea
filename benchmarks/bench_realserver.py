"""Throughput against llama.cpp's real llama-server (../shared/realserver), concurrency 1, 2, 4.

Side by side in one run, on the same requests (bundled mathdial-moves rubric over the bundled
MathDial sample; strict json_schema, temperature 0, max_tokens 100): `edukit.annotate.engine.
annotate` with a fresh run store, and a minimal asyncio loop (a semaphore over AsyncOpenAI sending
the same bodies). The server runs with 4 slots (`-np 4`) and 2 threads; the model is the tiny
random-weight one, so the figures measure the client, the server's scheduling and grammar
decoding rather than a real model's speed.

    python benchmarks/bench_realserver.py [--n 60] [--rubric sight.yaml]

`--rubric sight.yaml` uses the bundled SIGHT sample instead (nine short binary requests per
comment).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALSERVER = Path(os.environ.get("EDUKIT_REALSERVER", ROOT.parent / "shared" / "realserver"))


def start() -> tuple[int, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run(
        ["bash", str(REALSERVER / "start.sh"), str(port), "-np", "4", "-t", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1]), f"http://127.0.0.1:{port}/v1"


DATA = {
    "mathdial-moves.yaml": ("mathdial", "test.csv"),
    "sight.yaml": ("sight", "sample_dataset.csv"),
}


def requests(n: int, rubric_name: str = "mathdial-moves.yaml"):
    from edukit.annotate.identity import iter_items
    from edukit.corpora.detect import load_items
    from edukit.resources import bundled
    from edukit.rubric import load_rubric

    rubric = load_rubric(bundled("rubrics", rubric_name))
    items = load_items(bundled("datasets", *DATA[rubric_name]))
    text = items[rubric.text_field].fillna("").astype(str).str.strip()
    items = items[text != ""].head(n).reset_index(drop=True)
    reqs = [r for item in iter_items(items) for r in rubric.requests(item)]
    return rubric, items, reqs


async def minimal(base_url: str, reqs, concurrency: int) -> float:
    from openai import AsyncOpenAI

    from edukit.annotate.client import request_body

    client = AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(req) -> None:
        body = request_body("json_schema", req.messages, req.schema_name, req.schema, req.params)
        async with sem:
            await client.chat.completions.create(model="tiny", **body)

    began = time.perf_counter()
    await asyncio.gather(*(one(r) for r in reqs))
    elapsed = time.perf_counter() - began
    await client.close()
    return len(reqs) / elapsed


def edukit_run(base_url: str, rubric, items, concurrency: int) -> tuple[float, dict]:
    from edukit.annotate.engine import annotate

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        res = annotate(
            items,
            rubric,
            "tiny",
            base_url=base_url,
            run_db=Path(tmp) / "r.sqlite",
            concurrency=concurrency,
            quiet=True,
        )
        elapsed = time.perf_counter() - began
    return res.sent / elapsed, res.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="items (at most)")
    parser.add_argument("--rubric", default="mathdial-moves.yaml", choices=sorted(DATA))
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "not-needed")
    rubric, items, reqs = requests(args.n, args.rubric)
    pid, base_url = start()
    try:
        asyncio.run(minimal(base_url, reqs[:4], 2))  # warm up the server
        print("| concurrency | minimal loop req/s | edukit req/s | edukit / minimal | edukit ok |")
        print("| --- | --- | --- | --- | --- |")
        for c in (1, 2, 4):
            base = asyncio.run(minimal(base_url, reqs, c))
            ours, counts = edukit_run(base_url, rubric, items, c)
            ok = f"{counts['ok']}/{len(reqs)}"
            print(f"| {c} | {base:.1f} | {ours:.1f} | {ours / base:.2f} | {ok} |")
            sys.stdout.flush()
    finally:
        os.kill(pid, 15)


if __name__ == "__main__":
    main()
