"""Regenerate the golden files after an intended change: `python tests/regen_golden.py`.

The tests only read tests/*/golden/; this script rewrites them from the same producers the tests
use (each golden test module's `golden_texts`), then `git diff tests/*/golden` shows what changed
for review. `--check` writes nothing and exits 1 when a golden file differs from what the code
produces now. The SIGHT import files need the real corpora (../shared/data or
EDUKIT_SHARED_DATA); without them those files are left as they are.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MODULES = ("agreement.test_golden_json", "export.test_golden", "rubric.test_golden")


def golden_texts() -> dict[Path, str]:
    """Every golden file and the text the code produces for it now."""
    sys.path.insert(0, str(TESTS))  # the test folders import as namespace packages
    shared = Path(os.environ.get("EDUKIT_SHARED_DATA", TESTS.parent.parent / "shared" / "data"))
    texts: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(MODULES):
            module = importlib.import_module(name)
            work = Path(tmp) / str(i)
            work.mkdir()
            kwargs = (
                {"shared_data": shared} if name.startswith("rubric") and shared.is_dir() else {}
            )
            texts.update(module.golden_texts(work, **kwargs))
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a diff")
    args = parser.parse_args(argv)
    differ = []
    for path, text in sorted(golden_texts().items()):
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        differ.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "differ" if args.check else "rewritten"
    for path in differ:
        print(f"{verb}: {path.relative_to(TESTS.parent)}")
    print(f"{len(differ)} golden file(s) {verb}")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
