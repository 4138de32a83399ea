"""Write tests/rubric/talkmoves_manual_runs.txt: a hash of every run of 6 words in the TalkMoves
coding manual (CC BY-NC-SA: its text is not copied into edukit, only these digests), which
`test_own_words.py` checks the TalkMoves rubrics against.

Run from the repository root: `python tests/rubric/make_talkmoves_manual_runs.py [MANUAL.pdf]`
(default ../shared/data/talkmoves/Coding Manual.pdf; needs `pdftotext` from poppler-utils).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
MANUAL = HERE.parents[2] / "shared" / "data" / "talkmoves" / "Coding Manual.pdf"
OUT = HERE / "talkmoves_manual_runs.txt"
RUN = 6  # as test_own_words.RUN


def words(text: str) -> list[str]:
    """As test_own_words._words."""
    return re.findall(r"[a-z0-9@']+", text.lower().replace("\u2019", "'"))


def digest(run: tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(run).encode()).hexdigest()[:16]


def manual_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else MANUAL
    w = words(manual_text(pdf))
    runs = {digest(tuple(w[i : i + RUN])) for i in range(len(w) - RUN + 1)}
    OUT.write_text("\n".join(sorted(runs)) + "\n", encoding="utf-8")
    print(f"wrote {len(runs)} run digests to {OUT}")


if __name__ == "__main__":
    main()
