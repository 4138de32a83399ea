"""Find the bundled rubrics and dataset samples, in a checkout or in an installed wheel.

In a checkout they live at the repository root (`rubrics/`, `datasets/`); a wheel carries the same
folders as the packages `edukit.bundled.rubrics` and `edukit.bundled.datasets` (see pyproject).
"""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_WHEEL = Path(__file__).resolve().parent / "bundled"


def bundled(kind: str, *parts: str) -> Path:
    """Path of a bundled file: `bundled("rubrics", "sight.yaml")`, `bundled("datasets", ...)`."""
    if kind not in ("rubrics", "datasets"):
        raise ValueError(f"unknown bundle {kind!r}")
    for base in (_CHECKOUT / kind, _WHEEL / kind):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return (_CHECKOUT / kind).joinpath(*parts)
