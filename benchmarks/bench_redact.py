"""Redaction quality on the labelled set and speed on the full SIGHT file (issue 17).

Run: python benchmarks/bench_redact.py [path/to/sight]
Prints precision/recall per entity type (rules profile, names from tests/redact/data/names.txt)
on pii_sentences.txt, then on pii_sentences.txt + pii_hard.txt (obfuscated contact details),
then the seconds to redact every SIGHT comment: batched `nlp.pipe` (what edukit does) beside
the baseline of one `nlp(text)` call per comment, in the same run.
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
    for title, lines in (("labelled set", plain), ("labelled set + obfuscated", plain + hard)):
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
    from edukit.corpora.detect import load_items
    from edukit.redact import Redactor, make_profile, redact_items_table
    from edukit.redact.redactor import Placeholders

    items = load_items(sight / "annotations" / "sight_dataset.csv")
    texts = items["text"].tolist()
    chars = sum(map(len, texts))
    print(f"\nSIGHT: {len(texts):,} comments, {chars:,} characters")
    red = Redactor(make_profile())

    def timed(fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c

    def loop():
        out = []
        for text in texts:
            doc = red.nlp(text)
            out.append(red.replace(doc, red.spans(doc), Placeholders()))
        return out

    (_, report), w_items, c_items = timed(lambda: redact_items_table(items, red))
    batched, w_pipe, c_pipe = timed(lambda: red.redact_texts(texts))
    one_by_one, w_loop, c_loop = timed(loop)
    assert one_by_one == [t for t, _ in batched]
    n = len(texts)
    print("| method | wall s | CPU s | comments per CPU s |")
    print("| --- | --- | --- | --- |")
    for name, w, c in (
        ("items table, text + comment columns (edukit redact)", w_items, c_items),
        ("text column, nlp.pipe batches of 512", w_pipe, c_pipe),
        ("text column, one nlp() call per text (baseline)", w_loop, c_loop),
    ):
        print(f"| {name} | {w:.1f} | {c:.1f} | {n / c:,.0f} |")
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
