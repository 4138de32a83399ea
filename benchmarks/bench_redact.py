"""Redaction quality on the labelled set and speed on the full SIGHT file (issue 17).

Run: python benchmarks/bench_redact.py [path/to/sight]
Prints precision/recall per entity type (rules profile, names from tests/redact/data/names.txt)
on pii_sentences.txt, then on pii_sentences.txt + pii_hard.txt (the forms still missed), then
the seconds to redact every SIGHT comment (issue 22: under 10 s for the whole file). The
issue-22 evaluation set and the comparison with Presidio: bench_redact_presidio.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "redact" / "data"


def quality() -> None:
    from edukit.redact import Redactor, make_profile
    from edukit.redact.evaluate import evaluate

    red = Redactor(make_profile(names_file=DATA / "names.txt"))
    plain = (DATA / "pii_sentences.txt").read_text("utf-8").splitlines()
    hard = (DATA / "pii_hard.txt").read_text("utf-8").splitlines()
    sets = (("issue 17's set", plain), ("issue 17's set + pii_hard.txt", plain + hard))
    for title, lines in sets:
        result, errors = evaluate(red, lines)
        print(f"\n{title}: {len(lines)} sentences")
        print("| type | support | precision | recall | false positives | misses |")
        print("| --- | --- | --- | --- | --- | --- |")
        for kind, r in result.items():
            p = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
            rc = "n/a" if r["recall"] is None else f"{r['recall']:.3f}"
            print(f"| {kind} | {r['support']} | {p} | {rc} | {r['fp']} | {r['fn']} |")
        for what, kind, text in sorted(set(errors)):
            print(f"  {what}: {kind} {text!r}")


def speed(sight: Path) -> None:
    """Seconds to redact the full SIGHT file (15,784 rows): reading it, redacting its text and
    comment columns with the rules profile (names declared, default phone regions), writing the
    output, as `edukit redact sight_dataset.csv --out F --names N` does (the issue-22 target:
    under 10 s on this machine)."""
    import tempfile

    from edukit.corpora.detect import load_items
    from edukit.redact import Redactor, make_profile, redact_file, redact_items_table

    path = sight / "annotations" / "sight_dataset.csv"
    names = DATA / "eval_names.txt"

    def timed(fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c

    items, w_read, c_read = timed(lambda: load_items(path))
    texts = items["text"].tolist()
    chars = sum(map(len, texts))
    print(f"\nSIGHT: {len(texts):,} comments, {chars:,} characters")
    red = Redactor(make_profile(names_file=names))
    (_, report), w_items, c_items = timed(lambda: redact_items_table(items, red))
    _, w_texts, c_texts = timed(lambda: red.redact_texts(texts))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sight.jsonl"
        _, w_all, c_all = timed(lambda: redact_file(path, out, make_profile(names_file=names)))
    print("| step | wall s | CPU s |")
    print("| --- | --- | --- |")
    for name, w, c in (
        ("read the file (load_items)", w_read, c_read),
        ("redact the items (text + comment columns)", w_items, c_items),
        ("redact the text column alone", w_texts, c_texts),
        ("whole command: read, redact, write JSONL (redact_file)", w_all, c_all),
    ):
        print(f"| {name} | {w:.1f} | {c:.1f} |")
    print(f"counts: {report['counts']}; items changed: {report['items_redacted']:,}")


def main() -> None:
    sight = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "sight"
    quality()
    if sight.is_dir():
        speed(sight)
    else:
        print(f"\n(no SIGHT data at {sight}: speed not measured)")


if __name__ == "__main__":
    main()
