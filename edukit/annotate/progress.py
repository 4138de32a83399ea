"""Counters of one annotation call and the rich progress bar that shows them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """What this call has done so far (progress callbacks receive `snapshot()`)."""

    total: int | None = None
    done: int = 0
    sent: int = 0
    cached: int = 0
    errors: int = 0
    invalid: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    started: float = field(default_factory=time.monotonic)

    def snapshot(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {
            "total": self.total,
            "done": self.done,
            "sent": self.sent,
            "cached": self.cached,
            "errors": self.errors,
            "invalid": self.invalid,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "elapsed": elapsed,
            "rate": self.sent / elapsed,
        }


class RunProgress:
    """A rich progress bar on stderr: done/total, requests/s, tokens, cost, errors, ETA."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("annotating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),  # before the figures, so a narrow screen cuts those instead
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("annotate", total=total, info="")
        self._last = 0.0

    def start(self) -> None:
        self._progress.start()

    def update(self, snap: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and snap["done"] != snap["total"]:
            return  # redraw at most ten times a second
        self._last = now
        cost = "?" if snap["cost"] is None else f"${snap['cost']:.4f}"
        info = (
            f"{snap['rate']:.1f} req/s {snap['input_tokens']}+{snap['output_tokens']} tok "
            f"{cost} {snap['errors']} errors {snap['invalid']} invalid"
        )
        self._progress.update(self._task, completed=snap["done"], total=snap["total"], info=info)

    def stop(self) -> None:
        self._progress.stop()


class Reporter:
    """Sends snapshots to the caller's `progress` callback, or to a progress bar unless quiet."""

    def __init__(self, stats: Stats, progress=None, quiet: bool = False) -> None:
        self.stats = stats
        self.callback = progress
        self.quiet = quiet
        self._bar: RunProgress | None = None

    def start(self) -> None:
        if self.callback is None and not self.quiet and self._bar is None:
            self._bar = RunProgress(self.stats.total)
            self._bar.start()

    def report(self) -> None:
        if self.callback is not None:
            self.callback(self.stats.snapshot())
        elif self._bar is not None:
            self._bar.update(self.stats.snapshot())

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
