"""Peak memory of the annotation engine on large streamed inputs (zero latency).

Two measurements, each in a fresh subprocess (peak RSS from getrusage):
- `full N`: `annotate()` over N generated items, end to end (real AsyncOpenAI client, run store,
  rubric, re-ask loop), through an in-process httpx transport answering like the test server.
- `plan N`: the streamed producer alone over N items: items generated lazily, the rubric's
  requests built, keys hashed, request rows written to the run store and checked for cached
  answers; nothing sent. This is the part whose memory would grow with the corpus if anything
  were materialised.

    python benchmarks/bench_engine_memory.py [--full 2000,20000] [--plan 1000000]
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

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = """\
name: tiny
version: "1"
task: single
target: move
labels:
  - {name: focus, definition: Guiding focus.}
  - {name: telling, definition: Revealing the answer.}
"""


def _items(n: int):
    for i in range(n):
        yield {"item_id": str(i), "text": f"u{i}"}


def _rubric(tmp: Path):
    from edukit.rubric import load_rubric

    (tmp / "r.yaml").write_text(RUBRIC)
    return load_rubric(tmp / "r.yaml")


def child_full(n: int, tmp: Path) -> dict:
    import httpx2

    sys.path.insert(0, str(ROOT / "tests" / "annotate"))
    import fake_openai

    from edukit.annotate.engine import annotate

    server = fake_openai.FakeOpenAI()

    def handler(request):
        status, body = server.completion(json.loads(request.content))
        return httpx2.Response(status, json=body)

    os.environ["OPENAI_API_KEY"] = "x"
    transport = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    start = time.perf_counter()
    res = annotate(
        _items(n),
        _rubric(tmp),
        "m",
        base_url="http://bench.invalid/v1",
        run_db=tmp / "runs.sqlite",
        concurrency=32,
        quiet=True,
        http_client=transport,
    )
    assert res.counts["ok"] == n, res.counts
    return {"seconds": time.perf_counter() - start, "ok": res.counts["ok"]}


def child_plan(n: int, tmp: Path) -> dict:
    from edukit.annotate.progress import Stats
    from edukit.annotate.recorder import Recorder
    from edukit.annotate.store import RunStore

    store = RunStore(tmp / "runs.sqlite")
    store.open_run("bench", {"model": "m", "rater": "m"})
    recorder = Recorder(store, "bench", _rubric(tmp), "m", "m", 1, Stats())
    start = time.perf_counter()
    count = sum(1 for _ in recorder.plan(_items(n), None))
    assert count == n
    return {"seconds": time.perf_counter() - start, "requests": count}


def run_child(kind: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", default="2000,20000")
    parser.add_argument("--plan", default="1000,1000000")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        with tempfile.TemporaryDirectory() as d:
            fig = (child_full if kind == "full" else child_plan)(n, Path(d))
        fig["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(fig))
        return
    print(f"{'measurement':<44}{'items':>9}{'seconds':>9}{'peak RSS MB':>13}")
    for kind, spec, label in (
        ("full", args.full, "annotate() end to end, in-process HTTP"),
        ("plan", args.plan, "streamed producer (build, hash, store)"),
    ):
        for n in (int(x) for x in spec.split(",") if x):
            fig = run_child(kind, n)
            print(f"{label:<44}{n:>9}{fig['seconds']:>9.1f}{fig['peak_rss_mb']:>13.1f}")


if __name__ == "__main__":
    main()
