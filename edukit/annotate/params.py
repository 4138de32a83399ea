"""Run-time overrides of a rubric's model parameters (`--temperature`, `--logprobs`)."""

from __future__ import annotations

import dataclasses
from typing import Any


class RubricWithParams:
    """A rubric whose requests carry extra parameters; everything else is the rubric's own."""

    def __init__(self, rubric: Any, params: dict[str, Any]) -> None:
        self._rubric = rubric
        self._params = params

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rubric, name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {**self._rubric.defaults, **self._params}

    def requests(self, item):
        return [
            dataclasses.replace(r, params={**r.params, **self._params})
            for r in self._rubric.requests(item)
        ]


def with_params(
    rubric: Any, *, temperature: float | None = None, logprobs: bool | None = None
) -> tuple[Any, dict[str, Any]]:
    """(rubric, overrides): the rubric as is when nothing overrides its defaults."""
    params: dict[str, Any] = {}
    if temperature is not None:
        params["temperature"] = temperature
    if logprobs is not None:
        params["logprobs"] = logprobs
    params = {k: v for k, v in params.items() if rubric.defaults.get(k) != v}
    if not params:
        return rubric, {}
    return RubricWithParams(rubric, params), params
