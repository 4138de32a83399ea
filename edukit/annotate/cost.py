"""What a run costs: token estimates, prices, the run's cost, and the --max-cost budget.

Prices come from a dated table shipped with edukit (`edukit/data/prices.json`), which a user file
overrides model by model: `~/.config/edukit/prices.toml` (or `.json`) when present, or an explicit
path. A model the table does not price (including every `local:*` model) has an unknown cost,
reported as `None`, never as zero. `Budget` keeps a run's spending against --max-cost, reserving
each request's estimated cost before it is sent (formerly edukit.annotate.budget).
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edukit.errors import InputError

# OpenAI's rule of thumb: ~4 characters of English text per token. On the OpenAI cookbook's
# worked example ("How to count tokens with tiktoken": six chat messages, 129 prompt tokens for
# gpt-3.5-turbo / gpt-4, 124 for gpt-4o) this estimate gives 160 tokens: +24% and +29%. English
# prose runs nearer 4.5-5 characters per token, so budgets err on the safe side; dense JSON,
# code, numbers and non-Latin scripts run nearer 2-3 characters per token and are underestimated.
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4  # <|start|>{role}<|message|>...<|end|>: 3 framing tokens + the role
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3  # every reply is primed with <|start|>assistant<|message|>

_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def _text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_tokens(messages_or_text: str | Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> int:
    """Estimated tokens of a text or of a list of chat messages (no tokenizer: chars / 4).

    Messages add the chat format's per-message overhead and the reply priming. Content given as a
    list of parts counts its text parts. Any other mapping (a JSON Schema, say) counts its JSON.
    Error: about +25% on English prose (see CHARS_PER_TOKEN), an underestimate on dense JSON.
    """
    if isinstance(messages_or_text, str):
        return _text_tokens(messages_or_text)
    if isinstance(messages_or_text, Mapping):
        return _text_tokens(json.dumps(messages_or_text, separators=(",", ":")))
    total = TOKENS_REPLY_PRIMING
    for message in messages_or_text:
        total += TOKENS_PER_MESSAGE + _text_tokens(_content_text(message.get("content")))
        if message.get("name"):
            total += TOKENS_PER_NAME + _text_tokens(str(message["name"]))
    return total


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "".join(
            str(p.get("text", "")) if isinstance(p, Mapping) else str(p) for p in content
        )
    return str(content)


# The dearest listed model costs a few hundred USD per 1M tokens; $1 a token is far beyond any
# real price (tests use it for easy sums). Beyond it is a typo, or `inf`/`1e308`, with which
# --max-cost would send everything and report $inf.
MAX_PRICE = 1_000_000.0


class ModelPrice(BaseModel):
    """USD per 1M tokens (finite, 0 to MAX_PRICE); `batch_discount` overrides the table's."""

    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)
    output: float = Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)
    batch_discount: float | None = Field(default=None, ge=0, le=1)


class PriceFile(BaseModel):
    """The shape of the packaged table and of a user override file (every key optional there)."""

    model_config = ConfigDict(extra="forbid")
    checked: str | None = None
    source: str | None = None
    currency: str | None = None
    unit: str | None = None
    batch_discount: float | None = Field(default=None, ge=0, le=1)
    models: dict[str, ModelPrice | None] = Field(default_factory=dict)


class PriceTable(BaseModel):
    """Prices in USD per 1M tokens, the date they were checked and where they came from.

    A model mapped to `None` (such as `local:*`) is known to have no price: its cost is unknown.
    Model names may be glob patterns; a dated snapshot (`gpt-4o-2024-08-06`) falls back to its
    base name.
    """

    checked: str
    source: str
    currency: str = "USD"
    batch_discount: float = 0.5
    models: dict[str, ModelPrice | None]
    files: list[str] = Field(default_factory=list)  # the files merged, packaged table first

    def lookup(self, model: str) -> ModelPrice | None:
        """The price of `model`, or None when it is unknown."""
        for name in (model, _DATE_SUFFIX.sub("", model)):
            if name in self.models:
                return self.models[name]
        for pattern, price in self.models.items():
            if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(model, pattern):
                return price
        return None

    def cost(
        self, model: str, input_tokens: int, output_tokens: int, *, batch: bool = False
    ) -> float | None:
        """USD for these tokens, or None when the model's price is unknown."""
        price = self.lookup(model)
        if price is None:
            return None
        usd = (input_tokens * price.input + output_tokens * price.output) / 1_000_000
        if batch:
            discount = self.batch_discount if price.batch_discount is None else price.batch_discount
            usd *= 1 - discount
        return usd


def user_prices_dir() -> Path:
    """The folder a user's price file is read from: `$XDG_CONFIG_HOME/edukit` (`~/.config`)."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "edukit"


def user_prices_path() -> Path | None:
    """`$XDG_CONFIG_HOME/edukit/prices.toml` (or `.json`; default `~/.config`) if it exists."""
    base = user_prices_dir()
    for name in ("prices.toml", "prices.json"):
        if (base / name).is_file():
            return base / name
    return None


def load_prices(config_path: str | os.PathLike | None = None) -> PriceTable:
    """The packaged price table, overridden by `config_path` or else by the user's config file.

    The override file (TOML or JSON) has the packaged table's keys, all optional, e.g.::

        checked = "2026-03-01"
        [models."my-vllm-model"]
        input = 0.0
        output = 0.0
    """
    packaged = resources.files("edukit").joinpath("data", "prices.json")
    base = _parse(json.loads(packaged.read_text(encoding="utf-8")), str(packaged), "")
    table = PriceTable(
        checked=base.checked or "unknown",
        source=base.source or "",
        currency=base.currency or "USD",
        batch_discount=0.5 if base.batch_discount is None else base.batch_discount,
        models=dict(base.models),
        files=[str(packaged)],
    )
    path = Path(config_path) if config_path is not None else user_prices_path()
    if path is None:
        return table
    override = _read_override(path)
    update: dict[str, Any] = {
        k: v
        for k, v in override.model_dump(exclude={"models", "unit"}).items()
        if v is not None and k in PriceTable.model_fields
    }
    return table.model_copy(
        update={
            **update,
            "models": {**table.models, **override.models},
            "files": [*table.files, str(path)],
        }
    )


def estimate_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    batch: bool = False,
    prices: PriceTable | None = None,
) -> float | None:
    """Estimated USD for a model and token counts (batch discount applied), None when unknown."""
    table = prices if prices is not None else load_prices()
    return table.cost(model, input_tokens, output_tokens, batch=batch)


def _read_override(path: Path) -> PriceFile:
    from edukit.jsonsafe import check_depth
    from edukit.jsonsafe import loads as json_loads
    from edukit.userfile import read_user_text

    text = read_user_text(path, what="price file")
    if path.suffix.lower() == ".json":
        data = json_loads(text, path=path)
    else:
        try:
            data = tomllib.loads(text)
        except RecursionError:
            raise InputError("TOML nested too deeply", path=path) from None
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"\s*\(at line (\d+), column \d+\)", str(exc))
            line = int(found.group(1)) if found else None
            msg = str(exc).replace(found.group(0), "") if found else str(exc)
            raise InputError(f"not valid TOML: {msg}", path=path, where=line) from None
        check_depth(data, path=path)
    if not isinstance(data, dict):
        raise InputError("a price file must hold a table of keys", path=path)
    return _parse(data, path, text)


def _parse(data: dict[str, Any], path: str | os.PathLike, text: str) -> PriceFile:
    """Validate a price file; the first problem names its key (and its line when findable)."""
    try:
        return PriceFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        raise InputError(
            f"key {'.'.join(loc)!r}: {err['msg'].lower()}", path=path, where=_line_of(text, loc)
        ) from None


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line that sets the innermost findable key of `loc` (TOML or JSON), for messages."""
    lines = text.splitlines()
    for key in reversed(loc):
        k = re.escape(key)
        pattern = re.compile(rf'^\s*"?{k}"?\s*=|^\s*\[.*"?{k}"?\s*\]\s*$|"{k}"\s*:')
        for number, line in enumerate(lines, 1):
            if pattern.search(line):
                return number
    return None


def load_prices_quietly():
    """The price table, or None when the user's price file is broken (the run still reports)."""
    try:
        return load_prices()
    except Exception:  # a broken user price file must not lose a finished run's summary
        return None


def price(prices, model: str, tin: int, tout: int, batch: bool = False) -> float | None:
    """USD for these tokens of `model`, None without a price table or a price for the model."""
    if prices is None:
        return None
    return estimate_cost(model, tin, tout, batch=batch, prices=prices)


def run_cost(prices, model: str, summary: Mapping[str, Any]) -> float | None:
    """Interactive tokens at the list price, Batch API tokens with the batch discount."""
    live = price(
        prices,
        model,
        summary["input_tokens"] - summary["batch_input_tokens"],
        summary["output_tokens"] - summary["batch_output_tokens"],
    )
    batched = price(
        prices, model, summary["batch_input_tokens"], summary["batch_output_tokens"], True
    )
    return None if live is None or batched is None else live + batched


def output_tokens_estimate(schema: Mapping[str, Any]) -> int:
    """Rough answer size for a schema: enum values, booleans, ~60 tokens of reasoning."""
    total = 8
    for name, prop in schema.get("properties", {}).items():
        total += estimate_tokens(name) + 3
        if "enum" in prop:
            total += max(estimate_tokens(str(v)) for v in prop["enum"])
        elif prop.get("type") == "string":
            total += 60
        else:
            total += 1
    return total


class Budget:
    """The run's spending against `max_cost`; `exhausted` once it is spent.

    Each request's cost is reserved before it is sent, from a token estimate (characters / 4
    and the schema) that a real tokenizer can exceed several times over. So the estimate is
    calibrated: the first request is sent alone (`turn`), and every reservation scales its
    estimate by the ratio of the tokens the run's answered requests used to what was estimated
    for them. A run then passes `max_cost` by about one request's cost at most.
    """

    def __init__(self, stats, prices, model: str, max_cost: float | None, batch_pricing=False):
        self.stats = stats
        self.prices = prices
        self.model = model
        self.max_cost = max_cost
        self.batch_pricing = batch_pricing
        self.exhausted = False
        self.reserved = 0.0  # estimated cost of the requests in flight
        # tokens estimated for answered requests, and the tokens they used (input, output)
        self._estimated = [0, 0]
        self._seen = [0, 0]
        self._probe: Any = None  # an asyncio.Event set once the first request has ended
        # USD per million input and output tokens, looked up once (prices are linear)
        per_in = price(prices, model, 1_000_000, 0, batch_pricing)
        per_out = price(prices, model, 0, 1_000_000, batch_pricing)
        self._rates = None if per_in is None or per_out is None else (per_in, per_out)
        self._update()

    def cost(self, tin: int, tout: int) -> float | None:
        """USD for these tokens of the run's model (None without a price)."""
        if self._rates is None:
            return None
        return (tin * self._rates[0] + tout * self._rates[1]) / 1_000_000

    def ratio(self) -> tuple[float, float]:
        """Tokens used per token estimated so far (input, output); 1 before any answer."""
        return tuple(  # type: ignore[return-value]
            seen / est if est and seen else 1.0
            for seen, est in zip(self._seen, self._estimated, strict=True)
        )

    def calibrate(self, est_in: int, est_out: int, used_in: int, used_out: int) -> None:
        """Count one answered request: its estimate and the tokens it really used."""
        if used_in <= 0 and used_out <= 0:
            return  # no answer, no usage: nothing to learn
        self._estimated[0] += est_in
        self._estimated[1] += est_out
        self._seen[0] += used_in
        self._seen[1] += used_out

    async def turn(self) -> bool:
        """Wait until a request may be sent: the first goes alone, so that its tokens calibrate
        the estimates before others are reserved. True for that first one (it calls `done`)."""
        import asyncio

        if self.max_cost is None:
            return False
        if self._probe is None:
            self._probe = asyncio.Event()
            return True
        await self._probe.wait()
        return False

    def done(self) -> None:
        """The first request has ended (answered, failed or not sent): the others may go."""
        if self._probe is not None:
            self._probe.set()

    def reserve(self, tin: int, tout: int) -> float | None:
        """Reserve the estimated cost of one request before it is sent: the amount reserved,
        or None (and the budget is spent) when it would take the run past `max_cost`."""
        if self.max_cost is None:
            return 0.0
        r_in, r_out = self.ratio()
        cost = self.cost(round(tin * r_in), round(tout * r_out)) or 0.0
        spent = self.stats.cost or 0.0
        if spent + self.reserved + cost > self.max_cost:
            self.exhausted = True
            return None
        self.reserved += cost
        return cost

    def release(self, amount: float) -> None:
        """The request has its answer (its real cost is counted) or was not sent."""
        self.reserved -= amount

    def add_usage(self, tin: int, tout: int) -> None:
        """Count the tokens of one answered attempt."""
        self.stats.input_tokens += tin
        self.stats.output_tokens += tout
        self._update()

    def _update(self) -> None:
        s = self.stats
        s.cost = self.cost(s.input_tokens, s.output_tokens)
        if self.max_cost is not None and s.cost is not None and s.cost >= self.max_cost:
            self.exhausted = True
