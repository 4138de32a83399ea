"""edukit's redaction rules against Microsoft Presidio's pattern recognisers (issue 22).

Run: pip install presidio-analyzer  (not an edukit dependency), then
     python benchmarks/bench_redact_presidio.py

Both score the labelled evaluation set tests/redact/data/eval_set.txt (written by
tests/redact/make_eval_set.py; names declared in eval_names.txt), strictly: a span counts only
with its exact characters and type. Presidio runs offline: its `AnalyzerEngine` over a blank
spaCy English pipeline saved to a temporary folder (no model download; the pattern recognisers
need only the tokenizer), its predefined e-mail, URL and IP recognisers, its `PhoneRecognizer`
(libphonenumber) given edukit's default regions, and a deny-list `PatternRecognizer` holding the
declared names. tldextract (used by Presidio's e-mail and URL checks) is kept from fetching the
public suffix list: it uses the snapshot it ships. Presidio has no handle recogniser (HANDLE:
n/a). Overlapping Presidio results are resolved as its anonymizer does: the higher score, then
the longer span.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "redact" / "data"
TYPES = {"EMAIL_ADDRESS": "EMAIL", "URL": "URL", "PHONE_NUMBER": "PHONE", "IP_ADDRESS": "IP"}


def presidio_finder(names: list[str], regions: tuple[str, ...]):
    """A finder text -> [(start, end, type)] over Presidio's AnalyzerEngine, fully offline."""
    import spacy
    import tldextract
    import tldextract.tldextract as tt

    tt.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())  # the bundled snapshot
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    folder = Path(tempfile.mkdtemp()) / "blank_en"
    spacy.blank("en").to_disk(folder)
    model = {"lang_code": "en", "model_name": str(folder)}
    config = {"nlp_engine_name": "spacy", "models": [model]}
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=regions))
    registry.add_recognizer(PatternRecognizer(supported_entity="NAME", deny_list=names))
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    wanted = [*TYPES, "NAME"]

    def find(text: str) -> list[tuple[int, int, str]]:
        results = analyzer.analyze(text, language="en", entities=wanted)
        taken: list[tuple[int, int, str]] = []
        for r in sorted(results, key=lambda r: (-r.score, r.start - r.end, r.start)):
            if all(r.end <= s or r.start >= e for s, e, _ in taken):
                taken.append((r.start, r.end, TYPES.get(r.entity_type, r.entity_type)))
        return sorted(taken)

    return find


def table(title: str, result: dict) -> None:
    print(f"\n{title}")
    print("| type | support | precision | recall | false positives | misses |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, r in sorted(result.items()):
        p = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
        rc = "n/a" if r["recall"] is None else f"{r['recall']:.3f}"
        print(f"| {kind} | {r['support']} | {p} | {rc} | {r['fp']} | {r['fn']} |")


def main() -> None:
    from edukit.redact import Redactor, make_profile, read_names
    from edukit.redact.evaluate import evaluate_finder, parse_marked, read_marked
    from edukit.redact.phones import DEFAULT_REGIONS

    sets = {"eval_set.txt": read_marked(DATA / "eval_set.txt")}
    sets["pii_sentences.txt (issue 17's set)"] = read_marked(DATA / "pii_sentences.txt")
    names_file = DATA / "eval_names.txt"
    red = Redactor(make_profile(names_file=names_file))
    try:
        presidio = presidio_finder(list(read_names(names_file)), DEFAULT_REGIONS)
    except ImportError as exc:
        print(f"Presidio not available ({exc}): pip install presidio-analyzer")
        presidio = None
    for title, lines in sets.items():
        gold = [parse_marked(line) for line in lines]
        if "issue 17" in title:  # its own names file
            red = Redactor(make_profile(names_file=DATA / "names.txt"))
            if presidio is not None:
                presidio = presidio_finder(list(read_names(DATA / "names.txt")), DEFAULT_REGIONS)
        for who, finder in (("edukit rules", red.spans), ("Presidio", presidio)):
            if finder is None:
                continue
            for covered in (False, True):
                started = time.process_time()
                result, errors = evaluate_finder(finder, gold, covered)
                cpu = time.process_time() - started
                result = {k: v for k, v in result.items() if k not in ("PERSON", "ORG")}
                how = "covered (privacy view)" if covered else "strict spans"
                table(f"{who} on {title}, {how}: {len(lines)} sentences, {cpu:.1f} CPU s", result)
            if "-v" in sys.argv:
                for what, kind, text in sorted(set(errors)):
                    if kind not in ("PERSON", "ORG"):
                        print(f"  {what}: {kind} {text!r}")


if __name__ == "__main__":
    main()
