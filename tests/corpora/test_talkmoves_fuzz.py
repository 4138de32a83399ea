"""Property tests for the spreadsheet reader: any workbook openpyxl can write, and any damaged
copy of a sample lesson, ends in a DataFrame or one EdukitError, never another exception."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.corpora.talkmoves import UTTERANCE_COLUMNS, read_lesson
from edukit.corpora.xlsx import read_xlsx
from edukit.errors import EdukitError
from edukit.resources import bundled

FUZZ = settings(
    max_examples=40,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
KNOWN = ["Turn", "turn", "Speaker", "S", "SS", "Sentence", "Teacher Tag", "Student Tag",
         "TimeStamp", "TImeStamp", "Video Length", None, " Sentence ", "sentence"]  # fmt: skip
# openpyxl refuses control characters in cells; everything else may appear
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(["1 - none", "8 - press for  accuracy", "7\\", "128", "12)", "T", "S"]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 1, 1)),
)
HEADER = st.lists(st.one_of(st.sampled_from(KNOWN), TEXT), min_size=0, max_size=8)
SAMPLE = bundled("datasets", "talkmoves", "Subset 2", "TalkBack.Year1.Rivera.Fall.101519.xlsx")


def _write(rows: list[list], folder: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    path = folder / "lesson.xlsx"
    wb.save(path)
    return path


def _read(path: Path) -> None:
    try:
        df = read_lesson(path, "lesson", "")
    except EdukitError as exc:
        assert str(path) in str(exc) and "\n" not in exc.message
        return
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(UTTERANCE_COLUMNS)
    assert df["item_id"].is_unique
    assert set(df["role"]) <= {"teacher", "student", "other"}


@FUZZ
@given(header=HEADER, body=st.lists(st.lists(CELL, max_size=9), max_size=12))
def test_generated_workbooks(header, body):
    with tempfile.TemporaryDirectory() as tmp:
        _read(_write([header, *body] if header or body else [], Path(tmp)))


@FUZZ
@given(body=st.lists(st.lists(CELL, min_size=5, max_size=5), max_size=12))
def test_lesson_shaped_workbooks(body):
    header = ["Turn", "Speaker", "Sentence", "Teacher Tag", "Student Tag"]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write([header, *body], Path(tmp))
        df = read_lesson(path, "lesson", "")  # a Sentence and a Speaker column: always reads
        assert len(df) == sum(1 for row in body if any(c is not None for c in row))


@FUZZ
@given(data=st.data())
def test_damaged_workbooks(data):
    raw = bytearray(SAMPLE.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "truncate", "delete"]))
        if op == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "truncate":
            del raw[at:]
        else:
            del raw[at : at + data.draw(st.integers(1, 200))]
        if not raw:
            break
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.xlsx"
        path.write_bytes(bytes(raw))
        with contextlib.suppress(EdukitError):
            read_xlsx(path)
        _read(path)
