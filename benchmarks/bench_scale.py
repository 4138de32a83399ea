"""Corpus scale (issue 26): N items through the run store, side by side with a minimal loop.

Each measurement runs in a fresh subprocess (peak RSS from getrusage), against the fake server's
answering logic (tests/annotate/fake_openai.py `FakeOpenAI.completion`) behind an in-process
httpx transport, so both clients are measured on the same CPU cost of the server and no socket
limit gets in the way:

- `engine N C`: `edukit.annotate.engine.annotate()` over N streamed items at concurrency C: the
  real AsyncOpenAI client, prompts, request keys, leases, group commits, run store, annotation
  rows.
- `minimal N C`: a minimal asyncio loop: C workers pull the same request bodies from a
  generator and send them through AsyncOpenAI; nothing is stored.
- `replicas N C`: `annotate()` with two replicas (two transports) at concurrency C.

    python benchmarks/bench_scale.py [--n 1000000] [--concurrency 64,256] [--replicas] [--together]

`--together` runs the minimal loop and edukit at the same time, one process per core (the
machine has two), so both meet the same load from whatever else runs; CPU seconds per request
are printed beside wall time, as they move less with that load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_engine_memory import _rubric  # the same tiny two-move rubric

ROOT = Path(__file__).resolve().parents[1]


def _items(n: int):
    for i in range(n):
        yield {"item_id": str(i), "text": f"utterance number {i}"}


def _transport():
    import httpx

    sys.path.insert(0, str(ROOT / "tests" / "annotate"))
    import fake_openai

    server = fake_openai.FakeOpenAI()

    def handler(request):
        status, body = server.completion(json.loads(request.content))
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def child_engine(n: int, conc: int, tmp: Path, replicas: int = 1) -> dict:
    from edukit.annotate import client as client_mod
    from edukit.annotate.engine import annotate

    os.environ["OPENAI_API_KEY"] = "x"
    urls = [f"http://replica{i}.invalid/v1" for i in range(replicas)]
    if replicas > 1:
        # one transport per replica (each ChatClient gets its own)
        real = client_mod.ChatClient.__init__

        def init(self, *a, **kw):
            kw["http_client"] = _transport()
            real(self, *a, **kw)

        client_mod.ChatClient.__init__ = init
    start = time.perf_counter()
    res = annotate(
        _items(n),
        _rubric(tmp),
        "m",
        base_url=urls if replicas > 1 else urls[0],
        run_db=tmp / "runs.sqlite",
        concurrency=conc,
        quiet=True,
        http_client=None if replicas > 1 else _transport(),
    )
    assert res.counts["ok"] == n, res.counts
    return {"seconds": time.perf_counter() - start}


def child_minimal(n: int, conc: int, tmp: Path) -> dict:
    import asyncio

    from openai import AsyncOpenAI

    from edukit.annotate.client import request_body

    rubric = _rubric(tmp)

    def bodies():
        for item in _items(n):
            (req,) = rubric.requests(item)
            yield request_body("json_schema", req.messages, req.schema_name, req.schema, req.params)

    async def run() -> float:
        client = AsyncOpenAI(
            base_url="http://bench.invalid/v1", api_key="x", max_retries=0, http_client=_transport()
        )
        source = bodies()
        start = time.perf_counter()

        async def worker():
            for body in source:  # shared generator: each body is taken once
                await client.chat.completions.create(model="m", messages=[], extra_body=body)

        await asyncio.gather(*(worker() for _ in range(conc)))
        elapsed = time.perf_counter() - start
        await client.close()
        return elapsed

    return {"seconds": asyncio.run(run())}


def _start(kind: str, n: int, conc: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(n), str(conc)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"a benchmark child failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def run_children(kinds: list[str], n: int, conc: int, together: bool) -> dict[str, dict]:
    if together:
        procs = {kind: _start(kind, n, conc) for kind in kinds}
        return {kind: _result(proc) for kind, proc in procs.items()}
    return {kind: _result(_start(kind, n, conc)) for kind in kinds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--replicas", action="store_true", help="also two replicas vs one")
    ap.add_argument("--together", action="store_true", help="run the clients at the same time")
    ap.add_argument("--child", nargs=3)
    args = ap.parse_args()
    if args.child:
        kind, n, conc = args.child[0], int(args.child[1]), int(args.child[2])
        with tempfile.TemporaryDirectory() as d:
            if kind == "minimal":
                fig = child_minimal(n, conc, Path(d))
            else:
                fig = child_engine(n, conc, Path(d), 2 if kind == "replicas" else 1)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        fig["peak_rss_mb"] = usage.ru_maxrss / 1024
        fig["cpu_s"] = usage.ru_utime + usage.ru_stime  # the whole process, imports included
        print(json.dumps(fig))
        return
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    print(
        "| client | items | concurrency | seconds | req/s | CPU ms/req | peak RSS MB "
        "| edukit / minimal (req/s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for conc in (int(c) for c in args.concurrency.split(",")):
        kinds = ["minimal", "engine"] + (["replicas"] if args.replicas else [])
        figs = run_children(kinds, args.n, conc, args.together)
        rates = {kind: args.n / fig["seconds"] for kind, fig in figs.items()}
        for kind, fig in figs.items():
            ratio = f"{rates[kind] / rates['minimal']:.2f}" if kind != "minimal" else ""
            print(
                f"| {kind} | {args.n:,} | {conc} | {fig['seconds']:.0f} | {rates[kind]:.0f} | "
                f"{1000 * fig['cpu_s'] / args.n:.3f} | {fig['peak_rss_mb']:.0f} | {ratio} |",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
