"""Token counts for the manifest and the size limit, estimated offline.

The estimator is the annotation engine's (`edukit.annotate.cost.estimate_tokens`), so budgets and
fine-tuning sizes agree; no tokenizer download, no network.
"""

from __future__ import annotations

from collections.abc import Callable


def count_tokens(text: str) -> int:
    """Estimated tokens of `text`."""
    return _estimator()(text)


def estimator_name() -> str:
    """Which estimator `count_tokens` uses (recorded in the manifest)."""
    try:
        from edukit.annotate.cost import estimate_tokens  # noqa: F401
    except ImportError:
        return "characters/4 (edukit.annotate.cost unavailable)"
    return "edukit.annotate.cost.estimate_tokens"


def _estimator() -> Callable[[str], int]:
    try:
        from edukit.annotate.cost import estimate_tokens
    except ImportError:
        # The cost module ships with edukit; this only guards a partial checkout.
        return lambda text: (len(text) + 3) // 4
    return estimate_tokens
