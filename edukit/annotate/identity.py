"""What identifies a run and a request, and how items and stored requests are read back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from edukit.annotate.store import dumps
from edukit.prompt import PromptRequest

DEFAULT_ENDPOINT = "https://api.openai.com/v1"
NOT_SENT = ("model", "timeout")  # rubric defaults that are not request parameters


def normalise_endpoint(base_url: str | None) -> str:
    """The endpoint's identity: scheme, host and path, lower-cased host, no default port, no
    trailing slash, no user info or query (which may hold credentials). None is OpenAI's. A
    replica set's identity (`replicas:<model>`) is kept as it is."""
    if base_url is not None and base_url.startswith("replicas:"):
        return base_url
    parts = urlsplit((base_url or DEFAULT_ENDPOINT).strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    if ":" in host:
        host = f"[{host}]"  # IPv6
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    return f"{scheme}://{host}{f':{port}' if port else ''}{path}"


def request_key(
    model: str,
    request: PromptRequest,
    sample: int,
    endpoint: str | None = None,
    redaction: str | None = None,
) -> str:
    """sha256 over canonical JSON of (endpoint, model, messages, schema, params, sample index).

    `model` is the model actually asked; a rubric's `defaults.model` in the params is only the
    default for it (never sent), so it is left out of the key. `endpoint` is the base URL asked
    (None: OpenAI's), normalised: the same prompt to another server is another request. The
    API key is not part of it. `redaction` (a redaction profile's hash) is part of the key when
    given, so redacted and raw text never share answers.
    """
    payload = {
        "endpoint": normalise_endpoint(endpoint),
        "model": model,
        "messages": request.messages,
        "schema": request.schema,
        "params": {k: v for k, v in request.params.items() if k not in NOT_SENT},
        "sample": sample,
    }
    if redaction is not None:
        payload["redaction"] = redaction
    return hashlib.sha256(dumps(payload).encode("utf-8")).hexdigest()


def run_identity(
    rubric: Any,
    model: str,
    base_url: str | None,
    rater: str,
    samples: int,
    input_id: str,
    redaction: str | None = None,
) -> str:
    """A run is its inputs: the same rubric, model, endpoint, rater, samples and input resume it."""
    payload = {
        "rubric_hash": rubric.hash,
        "model": model,
        "base_url": normalise_endpoint(base_url),
        "rater": rater,
        "samples": samples,
        "input": input_id,
    }
    if redaction is not None:  # a redacted run is another run (issue 17)
        payload["redaction"] = redaction
    return hashlib.sha256(dumps(payload).encode("utf-8")).hexdigest()[:16]


def iter_items(items: Any) -> Iterator[dict[str, Any]]:
    """Rows of a DataFrame or any iterable of mappings, one dict at a time."""
    if hasattr(items, "itertuples") and hasattr(items, "columns"):
        cols = [str(c) for c in items.columns]
        for values in items.itertuples(index=False, name=None):
            yield dict(zip(cols, values, strict=True))
        return
    for item in items:
        yield dict(item) if not isinstance(item, dict) else item


def limited(items: Any, limit: int | None) -> Iterator[dict[str, Any]]:
    """The first `limit` items (all of them when `limit` is None)."""
    for n, item in enumerate(iter_items(items)):
        if limit is not None and n >= limit:
            return
        yield item


def default_input_id(items: Any) -> str:
    """The input's identity when the caller gives none: a DataFrame's item ids, else nothing."""
    if hasattr(items, "columns") and "item_id" in getattr(items, "columns", ()):
        ids = "\n".join(map(str, items["item_id"]))
        return "ids:" + hashlib.sha256(ids.encode()).hexdigest()[:16]
    return ""


def request_row(req: PromptRequest, key: str, sample: int, seq: int) -> dict[str, Any]:
    """The run-store row of one request (sample `sample` of the `seq`-th item)."""
    return {
        "key": key,
        "item_id": req.item_id,
        "decision": req.key,
        "labels": req.labels,
        "version": req.version,
        "messages": req.messages,
        "schema_name": req.schema_name,
        "schema": req.schema,
        "params": req.params,
        "sample": sample,
        "seq": seq,
    }


def request_from_row(row: Mapping[str, Any]) -> PromptRequest:
    """Rebuild a PromptRequest from its run-store row."""
    return PromptRequest(
        item_id=row["item_id"],
        key=row["decision"],
        labels=tuple(row["labels"]),
        version=row["version"],
        messages=row["messages"],
        schema_name=row["schema_name"],
        schema=row["schema"],
        params=row["params"],
    )
