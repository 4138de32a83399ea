"""Property tests per reader: random bytes and random mutations of real files end in a result or
one EdukitError (never another exception), each within a time bound (hypothesis deadline).

Also: every string column edukit writes to CSV round-trips through `read_annotations`, whatever
characters a model emits (bare carriage returns, quotes, separators, formula-like text).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.annotations import read_annotations
from edukit.corpora.mathdial import read_mathdial
from edukit.corpora.mrbench import read_mrbench
from edukit.corpora.sight import read_sight
from edukit.corpora.tables import read_items, write_table
from edukit.errors import EdukitError
from edukit.export import validate_file
from edukit.resources import bundled
from edukit.rubric import import_sight, load_rubric

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_MS = 5000
FUZZ = settings(
    max_examples=60,
    deadline=DEADLINE_MS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

ALPACA = json.dumps({"instruction": "Help me.", "input": "", "output": "Sure.", "system": "T"})
SEEDS = {
    "items": b'item_id,text,note\n1,hello,=x\n2,"a, b",-2\n3,"multi\nline",\n',
    "annotations": b'item_id,rater,label,value,version,reasoning\n1,H1,a,1,,\n1,M,a,0,v1,"r\r"\n',
    "mathdial": bundled("datasets", "mathdial", "test.csv").read_bytes()[:4000],
    "mathdial_jsonl": bundled("datasets", "mathdial", "test.jsonl").read_bytes()[:4000],
    "sight": bundled("datasets", "sight", "sample_dataset.csv").read_bytes()[:6000],
    "rubric": bundled("rubrics", "sight-joint.yaml").read_bytes(),
    "export": (ALPACA + "\n" + ALPACA + "\n").encode(),
    **{
        f"mrbench_{name}": bundled("datasets", "mrbench", f"{name}.json").read_bytes()
        for name in ("mrbench_sample", "mrbench_v3_dev_sample", "mrbench_v3_test_sample")
    },
}
SPECIAL = [b'"', b",", b";", b"\t", b"\r", b"\n", b"\xef\xbb\xbf", b"{%", b"{{", b"&a", b"*a",
           b"[", b"{", b"\x00", b"\xff", b"=", b"NaN", b"'", b"\\"]  # fmt: skip


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate"]))
        pos = draw(st.integers(0, len(data)))
        if op == "insert":
            data[pos:pos] = draw(st.one_of(st.sampled_from(SPECIAL), st.binary(max_size=8)))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif op == "replace" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif op == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[pos:pos] = data[pos:end] * draw(st.integers(1, 5))
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


# Whole valid files of each kind: valid inputs are their first k records (k drawn), so a reader
# that rejects every file fails its fuzz test (see `_ends_well`).
def _csv_prefix(source: bytes):
    rows = list(csv.reader(io.StringIO(source.decode("utf-8-sig"), newline="")))

    def write(k: int) -> bytes:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows[: k + 1])
        return out.getvalue().encode()

    return len(rows) - 1, write


def _lines_prefix(source: bytes):
    lines = source.decode().splitlines(keepends=True)
    return len(lines), lambda k: "".join(lines[:k]).encode()


def _json_prefix(source: bytes):
    records = json.loads(source)
    return len(records), lambda k: json.dumps(records[:k]).encode()


VALID = {
    "items": _csv_prefix(SEEDS["items"]),
    "items_jsonl": _lines_prefix(
        b'{"item_id": 1, "text": "hello"}\n{"item_id": 2, "text": "=x"}\n'
        b'{"item_id": 3, "text": "-2"}\n'
    ),
    "annotations": _csv_prefix(SEEDS["annotations"]),
    "mathdial": _csv_prefix(bundled("datasets", "mathdial", "test.csv").read_bytes()),
    "mathdial_jsonl": _lines_prefix(bundled("datasets", "mathdial", "test.jsonl").read_bytes()),
    "sight": _csv_prefix(bundled("datasets", "sight", "sample_dataset.csv").read_bytes()),
    "rubric": (1, lambda k: SEEDS["rubric"]),
    "export": _lines_prefix(SEEDS["export"]),
    **{k: _json_prefix(SEEDS[k]) for k in SEEDS if k.startswith("mrbench_")},
}


@st.composite
def valid(draw, kind: str) -> tuple[bytes, bool]:
    n, write = VALID[kind]
    return write(draw(st.integers(1, n))), True


def inputs(seed: str, kind: str | None = None):
    """(bytes, valid?): random bytes, mutations of the seed, and valid files of its kind."""
    unknown = st.one_of(st.binary(max_size=400), mutated(SEEDS[seed])).map(lambda d: (d, False))
    return st.one_of(valid(kind or seed), unknown)


def _ends_well(fn, case: tuple[bytes, bool], suffix: str) -> None:
    """`fn(path)` on the data returns or raises an EdukitError; anything else fails the test. A
    valid file must be read: an error, or a non-empty list of problems, fails the test."""
    data, is_valid = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            result = fn(path)
        except EdukitError as exc:
            assert not is_valid, f"a valid file was refused: {exc.format()}"
            assert "\n" not in exc.format().strip() or exc.format().count("\n") < 3
        else:
            if is_valid and isinstance(result, list):  # validate_file: the problems found
                assert result == [], f"a valid file was refused: {result}"
        assert path.read_bytes() == data  # readers never write their input


def _reject_all(path: Path) -> None:
    raise EdukitError("refused", path=path)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_ends_well_fails_a_reader_that_rejects_every_file(kind):
    n, write = VALID[kind]
    with pytest.raises(AssertionError, match="a valid file was refused"):
        _ends_well(_reject_all, (write(n), True), ".txt")
    with pytest.raises(AssertionError, match="a valid file was refused"):
        _ends_well(lambda p: ["everything is wrong"], (write(1), True), ".txt")


@FUZZ
@given(inputs("items"))
def test_read_items(data):
    _ends_well(lambda p: read_items(p, "item_id", "text"), data, ".csv")


@FUZZ
@given(inputs("items", "items_jsonl"))
def test_read_items_jsonl(data):
    _ends_well(lambda p: read_items(p, "item_id", "text"), data, ".jsonl")


@FUZZ
@given(inputs("annotations"))
def test_read_annotations(data):
    _ends_well(read_annotations, data, ".csv")


@FUZZ
@given(inputs("mathdial"))
def test_read_mathdial_csv(data):
    _ends_well(read_mathdial, data, ".csv")


@FUZZ
@given(inputs("mathdial_jsonl"))
def test_read_mathdial_jsonl(data):
    _ends_well(read_mathdial, data, ".jsonl")


@FUZZ
@given(inputs("sight"))
def test_read_sight(data):
    _ends_well(read_sight, data, ".csv")


@FUZZ
@given(inputs("rubric"))
def test_load_rubric(data):
    _ends_well(load_rubric, data, ".yaml")


@FUZZ
@given(inputs("export"))
def test_export_validate(data):
    _ends_well(lambda p: validate_file(p, "alpaca"), data, ".jsonl")


MRBENCH_SEEDS = [k for k in SEEDS if k.startswith("mrbench_")]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@st.composite
def mrbench_documents(draw) -> bytes:
    """A bundled MRBench sample with a few values (at any depth) replaced by random JSON: the
    type and shape errors byte mutations rarely reach."""
    doc = json.loads(SEEDS[draw(st.sampled_from(MRBENCH_SEEDS))])
    for _ in range(draw(st.integers(1, 4))):
        node = doc
        for _depth in range(
            draw(st.integers(1, 4))
        ):  # mostly inside a record  # walk down to a random container
            children = node.values() if isinstance(node, dict) else node
            inner = [c for c in children if isinstance(c, (dict, list)) and c]
            if not inner:
                break
            node = draw(st.sampled_from(inner))
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if keys:
            node[draw(st.sampled_from(keys))] = draw(JSON_VALUES)
    return json.dumps(doc).encode()


@FUZZ
@given(
    st.one_of(
        *(valid(k) for k in MRBENCH_SEEDS),
        st.one_of(st.binary(max_size=400), *map(mutated, (SEEDS[k] for k in MRBENCH_SEEDS))).map(
            lambda d: (d, False)
        ),
    )
)
def test_read_mrbench(data):
    _ends_well(read_mrbench, data, ".json")


@settings(FUZZ, max_examples=200)
@given(mrbench_documents())
def test_read_mrbench_values_of_any_type(data):
    _ends_well(read_mrbench, (data, False), ".json")


@FUZZ
@given(
    info=st.one_of(st.binary(max_size=200), mutated(b'{"valid_labels": {"general": '
                                                     b'{"true": 1, "false": 0}}}')),
    prompt=st.one_of(st.binary(max_size=200), mutated(b"Comment: {comment}\nTask: general?")),
)  # fmt: skip
def test_import_sight(info, prompt):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "label_prompts").mkdir()
        (folder / "info.json").write_bytes(info)
        (folder / "label_prompts" / "v1_general.txt").write_bytes(prompt)
        try:
            doc = import_sight(folder)
        except EdukitError:
            return
        from edukit.rubric import dump_rubric

        dump_rubric(doc, folder / "r.yaml")
        try:
            load_rubric(folder / "r.yaml")
        except EdukitError as exc:  # only a rubric-level reason, never a template escape
            assert "template" not in exc.message or "unknown placeholder" in exc.message


# --- CSV round trip ----------------------------------------------------------------------------
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
).filter(lambda s: s.strip() == s and s.lower() != "nan")
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(max_examples=150, deadline=DEADLINE_MS, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(TEXT, TEXT, TEXT, st.sampled_from([0, 1]), ANY_TEXT), min_size=1, max_size=8
    ),
    raw=st.booleans(),
)
def test_every_string_column_round_trips_through_csv(rows, raw):
    df = pd.DataFrame(rows, columns=["item_id", "rater", "label", "value", "reasoning"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ann.csv"
        write_table(df, path, raw_csv=raw)
        back = read_annotations(path)
    if raw:
        return  # --raw-csv: verbatim cells, which formula-like text does not survive
    # Ids that look like integral floats are normalised ("1.0" -> "1") by design.
    from edukit.corpora.tables import normalise_id

    assert list(back["item_id"]) == [normalise_id(v) for v in df["item_id"]]
    assert list(back["rater"]) == list(df["rater"])
    assert list(back["label"]) == list(df["label"])
    assert list(back["value"]) == list(df["value"])
    # An empty text is a missing cell in CSV; everything else comes back verbatim.
    assert [("" if v != v else v) for v in back["reasoning"]] == list(df["reasoning"])


def test_bare_carriage_return_in_reasoning_round_trips_through_agree(cli, tmp_path):
    df = pd.DataFrame(
        {
            "item_id": ["1", "1", "2", "2"],
            "rater": ["H1", "M", "H1", "M"],
            "label": ["a"] * 4,
            "value": [1, 1, 0, 1],
            "reasoning": ["", "first\rsecond", "", '=cmd|"x"\r\n,;\t'],
        }
    )
    path = tmp_path / "ann.csv"
    write_table(df, path)
    r = cli("agree", path, "--humans", "H1", "--models", "M", "--n-boot", "0")
    assert r.code == 0, r.err
    back = read_annotations(path)
    assert back["reasoning"].iloc[1] == "first\rsecond"
    assert back["reasoning"].iloc[3] == '=cmd|"x"\r\n,;\t'
    assert os.fspath(path).endswith(".csv")
