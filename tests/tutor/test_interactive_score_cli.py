"""`edukit tutor interactive score` through the CLI: values, intervals, outcomes, report, errors."""

from __future__ import annotations

import json

import pytest

from edukit.corpora.tables import read_table

# Four problems; first mentions derived by hand (student, teacher), for tutor columns A and B.
PROBLEMS = [
    {  # A: student says 10 in its turn 1, teacher never; B: teacher tells in turn 1
        "ground_truth": "3 + 7 = 10\n 10",
        "A": "Teacher: Hi<EOM>Student: 4<EOM>Teacher: Check<EOM>Student: 10",
        "B": "Teacher: Hi<EOM>Student: 4<EOM>Teacher: It is 10<EOM>Student: 10",
    },
    {  # A: teacher says 1234 in turn 1, student 1,234 in turn 1 -> telling; B: never
        "ground_truth": "So it is 1,234.\\n 1,234",
        "A": "Teacher: Hi<EOM>Student: 1000<EOM>Teacher: 1234<EOM>Student: 1,234",
        "B": "Teacher: Hi<EOM>Student: 1000<EOM>Teacher: Hmm<EOM>Student: 1000",
    },
    {  # A: never (120, 3.12, 12.5); B: student 12.0 in turn 0
        "ground_truth": "12",
        "A": "Teacher: Hi<EOM>Student: 120<EOM>Teacher: 3.12<EOM>Student: 12.5",
        "B": "Teacher: Hi<EOM>Student: 12.0",
    },
    {  # A: student $12 in turn 2, teacher 12.0 in turn 4 (after): not telling; B: never
        "ground_truth": "x\n12",
        "A": "Teacher: Hi<EOM>Student: 4<EOM>Teacher: ?<EOM>Student: 5<EOM>Teacher: ?<EOM>"
        "Student: $12<EOM>Teacher: ok<EOM>Student: ok<EOM>Teacher: 12.0",
        "B": "Teacher: Hi<EOM>Student: 4",
    },
]
# Success@k, Telling@k for k = 1, 2, 3 (by hand from the first mentions above)
A_SUCCESS, A_TELLING = [0.5, 0.75, 0.75], [0.25, 0.25, 0.25]
B_SUCCESS, B_TELLING = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]


@pytest.fixture
def chats(tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS), encoding="utf-8")
    return path


def test_two_tutors_side_by_side(cli, chats, tmp_path):
    out_json, report, outcomes = tmp_path / "s.json", tmp_path / "r.html", tmp_path / "o.csv"
    r = cli(
        "tutor", "interactive", "score", chats, "--conversation-col", "A",
        "--conversation-col", "B", "--max-k", "3", "--json", out_json, "--report", report,
        "--outcomes", outcomes, "--n-boot", "200",
    )  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(out_json.read_text())
    assert data["n_problems"] == 4 and data["k"] == [1, 2, 3]
    a, b = data["tutors"]["A"], data["tutors"]["B"]
    assert (a["success_at_k"], a["telling_at_k"]) == (A_SUCCESS, A_TELLING)
    assert (b["success_at_k"], b["telling_at_k"]) == (B_SUCCESS, B_TELLING)
    assert a["success_count"] == [2, 3, 3]
    assert "success_at_k" not in data  # only with a single tutor column
    for t in (a, b):
        cis, values = t["success_ci"] + t["telling_ci"], t["success_at_k"] + t["telling_at_k"]
        for ci, v in zip(cis, values, strict=True):
            assert 0 <= ci[0] <= v <= ci[1] <= 1
    (diff,) = data["differences"]  # A - B, paired
    assert (diff["a"], diff["b"]) == ("A", "B")
    assert diff["success_at_k"] == [0.0, 0.25, 0.25] and diff["telling_at_k"] == [0.0] * 3
    for ci, v in zip(diff["success_ci"], diff["success_at_k"], strict=True):
        assert -1 <= ci[0] <= v <= ci[1] <= 1
    assert "Paired differences" in r.out and 'id="differences"' in report.read_text()
    firsts = [p["first_mention"]["A"] for p in data["problems"]]
    assert firsts == [
        {"student": 1, "teacher": None},
        {"student": 1, "teacher": 1},
        {"student": None, "teacher": None},
        {"student": 2, "teacher": 4},
    ]
    assert [p["problem_id"] for p in data["problems"]] == [f"chats-{i}" for i in range(4)]
    table = read_table(outcomes)
    assert len(table) == 8 and set(table["tutor"]) == {"A", "B"}
    assert table["success_at_3"].tolist() == [True, True, False, True, True, False, True, False]
    page = report.read_text()
    assert 'id="plot"' in page and "data:image/png;base64," in page
    assert "A Success@k" in page and "B Telling@k" in page and "chats-3" in page
    # the printed lines repeat evaluate.py's (its lists start at k = 0)
    assert "A: Success@3: 0 0.5 0.75 0.75" in r.out


def test_single_column_json_has_the_lists_at_the_top(cli, chats, tmp_path):
    out_json = tmp_path / "s.json"
    r = cli("tutor", "interactive", "score", chats, "--conversation-col", "A", "--max-k", "2",
            "--json", out_json, "--n-boot", "0")  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(out_json.read_text())
    assert data["success_at_k"] == A_SUCCESS[:2] and data["telling_at_k"] == A_TELLING[:2]
    assert data["tutors"]["A"]["success_ci"] == [None, None]


def test_default_max_k_is_the_references_7(cli, chats, tmp_path):
    out_json = tmp_path / "s.json"
    assert cli("tutor", "interactive", "score", chats, "--conversation-col", "A",
               "--json", out_json, "--n-boot", "0").code == 0  # fmt: skip
    assert len(json.loads(out_json.read_text())["success_at_k"]) == 7


def test_intervals_are_seeded(chats):
    from edukit.tutor.interactive_score import score_file

    one = score_file(chats, ["A"], max_k=2, n_boot=300, seed=3).tutors["A"].success_ci
    two = score_file(chats, ["A"], max_k=2, n_boot=300, seed=3).tutors["A"].success_ci
    assert one == two


def test_missing_column_is_one_line(cli, chats):
    r = cli("tutor", "interactive", "score", chats, "--conversation-col", "C")
    assert r.code == 2
    assert r.err.startswith(f"Error: {chats}: no column 'C' (columns: ground_truth, A, B)")
    assert len(r.err.strip().splitlines()) == 1


def test_empty_conversation_names_the_row(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ground_truth,A\n10,Teacher: Hi<EOM>Student: 10\n12,\n", encoding="utf-8")
    r = cli("tutor", "interactive", "score", path, "--conversation-col", "A")
    assert r.code == 2
    assert r.err.strip() == (
        f"Error: {path}:3: column 'A' is empty (an unfinished conversation: re-run "
        "`edukit tutor interactive run` to finish it, or score the finished ones with "
        "--finished-only)"
    )


def test_a_column_without_the_separator_warns(cli, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"ground_truth": "1", "A": "Teacher: Hi|EOM|Student: 1"}) + "\n")
    r = cli("tutor", "interactive", "score", path, "--conversation-col", "A", "--n-boot", "0")
    assert r.code == 0
    assert "never contains '<EOM>'" in r.err and "--eom '|EOM|'" in r.err


@pytest.mark.shared
def test_real_mathdial_csv_and_jsonl_score_alike(shared_data, tmp_path):
    from edukit.tutor.interactive_score import score_file

    results = [
        score_file(shared_data / "mathdial" / name, ["conversation"], eom="|EOM|", n_boot=0)
        for name in ("test.csv", "test.jsonl")
    ]
    csv, jsonl = (r.tutors["conversation"] for r in results)
    assert results[0].n == 599
    assert csv.success_at_k == jsonl.success_at_k and csv.telling_at_k == jsonl.telling_at_k
    # test-0 (Julia's spoons, answer 10): the student first says 10 in its turn 2
    # ("...she must have bought 10 spoons"); the human teacher never says 10.
    assert results[0].answers[0] == "10"
    assert (csv.outcomes[0].student, csv.outcomes[0].teacher) == (2, None)


def test_the_report_escapes_what_comes_from_the_file(cli, tmp_path):
    path = tmp_path / "c.jsonl"
    row = {"ground_truth": "<b>1</b>", "<script>x</script>": "Teacher: <img src=x>1<EOM>Student: 1"}
    path.write_text(json.dumps(row) + "\n")
    report = tmp_path / "r.html"
    r = cli("tutor", "interactive", "score", path, "--conversation-col", "<script>x</script>",
            "--report", report, "--n-boot", "20")  # fmt: skip
    assert r.code == 0, r.err
    page = report.read_text()
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>1</b>" not in page
