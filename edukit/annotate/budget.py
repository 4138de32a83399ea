"""What a run costs: prices of token counts, the run's cost, and the --max-cost budget."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def load_prices_quietly():
    """The price table, or None when the user's price file is broken (the run still reports)."""
    from edukit.annotate.cost import load_prices

    try:
        return load_prices()
    except Exception:  # a broken user price file must not lose a finished run's summary
        return None


def price(prices, model: str, tin: int, tout: int, batch: bool = False) -> float | None:
    """USD for these tokens of `model`, None without a price table or a price for the model."""
    if prices is None:
        return None
    from edukit.annotate.cost import estimate_cost

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
    from edukit.annotate.cost import estimate_tokens

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
