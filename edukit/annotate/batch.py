"""The OpenAI Batch API path: half the price, answers within 24 hours.

The first call writes the pending requests as Batch JSONL (custom_id = request key), uploads it
and creates batches of at most 50,000 requests and 200 MB per input file, keeping their ids in
the run store. A later call (or `edukit runs show`/`runs ingest`) polls them, stores every
valid answer as an `ok` response and, once no batch is still running, sends whatever is left
(failed rows, invalid answers, expired batches) through the interactive path, where invalid
answers are re-asked.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from edukit.annotate.aggregate import aggregate
from edukit.annotate.client import Connection, request_body
from edukit.annotate.extract import extract_answer, has_surrogate, obtained_mode
from edukit.annotate.identity import request_from_row, request_row
from edukit.annotate.store import RunStore

MAX_PER_BATCH = 50_000  # the Batch API's limit on requests per input file
MAX_BATCH_BYTES = 200 * 1000 * 1000  # and on an input file's size (200 MB; decimal, to be safe)
ENDPOINT = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")


def batch_line(key: str, model: str, request_row: dict[str, Any]) -> dict[str, Any]:
    """One line of the Batch API input file for a stored request."""
    body = request_body(
        "json_schema",
        request_row["messages"],
        request_row["schema_name"],
        request_row["schema"],
        request_row["params"],
    )
    from edukit.annotate.ladder import token_param_for

    param = token_param_for(model)  # o-series and gpt-5 refuse max_tokens
    if param != "max_tokens" and "max_tokens" in body:
        body[param] = body.pop("max_tokens")
    return {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": {"model": model, **body}}


async def submit(
    recorder,
    openai_client,
    jobs,
    *,
    max_per_batch: int | None = None,
    max_bytes: int | None = None,
) -> list[str]:
    """Write the pending requests to JSONL files, upload them, create the batches; ids returned.

    A file holds at most `max_per_batch` requests and `max_bytes` bytes (the Batch API's limits);
    a single request larger than a whole file is an error before anything is uploaded.
    """
    ids: list[str] = []
    for path, n in iter_parts(
        recorder,
        jobs,
        lambda _i: _temp_file(),
        max_per_batch or MAX_PER_BATCH,
        max_bytes or MAX_BATCH_BYTES,
    ):
        try:
            with open(path, "rb") as data:
                uploaded = await openai_client.files.create(file=data, purpose="batch")
            created = await openai_client.batches.create(
                input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
            )
        finally:
            os.unlink(path)
        recorder.store.add_batch(recorder.run_id, created.id, uploaded.id, n, created.status)
        ids.append(created.id)
    return ids


def _temp_file():
    fd, path = tempfile.mkstemp(prefix="edukit-batch-", suffix=".jsonl")
    os.close(fd)
    return open(path, "wb")


def iter_parts(recorder, jobs, open_part, max_per_batch: int, max_bytes: int):
    """Write the jobs' batch lines into parts of at most `max_per_batch` requests and
    `max_bytes` bytes; yield (path, requests) as each part is closed. `open_part(i)` opens
    part i for binary writing. A request larger than a whole part is an error before any part
    is yielded for it."""
    from edukit.errors import AnnotationError

    fh, n, size, index = None, 0, 0, 0
    seen: set[str] = set()  # identical prompts share a key; custom_ids must be unique
    for group, s, key in jobs:
        if key in seen:
            continue
        seen.add(key)
        row = request_row(group.request, key, s, group.seq)
        line = (
            json.dumps(batch_line(key, recorder.model, row), ensure_ascii=False) + "\n"
        ).encode()
        if len(line) > max_bytes:
            if fh is not None:
                fh.close()
                os.unlink(fh.name)
            raise AnnotationError(
                f"one request of item {group.request.item_id} is {len(line):,} bytes, more than a "
                f"Batch API input file may hold ({max_bytes:,}); shorten the instructions or run "
                "without --batch"
            )
        if fh is not None and size + len(line) > max_bytes:
            fh.close()
            yield fh.name, n
            fh = None
        if fh is None:
            index += 1
            fh, n, size = open_part(index), 0, 0
        fh.write(line)
        n += 1
        size += len(line)
        if n >= max_per_batch:
            fh.close()
            yield fh.name, n
            fh = None
    if fh is not None:
        fh.close()
        yield fh.name, n


async def refresh_batches(store: RunStore, run_id: str, rubric: Any, openai_client) -> list[dict]:
    """Poll the run's unfinished batches and ingest those that ended; the batches returned."""
    for b in store.batches(run_id):
        if b["ingested"]:
            continue
        remote = await openai_client.batches.retrieve(b["id"])
        store.update_batch(
            b["id"],
            status=remote.status,
            output_file_id=remote.output_file_id,
            error_file_id=remote.error_file_id,
        )
        if remote.status in TERMINAL:
            if remote.output_file_id:
                content = await openai_client.files.content(remote.output_file_id)
                ingest_lines(store, run_id, rubric, content.text.splitlines())
            store.update_batch(b["id"], ingested=1)
    finalize(store, run_id, rubric)
    return store.batches(run_id)


def ingest_lines(store: RunStore, run_id: str, rubric: Any, lines) -> int:
    """Store the valid answers of a batch output file; others are left for the interactive path."""
    from edukit.annotate.store import FINISHED
    from edukit.annotate.wire import MalformedResponse, parse_chat_body

    requests = {r["key"]: r for r in store.requests(run_id)}
    stored = 0
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        req_row = requests.get(row.get("custom_id"))
        resp = row.get("response") or {}
        if (
            req_row is None
            or resp.get("status_code") != 200
            or store.status(row["custom_id"]) in FINISHED
        ):
            continue
        try:
            body = parse_chat_body(json.dumps(resp.get("body")))
        except MalformedResponse:
            continue
        stored += store_answer(store, row["custom_id"], req_row, rubric, body)
    return stored


def store_answer(store: RunStore, key: str, req_row: dict, rubric: Any, body) -> bool:
    """Store a batch answer (a validated chat body) as `ok` when it follows the schema; False
    (nothing stored) when it does not: the request stays to be asked again."""
    text = body.choices[0].message.content or ""
    request = request_from_row(req_row)
    if has_surrogate(text):
        return False  # not valid Unicode (cannot be stored): the interactive path re-asks it
    try:
        found = extract_answer(text, request.schema)  # after any <think> block
        obj = found.obj
        rubric.decode(request, obj)
    except ValueError:
        return False  # invalid: the interactive path re-asks it
    usage = body.usage
    store.record_response(
        key,
        {
            "status": "ok",
            "raw": text,
            "parsed": obj,
            "mode": obtained_mode("json_schema", found.how),
            "input_tokens": usage.prompt_tokens if usage else 0,
            "output_tokens": usage.completion_tokens if usage else 0,
            "attempts": 1,
            "source": "batch",
        },
    )
    return True


def finalize(store: RunStore, run_id: str, rubric: Any) -> int:
    """Write annotation rows for every request whose samples have all finished."""
    run = store.run(run_id)
    written = 0
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in store.requests(run_id):
        groups.setdefault((row["seq"], row["decision"]), []).append(row)
    for (seq, _), rows in groups.items():
        entries = []
        for row in sorted(rows, key=lambda r: r["sample"]):
            resp = store.response(row["key"])
            if resp is None or resp["status"] not in ("ok", "invalid"):
                break
            if resp["status"] == "ok":
                request = request_from_row(row)
                decisions = rubric.decode(request, resp["parsed"])
                entries.append((row["key"], decisions, resp["logprob"] or {}))
            else:
                entries.append(None)
        else:
            out = aggregate(entries)
            for r in out:
                r.update(item_id=rows[0]["item_id"], rater=run["rater"], seq=seq)
            store.add_annotations(run_id, out)
            written += len(out)
    return written


async def run_batch(
    recorder, scheduler, items: Any, limit: int | None, conn: Connection
) -> tuple[str | None, list[dict[str, Any]]]:
    """Submit, or poll and ingest, the run's batches; fall back to interactive when all ended."""
    store, run_id = recorder.store, recorder.run_id
    client = conn.client(recorder.model)
    try:
        batches = store.batches(run_id)
        if not batches:
            if await submit(recorder, client.openai, recorder.plan(items, limit)):
                return "batch_pending", store.batches(run_id)
            return None, []  # nothing left to send
        batches = await refresh_batches(store, run_id, recorder.rubric, client.openai)
        if any(b["status"] not in TERMINAL for b in batches):
            return "batch_pending", batches
    finally:
        await client.close()
    jobs = recorder.plan(items, limit, lambda: scheduler.interrupted)
    stopped = await scheduler.run(jobs, conn)
    return stopped, store.batches(run_id)


def run_details(store: RunStore, run: str, *, refresh: bool = True) -> dict[str, Any]:
    """A run's row, summary, cost and batches; unfinished batches are polled when `refresh`."""
    from edukit.annotate.client import resolve_api_key
    from edukit.annotate.cost import load_prices
    from edukit.annotate.scheduler import run_sync
    from edukit.rubric import load_rubric

    row = store.run(run)
    run_id = row["id"]
    note = None
    if refresh and any(not b["ingested"] for b in store.batches(run_id)):
        rubric_path = row["rubric_path"]
        rubric = load_rubric(rubric_path) if rubric_path and os.path.exists(rubric_path) else None
        if rubric is None or rubric.hash != row["rubric_hash"]:
            note = f"cannot ingest: the rubric {rubric_path} is missing or has changed"
        else:
            key_env = row["options"].get("api_key_env") or "OPENAI_API_KEY"
            conn = Connection(row["base_url"], resolve_api_key(key_env, row["base_url"]))
            client = conn.client(row["model"])

            async def poll() -> None:
                try:
                    await refresh_batches(store, run_id, rubric, client.openai)
                finally:
                    await client.close()

            run_sync(poll())
            if all(b["ingested"] for b in store.batches(run_id)):
                note = (
                    "All batches ended; re-run the annotate command to send any rows that failed."
                )
    from edukit.annotate.cost import run_cost

    summary = store.summary(run_id)
    try:
        cost = run_cost(load_prices(), row["model"], store.spend(run_id))
    except Exception:  # a broken price file must not hide the run
        cost = None
    return {
        "run": row,
        "summary": summary,
        "calls": store.attempt_stats(run_id),
        "replicas": store.replica_stats(run_id),
        "concurrency": store.concurrency(run_id),
        "cost": cost,
        "batches": store.batches(run_id),
        "note": note,
    }
