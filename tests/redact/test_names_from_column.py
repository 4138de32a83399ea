"""`--names-from-column`: declared names taken from a column (a transcript's speaker column) are
replaced wherever they occur in the text and the history before anything is sent."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edukit.corpora.talkmoves_codes import ROLE_WORDS
from edukit.errors import RedactError
from edukit.redact import Redactor, make_profile
from edukit.redact.columns import names_from_column

SAMPLE_NAMES = ("Rivera", "Okafor", "Jonah")


def test_names_from_a_speaker_column():
    items = pd.DataFrame(
        {
            "Speaker": [
                "T",
                "Ms. Smith",
                "S2",
                "Students",
                "Mr. Parker",
                "Jeff",
                "Ms. Smith",
                None,
            ],
            "text": ["a"] * 8,
        }
    )
    assert names_from_column(items, "Speaker") == ["Smith", "Parker", "Jeff"]
    assert names_from_column(items, "speaker") == ["Smith", "Parker", "Jeff"]  # case-insensitive
    with pytest.raises(RedactError, match=r"no column 'who' \(columns: Speaker, text\)"):
        names_from_column(items, "who")


def test_redact_cli_replaces_the_speakers_names(cli, tmp_path):
    out = tmp_path / "red.csv"
    r = cli("redact", "sample:talkmoves", "--out", out, "--names-from-column", "speaker")
    assert r.code == 0, r.err
    red = pd.read_csv(out, dtype=str, keep_default_na=False)
    # the speaker column itself holds the names: redacted too, its role codes kept
    for column in ("text", "history", "speaker"):
        for name in SAMPLE_NAMES:
            assert not red[column].str.contains(name).any(), (column, name)
    assert {"T", "Ms. [NAME_1]"} <= set(red["speaker"])
    first = red.loc[red["item_id"] == "Pizza Fractions 1_Grade 4:0", "text"].item()
    assert first == "Good morning, everyone, my name's Ms. [NAME_1] for our visitors."
    # without the option the names stay (the rules alone do not know them)
    plain = tmp_path / "plain.csv"
    assert cli("redact", "sample:talkmoves", "--out", plain).code == 0
    assert pd.read_csv(plain, dtype=str)["text"].str.contains("Rivera").any()


def test_missing_column_is_one_error_line(cli, tmp_path):
    r = cli("redact", "sample:talkmoves", "--out", tmp_path / "x.csv", "--names-from-column", "who")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert r.err.startswith("Error: sample:talkmoves: --names-from-column: no column 'who'")
    assert not (tmp_path / "x.csv").exists()


def test_annotate_redacts_names_before_sending(cli, tmp_path):
    items = tmp_path / "t.csv"
    assert (
        cli("load", "talkmoves", "sample:talkmoves", "--role", "teacher", "--out", items).code == 0
    )
    args = ["annotate", items, "--rubric", "talkmoves-teacher", "--model", "gpt-4o-mini"]
    r = cli(*args, "--dry-run", "--redact", "--names-from-column", "speaker")
    assert r.code == 0, r.err
    assert "Ms. [NAME_1] wants to hear from the back table." in r.out
    assert "NAME 12" in r.out
    needs = cli(*args, "--dry-run", "--names-from-column", "speaker")
    assert needs.code == 2 and "need --redact" in needs.err


FILLERS = ["okay so", "look at the", "my name's", "thank you", "what is 3 + 4"]
FILLER_WORDS = {w.strip("'s") for f in FILLERS for w in f.split()}
NAMES = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True).filter(
    lambda n: n.casefold() not in ROLE_WORDS | FILLER_WORDS
)
TITLES = st.sampled_from(["Ms. ", "Mr. ", "Mrs. ", "Ms.", ""])
FILLER = st.sampled_from(FILLERS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(TITLES, NAMES), min_size=1, max_size=4), FILLER, FILLER)
def test_every_declared_speaker_name_is_replaced_in_sentences(speakers, before, after):
    table = pd.DataFrame({"speaker": [t + n for t, n in speakers], "text": ["x"] * len(speakers)})
    names = names_from_column(table, "speaker")
    assert names == list(dict.fromkeys(n for _, n in speakers))
    redactor = Redactor(make_profile(names=tuple(names)))
    for _, name in speakers:
        text = f"{before} {name}, {after}."
        redacted, counts = redactor.redact(text)
        assert name not in redacted and counts["NAME"] >= 1, (text, redacted)
        assert redacted.startswith(before) and redacted.endswith(f", {after}.")


@pytest.mark.shared
def test_real_lessons_teacher_names_replaced(shared_data, cli, tmp_path):
    folder = shared_data / "talkmoves" / "Subset 2"
    lesson = folder / "TalkBack.Year2.Smith.Spring.041921.xlsx"
    if not lesson.is_file():
        pytest.skip(f"TalkMoves not available: put the corpus at {folder.parent}")
    from edukit.corpora.talkmoves import read_talkmoves

    raw = read_talkmoves(lesson)
    assert "Ms. Smith" in set(raw["speaker"]) and raw["text"].str.contains("Smith").sum() == 2
    out = tmp_path / "red.csv"
    r = cli("redact", lesson, "--out", out, "--names-from-column", "speaker")
    assert r.code == 0, r.err
    red = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert not red["text"].str.contains("Smith").any()
    assert not red["history"].str.contains("Smith").any()
    assert len(red) == int((raw["text"] != "").sum())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--entities", "EMAIL", "--names-from-column", "speaker"], "entity type NAME"),
        (["--profile", "contact", "--names-from-column", "speaker"], "entity type NAME"),
        (["--entities", "EMAIL", "--phone-regions", "GB"], "entity type PHONE"),
    ],
)
def test_options_the_entity_types_would_ignore_are_refused(cli, tmp_path, extra, message):
    """Declared names without NAME (or regions without PHONE) were silently not redacted."""
    out = tmp_path / "red.csv"
    r = cli("redact", "sample:talkmoves", "--out", out, *extra)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert r.err.startswith("Error:") and message in r.err
    assert not out.exists()
