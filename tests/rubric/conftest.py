"""Rubric test helpers: write a rubric file, compare against golden files.

Regenerate the golden files with `python tests/regen_golden.py` (the tests only read them).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def write_rubric(tmp_path):
    """Write dedented YAML to a file and return its path."""

    def write(text: str, name: str = "rubric.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def golden():
    """`golden(name, obj)`: obj must equal tests/rubric/golden/<name> (JSON)."""

    def check(name: str, obj) -> None:
        path = GOLDEN / name
        assert path.exists(), f"missing golden file {path}; run python tests/regen_golden.py"
        assert golden_text(obj) == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check


def golden_text(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def request_dict(request) -> dict:
    """A PromptRequest as plain JSON-ready data."""
    return {
        "item_id": request.item_id,
        "key": request.key,
        "labels": list(request.labels),
        "version": request.version,
        "params": request.params,
        "messages": request.messages,
        "schema_name": request.schema_name,
        "schema": request.schema,
    }


MINIMAL = """
name: demo
version: "2"
task: binary
unit:
  text_field: comment
labels:
  - name: confusion
    definition: asks a math question
  - name: gratitude
    definition: thanks someone
"""
