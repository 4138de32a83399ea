"""The settings of an annotation run, in four typed groups the CLI builds once.

`annotate(items, rubric, model)` works with the defaults; a notebook passes only the groups it
changes (`endpoint=Endpoint(base_url=...)`), or the former keyword arguments one by one
(`base_url=...`), which are sorted into their groups by `settings_from`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_RETRIES = 5  # the engine's retries of one request (as edukit.annotate.client.MAX_RETRIES)


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and how hard to push: one URL, replicas of one model, the Batch API
    (`batch`), or batch files (`batch_file`, `batch_results`); concurrency and rate limits."""

    base_url: str | Sequence[str] | None = None  # several URLs: replicas of one model
    endpoints: Any = None  # a file of replicas (`URL [KEY_VARIABLE] [WEIGHT]`) or Replica list
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int | str | None = None  # N, "auto", or None (auto unless OpenAI's API)
    rpm: float | None = None
    tpm: float | None = None
    timeout: float | None = None  # seconds per HTTP call (None: the rubric's, else 120)
    max_retries: int = MAX_RETRIES
    http_client: Any = None
    batch: bool = False
    batch_file: str | os.PathLike | None = None
    batch_results: Sequence[str | os.PathLike] = ()


@dataclass(frozen=True)
class Sampling:
    """What is asked of the model: samples per request, temperature, logprobs, re-asks."""

    samples: int | None = None  # None: the rubric's
    temperature: float | None = None  # None: the rubric's
    logprobs: bool | None = None
    max_reasks: int = 2


@dataclass(frozen=True)
class Limits:
    """How much of the work, at what price: --limit, --max-cost, the price table, dry run."""

    limit: int | None = None
    max_cost: float | None = None
    prices: Any = None  # None: the bundled table with the user's overrides
    dry_run: bool = False


@dataclass(frozen=True)
class Output:
    """Where the run is kept and what is said on the way."""

    run_db: str | os.PathLike = "edukit-runs.sqlite"
    rater: str | None = None  # None: the model
    input_id: str | None = None  # None: a DataFrame's item ids
    quiet: bool = False
    progress: Callable[[dict[str, Any]], None] | None = None
    command: Mapping[str, Any] | None = None  # options recorded with the run (no secrets)
    redaction: Any = None  # an edukit.redact.Redaction
    reuse_from: str | None = None


GROUPS = {"endpoint": Endpoint, "sampling": Sampling, "limits": Limits, "output": Output}
_FIELD_GROUP = {f.name: name for name, cls in GROUPS.items() for f in dataclasses.fields(cls)}


def settings_from(
    endpoint: Endpoint | None = None,
    sampling: Sampling | None = None,
    limits: Limits | None = None,
    output: Output | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[Endpoint, Sampling, Limits, Output]:
    """The four groups, with single keyword `options` (`base_url=...`) sorted into them."""
    given = {"endpoint": endpoint, "sampling": sampling, "limits": limits, "output": output}
    groups: dict[str, Any] = {}
    for name, cls in GROUPS.items():
        value = given[name]
        if value is not None and not isinstance(value, cls):
            raise TypeError(f"annotate(): {name}= takes an {cls.__name__}, got {value!r}")
        groups[name] = value if value is not None else cls()
    moved: dict[str, dict[str, Any]] = {}
    for key, value in (options or {}).items():
        if key not in _FIELD_GROUP:
            raise TypeError(f"annotate() got an unexpected keyword argument {key!r}")
        moved.setdefault(_FIELD_GROUP[key], {})[key] = value
    for name, changes in moved.items():
        groups[name] = dataclasses.replace(groups[name], **changes)
    return groups["endpoint"], groups["sampling"], groups["limits"], groups["output"]
