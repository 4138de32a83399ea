"""Client-side RPM/TPM limits: token buckets refilled continuously, shared by all workers.

Servers enforce their limits with 429s (which the openai client retries); staying under them on
our side avoids burning retries and time on a large run.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """`per_minute` units per minute, bursting up to one second's worth (at least one unit)."""

    def __init__(self, per_minute: float, *, clock=time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._last) * self.rate)
        self._last = now

    def delay(self, amount: float) -> float:
        """Seconds to wait before `amount` units are available (0 when they are)."""
        self._refill()
        # A request larger than the bucket waits until the bucket is full, then overdraws it.
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    async def acquire(self, amount: float = 1.0) -> None:
        async with self._lock:  # first come, first served
            while (wait := self.delay(amount)) > 0:
                await asyncio.sleep(wait)
            self.level -= amount


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits together; either may be None."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        self.rpm = TokenBucket(rpm) if rpm else None
        self.tpm = TokenBucket(tpm) if tpm else None

    async def acquire(self, tokens: int) -> None:
        if self.rpm:
            await self.rpm.acquire(1)
        if self.tpm:
            await self.tpm.acquire(tokens)
