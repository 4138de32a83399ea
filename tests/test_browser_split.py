"""Browser checks stay apart: only `browser`-marked tests take the Chromium fixture (issue 18).

A test that takes `render_in_chromium` is skipped whole where Chromium is missing, so any other
assertion in it would silently never run there; those belong in a test of their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_browser_mark(node: ast.expr) -> bool:
    return ast.unparse(node) == "pytest.mark.browser"


def test_only_browser_marked_tests_take_the_browser_fixture():
    offenders = []
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                args = {a.arg for a in node.args.args}
                if "render_in_chromium" in args and not any(
                    _is_browser_mark(d) for d in node.decorator_list
                ):
                    offenders.append(f"{path.relative_to(TESTS)}::{node.name}")
    assert offenders == []
