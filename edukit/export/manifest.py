"""The manifest written beside every export: what went in, what came out, and under which terms."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MATHDIAL_SOURCE = {
    "name": "MathDial",
    "licence": "CC BY-SA 4.0",
    "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
    "url": "https://github.com/eth-nlped/mathdial",
    "note": "Datasets derived from MathDial must be shared under CC BY-SA 4.0 with attribution.",
    "citation": (
        "Jakub Macina, Nico Daheim, Sankalan Pal Chowdhury, Tanmay Sinha, Manu Kapur, "
        "Iryna Gurevych and Mrinmaya Sachan. 2023. MathDial: A Dialogue Tutoring Dataset with "
        "Rich Pedagogical Properties Grounded in Math Reasoning Problems. In Findings of the "
        "Association for Computational Linguistics: EMNLP 2023, pages 5602-5621."
    ),
}


@dataclass
class Manifest:
    """Counts per split, clean-up drops, move distribution, token lengths, options, provenance."""

    format: str
    unit: str
    role: str
    options: dict[str, Any]
    inputs: list[dict[str, str]]
    files: dict[str, str]  # split → file name
    counts: dict[str, dict[str, int]]  # split → examples, dialogues, qids, targets
    cleanup: dict[str, dict[str, int]]  # step → speaker → turns removed
    skipped: dict[str, int]  # why targets or examples were left out
    moves: dict[str, dict[str, int]]  # split → target move → count
    tokens: dict[str, dict[str, float]]  # split → min, mean, median, p95, max
    token_estimator: str
    opener_inserted: int  # dialogues that opened with the assistant: opener user turn added
    qids_in_more_than_one_split: int
    notes: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=lambda: dict(MATHDIAL_SOURCE))
    edukit_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str | os.PathLike) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    from edukit.resources import resolve_input

    h = hashlib.sha256()
    with open(resolve_input(path), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
