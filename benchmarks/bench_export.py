"""Export speed and size: every format on the real MathDial test split (or the bundled sample).

Run: `python benchmarks/bench_export.py [path/to/mathdial.csv]`. Prints examples, seconds for
export and validation, and output megabytes per format and unit.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from edukit.corpora.mathdial import read_mathdial
from edukit.export import FORMATS, export_finetune, validate_file
from edukit.resources import bundled

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mathdial" / "test.csv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL
    if not path.exists():
        path = bundled("datasets", "mathdial", "test.csv")
    md = read_mathdial(path)
    print(f"{path}: {len(md.dialogues)} dialogues, {len(md.utterances)} turns")
    print("format\tunit\texamples\texport_s\tvalidate_s\tMB")
    for fmt in FORMATS:
        for unit in ("turn", "dialogue"):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                m = export_finetune(md.dialogues, md.utterances, format=fmt, out_dir=tmp, unit=unit)
                t1 = time.perf_counter()
                problems = sum(len(validate_file(Path(tmp) / f, fmt)) for f in m.files.values())
                t2 = time.perf_counter()
                assert problems == 0
                size = sum((Path(tmp) / f).stat().st_size for f in m.files.values()) / 1e6
                n = sum(c["examples"] for c in m.counts.values())
                print(f"{fmt}\t{unit}\t{n}\t{t1 - t0:.2f}\t{t2 - t1:.2f}\t{size:.1f}")


if __name__ == "__main__":
    main()
