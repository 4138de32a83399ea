"""Plays `vllm run-batch -i IN -o OUT`: answers an OpenAI batch input file offline.

Each output line is what vLLM's run_batch writes (vllm/entrypoints/openai/run_batch.py,
`BatchRequestOutput`): `{"id": "vllm-<hex>", "custom_id": ..., "response": {"status_code": 200,
"request_id": "vllm-batch-<hex>", "body": <chat completion>}, "error": null}`; a failed request
is `make_error_request_output`'s line: status 400, no body, `error` the message. Answers come
from the fake server's logic (fake_openai.FakeOpenAI.completion), so tests know what they are.

    python tests/annotate/fake_run_batch.py -i requests.jsonl -o results.jsonl
        [--second results2.jsonl] [--fail-every K] [--seed S]

`--fail-every K` makes every K-th request an error line; `--seed` shuffles the output order;
`--second` writes the second half of the lines to another file (a job cut in two).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_openai import FakeOpenAI


def run_batch(
    src: Path, out: Path, second: Path | None = None, fail_every: int = 0, seed: int | None = None
) -> list[str]:
    """Answer `src` into `out` (and `second`); the custom_ids of the error lines."""
    server = FakeOpenAI()
    lines, failed = [], []
    for i, text in enumerate(src.read_text(encoding="utf-8").splitlines()):
        row = json.loads(text)
        response = {"status_code": 200, "request_id": f"vllm-batch-{uuid.uuid4().hex}"}
        error = None
        if fail_every and i % fail_every == fail_every - 1:
            response["status_code"] = 400
            error = "The prompt is too long for this model's context (simulated)."
            failed.append(row["custom_id"])
        else:
            status, body = server.completion(row["body"])
            assert status == 200, body
            response["body"] = body
        lines.append(
            json.dumps(
                {
                    "id": f"vllm-{uuid.uuid4().hex}",
                    "custom_id": row["custom_id"],
                    "response": response,
                    "error": error,
                }
            )
        )
    if seed is not None:
        random.Random(seed).shuffle(lines)
    cut = len(lines) // 2 if second is not None else len(lines)
    out.write_text("".join(x + "\n" for x in lines[:cut]), encoding="utf-8")
    if second is not None:
        second.write_text("".join(x + "\n" for x in lines[cut:]), encoding="utf-8")
    return failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-i", "--input-file", required=True, type=Path)
    ap.add_argument("-o", "--output-file", required=True, type=Path)
    ap.add_argument("--second", type=Path, default=None)
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    run_batch(a.input_file, a.output_file, a.second, a.fail_every, a.seed)


if __name__ == "__main__":
    main()
