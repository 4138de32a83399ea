"""Batch files for cluster schedulers: `vllm run-batch` (or any OpenAI batch runner) offline.

`--batch-file requests.jsonl` writes the run's pending requests in the OpenAI batch input format
(`custom_id` = request key, `method`, `url`, `body`), which `vllm run-batch -i requests.jsonl -o
results.jsonl --model M` reads as it is. Files are split as the Batch API path splits them (at
most 50,000 requests and 200 MB each): one file keeps the name given, several are numbered
(`requests.1.jsonl`, `requests.2.jsonl`, ...). They are recorded in the run store as submitted;
nothing is sent.

`--batch-results results.jsonl` (repeatable, any order, partial files) reads output files back:
every line is validated (`OutputLine`, then the answer body as every 200 body is); an answer is
stored exactly as a Batch API answer is (`source = batch`), a line with an error status is
recorded as an `api_error` (the next `--batch-file` writes the request again), and a malformed
line is one error naming the file and line, and changes nothing.

The endpoint identity of a run fed by batch files is the model's replica set
(`replicas:<model>`): a batch job is one more replica of the model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

MAX_LINE_BYTES = 50_000_000  # an output line longer than this is not an answer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponseData(_Strict):
    status_code: int
    request_id: str | None = None
    body: dict[str, Any] | None = None


class OutputLine(_Strict):
    """One line of a batch output or error file (OpenAI's and `vllm run-batch`'s format)."""

    id: str
    custom_id: str
    response: ResponseData | None = None
    error: Any = None


@dataclass
class Ingested:
    """What reading result files did."""

    stored: int = 0  # answers stored
    failed: int = 0  # lines with an error status (recorded as api_error)
    invalid: int = 0  # answers that do not follow the schema (left pending)
    known: int = 0  # lines for requests already answered (nothing changed)
    foreign: int = 0  # lines whose custom_id is no request of this run
    errors: list[str] = field(default_factory=list)  # one per malformed line


def part_paths(path: Path, parts: int) -> list[Path]:
    """The file names of a batch file split into `parts`."""
    if parts == 1:
        return [path]
    return [path.with_name(f"{path.stem}.{i}{path.suffix}") for i in range(1, parts + 1)]


def write_batch_files(
    recorder, jobs: Iterable, path: str | os.PathLike, *, max_per_file=None, max_bytes=None
) -> list[tuple[Path, int]]:
    """Write the pending jobs' requests to `path` (split when needed); (file, requests) each.

    Parts are written next to `path` under temporary names and renamed when complete, so a
    failure leaves no half-written batch file behind.
    """
    from edukit.annotate import batch as batch_api

    path = Path(path)
    tmp_parts: list[tuple[Path, int]] = []
    try:
        for i, (tmp, n) in enumerate(
            batch_api.iter_parts(
                recorder,
                jobs,
                lambda i: open(path.with_name(f".{path.name}.part{i}.tmp"), "wb"),  # noqa: SIM115
                max_per_file or batch_api.MAX_PER_BATCH,
                max_bytes or batch_api.MAX_BATCH_BYTES,
            )
        ):
            del i
            tmp_parts.append((Path(tmp), n))
        finals = part_paths(path, len(tmp_parts))
        for (tmp, _), final in zip(tmp_parts, finals, strict=True):
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in tmp_parts:
            tmp.unlink(missing_ok=True)
        raise
    out = [(final, n) for final, (_, n) in zip(finals, tmp_parts, strict=True)]
    for final, n in out:
        recorder.store.add_batch(
            recorder.run_id, f"file:{final.resolve()}", os.fspath(final), n, "written"
        )
    return out


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a results file, one error for a file that cannot be read."""
    from edukit.errors import InputError

    try:
        fh = open(path, encoding="utf-8", errors="strict")  # noqa: SIM115
    except FileNotFoundError:
        raise InputError("no such results file", path=path) from None
    except IsADirectoryError:
        raise InputError("--batch-results names a directory, not a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the results file ({exc.strerror})", path=path) from None
    with fh:
        number = 0
        while True:
            number += 1
            try:
                line = fh.readline(MAX_LINE_BYTES)
            except UnicodeDecodeError:
                raise InputError(
                    f"line {number} is not UTF-8: not a batch results file", path=path
                ) from None
            if not line:
                return
            yield number, line


def ingest_results(store, run_id: str, rubric: Any, paths: Iterable[str | os.PathLike]) -> Ingested:
    """Read batch output files into the run store (see the module docstring)."""
    from edukit.annotate.batch import store_answer
    from edukit.annotate.store import FINISHED
    from edukit.annotate.wire import MalformedResponse, parse_chat_body

    report = Ingested()
    store.commit()  # request rows still buffered are looked up one line at a time
    for path in map(Path, paths):
        for number, text in read_lines(path):
            if not text.strip():
                continue
            where = f"{path}, line {number}"
            try:
                row = OutputLine.model_validate_json(text)
            except ValidationError as exc:
                err = exc.errors()[0]
                at = ".".join(str(p) for p in err["loc"]) or "line"
                report.errors.append(f"{where}: not a batch output line ({at}: {err['msg']})")
                continue
            req_row = store.request(run_id, row.custom_id)
            if req_row is None:
                report.foreign += 1
                continue
            if store.status(row.custom_id) in FINISHED:
                report.known += 1
                continue
            resp = row.response
            if resp is None or resp.status_code != 200 or resp.body is None:
                status = resp.status_code if resp is not None else None
                message = row.error if isinstance(row.error, str) else json.dumps(row.error)
                with store.write():
                    store.record_response(
                        row.custom_id,
                        {
                            "status": "api_error",
                            "errors": [f"batch result {status}: {message}"[:500]],
                            "attempts": 1,
                            "source": "batch",
                        },
                    )
                report.failed += 1
                continue
            try:
                body = parse_chat_body(json.dumps(resp.body))
            except MalformedResponse as exc:
                report.errors.append(f"{where}: {exc.reason}")
                continue
            with store.write():
                stored = store_answer(store, row.custom_id, req_row, rubric, body)
            if stored:
                report.stored += 1
            else:
                report.invalid += 1
    return report


def run_files(recorder, items: Any, limit: int | None, batch_file, results) -> tuple:
    """The batch-file path of a run: read `results` files, then write what is still pending to
    `batch_file` (or only walk the items, so what is answered is settled). Returns (stopped,
    files written, Ingested or None); nothing is sent."""
    report = None
    if results:
        report = ingest_results(recorder.store, recorder.run_id, recorder.rubric, results)
    written: list[tuple[Path, int]] = []
    if batch_file is not None:
        written = write_batch_files(recorder, recorder.plan(items, limit), batch_file)
    else:
        for _ in recorder.plan(items, limit):
            pass  # settles what the results answered; the rest stays pending
    return ("batch_written" if written else None), written, report
