"""Property tests of the review importers: random mutations of valid exports end in a long
table or one EdukitError, never another exception (hypothesis)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.errors import EdukitError
from edukit.review.importing import ImportSettings, import_review
from edukit.rubric import load_rubric

FUZZ = settings(
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

_LS = [
    {
        "id": 1,
        "data": {"item_id": "test-1:0", "text": "t", "selection_rule": "random"},
        "annotations": [
            {
                "id": 1,
                "completed_by": 6,
                "result": [
                    {
                        "from_name": "move",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["focus"]},
                    }
                ],
                "was_cancelled": False,
                "lead_time": 1.5,
                "created_at": "2026-12-07T00:00:00Z",
            },
            {"id": 2, "completed_by": 7, "result": [], "was_cancelled": True},
        ],
        "predictions": [],
    }
]
_PRODIGY = {
    "text": "t",
    "options": [{"id": "focus", "text": "focus"}, {"id": "probing", "text": "probing"}],
    "accept": ["probing"],
    "meta": {"item_id": "test-1:0", "question": "move", "score": 0.4},
    "answer": "accept",
    "_annotator_id": "s-alice",
    "_timestamp": 1765000000,
}
SEEDS = {
    "label-studio": json.dumps(_LS).encode(),
    "prodigy": (
        json.dumps(_PRODIGY) + "\n" + json.dumps({**_PRODIGY, "answer": "reject"})
    ).encode(),
    "sandpiper": (
        b"session_id,sequence_id,role,content,annotator[joe][0]move,annotator[ann][0]move\n"
        b"test-1,0,Teacher,hi,focus,probing\ntest-1,1,Student,ok,,\n"
    ),
    "csv": b'item_id,rater,text,move\ntest-1:0,H3,hi,focus\ntest-1:1,H3,"a, b",telling\n',
}
SUFFIX = {"label-studio": ".json", "prodigy": ".jsonl", "sandpiper": ".csv", "csv": ".csv"}
SPECIAL = [b'"', b",", b"\n", b"\r", b"{", b"}", b"[", b"]", b"\x00", b"\xff", b":", b"null",
           b"true", b"1e999", b"-", b"annotator[", b"]["]  # fmt: skip
RUBRIC = load_rubric("mathdial-moves")


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "insert":
            data[i:i] = draw(st.sampled_from(SPECIAL))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif op == "replace" and data:
            data[i] = draw(st.integers(0, 255))
        else:
            del data[i:]
    return bytes(data)


def _check(fmt: str, data: bytes) -> None:
    fd, name = tempfile.mkstemp(suffix=SUFFIX[fmt])
    os.close(fd)
    path = Path(name)
    try:
        path.write_bytes(data)
        try:
            result = import_review(path, RUBRIC, ImportSettings(format=fmt))
        except EdukitError as exc:
            assert exc.format()
            return
        assert {"item_id", "rater", "label", "value"} <= set(result.table.columns)
    finally:
        path.unlink()


def test_the_seeds_import():
    for fmt, seed in SEEDS.items():
        fd, name = tempfile.mkstemp(suffix=SUFFIX[fmt])
        os.close(fd)
        Path(name).write_bytes(seed)
        result = import_review(Path(name), RUBRIC, ImportSettings(format=fmt))
        Path(name).unlink()
        assert len(result.table) >= 1


@FUZZ
@given(data=mutated(SEEDS["label-studio"]))
def test_label_studio_import_fuzz(data):
    _check("label-studio", data)


@FUZZ
@given(data=mutated(SEEDS["prodigy"]))
def test_prodigy_import_fuzz(data):
    _check("prodigy", data)


@FUZZ
@given(data=mutated(SEEDS["sandpiper"]))
def test_sandpiper_import_fuzz(data):
    _check("sandpiper", data)


@FUZZ
@given(data=mutated(SEEDS["csv"]))
def test_csv_import_fuzz(data):
    _check("csv", data)


@FUZZ
@given(data=st.binary(max_size=400), fmt=st.sampled_from(sorted(SEEDS)))
def test_random_bytes(data, fmt):
    _check(fmt, data)
