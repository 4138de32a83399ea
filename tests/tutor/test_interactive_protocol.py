"""The conversation protocol: what each side is sent, personas, clean-up, the export's prompt."""

from __future__ import annotations

import json

import pytest

from edukit.corpora.tables import read_table
from edukit.tutor.interactive_protocol import Conversation, clean_turn, side, student_name


def _run(cli, problems, server, tmp_path, *extra):
    out = tmp_path / "chats.jsonl"
    r = cli(
        "tutor", "interactive", "run", problems, "--tutor-model", "fake-tutor",
        "--tutor-base-url", server.base_url, "--student-model", "fake-student",
        "--student-base-url", server.base_url, "--run-db", tmp_path / "runs.sqlite",
        "--out", out, "--quiet", "--concurrency", "1", *extra,
    )  # fmt: skip
    assert r.code == 0, r.err
    return out, r


def test_what_the_student_and_the_tutor_are_sent(cli, problems, fake_server, tmp_path):
    _run(cli, problems, fake_server, tmp_path, "--limit", "1", "--max-turns", "1")
    student, tutor = fake_server.chat_requests
    row = read_table(problems, dtype=str).iloc[0]
    # the student: chat form, persona, problem and incorrect solution, temperature 0, a stop
    assert student["model"] == "fake-student"
    assert student["temperature"] == 0 and student["max_tokens"] == 512
    assert student["stop"] == ["Teacher:", "teacher:"]
    assert "response_format" not in student
    system = student["messages"][0]
    assert system["role"] == "system"
    for text in (row["student_profile"], row["question"], row["student_incorrect_solution"]):
        assert text in system["content"]
    assert row["ground_truth"] not in system["content"]
    assert student["messages"][1:] == [
        {"role": "user", "content": "Hi Mariana! Could you walk me through your solution?"}
    ]
    # the tutor: sees itself as the assistant, the student as the user, the export's opener
    assert tutor["model"] == "fake-tutor" and tutor["stop"] == ["Student:", "student:"]
    assert [m["role"] for m in tutor["messages"]] == ["system", "user", "assistant", "user"]
    assert tutor["messages"][1]["content"] == "(The tutoring session starts.)"
    assert tutor["messages"][2]["content"].startswith("Hi Mariana!")
    assert tutor["messages"][3]["content"] == "I cannot tell."  # the fake server's answer
    assert row["ground_truth"].strip() in tutor["messages"][0]["content"]


def test_a_default_persona_when_the_profile_is_absent(cli, fake_server, tmp_path):
    problems = tmp_path / "p.jsonl"
    problems.write_text(
        json.dumps(
            {
                "question": "2 + 2?",
                "ground_truth": "2 + 2 = 4\n 4",
                "student_incorrect_solution": "5",
            }
        )
        + "\n"
    )
    out, _ = _run(cli, problems, fake_server, tmp_path, "--max-turns", "1")
    system = fake_server.chat_requests[0]["messages"][0]["content"]
    assert "Kayla is a 7th grade student" in system
    row = json.loads(out.read_text())
    assert row["fake-tutor"].startswith("Teacher: Hi Kayla! Could you walk me through")


def test_the_tutor_prompt_is_the_fine_tuning_exports(cli, problems, fake_server, tmp_path):
    """A tutor tuned on `edukit export finetune` output is evaluated under the same prompt."""
    template = tmp_path / "system.j2"
    template.write_text("You tutor {{ student_profile | truncate(12) }} on: {{ question }}")
    for extra, export_extra in (
        ((), ()),
        (("--tutor-system", template), ("--system-template", template)),
        (("--tutor-grounding", "question"), ("--grounding", "question")),
    ):
        fake_server.reset_log()
        _run(cli, problems, fake_server, tmp_path, "--max-turns", "1", *extra)
        sent = {
            b["messages"][0]["content"]
            for b in fake_server.chat_requests
            if b["model"] == "fake-tutor"
        }
        exported = tmp_path / "export"
        r = cli("export", "finetune", problems, "--format", "openai-chat", "--out", exported,
                "--val-fraction", "0", *export_extra)  # fmt: skip
        assert r.code == 0, r.err
        lines = (exported / "train.jsonl").read_text().splitlines()
        trained = {json.loads(line)["messages"][0]["content"] for line in lines}
        assert len(sent) >= 11 and sent == trained  # 12 dialogues of 11 problems


@pytest.mark.parametrize(
    ("text", "speakers", "turn"),
    [
        ("Student: Kayla: I got 12.<EOM>", ("Student", "Kayla"), "I got 12."),
        ("  kayla: 12 <EOM>\n", ("Student", "Kayla"), "12"),
        ("<think>the answer is 7</think>\nIs it 5?", ("Student",), "Is it 5?"),
        ("Teacher: Why 5?", ("Teacher",), "Why 5?"),
        ("I said Student: 5", ("Student",), "I said Student: 5"),  # only a leading prefix
        ("", ("Student",), ""),
    ],
)
def test_echoed_prefixes_and_tags_are_removed(text, speakers, turn):
    assert clean_turn(text, speakers) == turn


def test_decode_strips_the_students_own_name():
    student = side("student")
    conv = Conversation("p-0", {"question": "q", "student_incorrect_solution": "s"}, "Ana", "", "")
    conv.turns.append(("Teacher", "Hi"))
    req = student.request(conv)
    assert student.decode(req, "Ana: It is 4<EOM>")[0].value == "It is 4"


def test_newlines_in_a_turn_are_written_as_mathdial_does():
    conv = Conversation("p-0", {}, "Ana", "", "", turns=[("Teacher", "Hi"), ("Student", "a\nb")])
    assert conv.mathdial() == "Teacher: Hi<EOM>Student: a\\nb"


def test_student_names_from_profiles():
    assert student_name("Mariana is a 7th grade student.") == "Mariana"
    assert student_name("") == "Kayla"


def test_option_mistakes_are_one_line_before_any_request(cli, problems, fake_server, tmp_path):
    base = ["tutor", "interactive", "run", problems, "--tutor-model", "t", "--student-model", "s",
            "--tutor-base-url", fake_server.base_url, "--student-base-url", fake_server.base_url,
            "--run-db", tmp_path / "r.sqlite"]  # fmt: skip
    cases = [
        (["--out", tmp_path / "o.jsonl", "--name", "question"],
         f"Error: {problems}: the problems already have a column 'question': give another --name"),
        (["--out", tmp_path / "o.jsonl", "--tutor-grounding", "question,answer"],
         "Error: unknown grounding field 'answer' (choose from question, ground_truth, "
         "student_incorrect_solution, student_profile, teacher_described_confusion)"),
        (["--out", problems], f"Error: {problems}: --out is also an input ({problems})"),
        (["--out", tmp_path / "o.jsonl", "--turns", problems],
         f"Error: {problems}: --turns is also an input ({problems})"),
        (["--out", tmp_path / "o.txt"], f"Error: {tmp_path / 'o.txt'}: unknown table format"),
        (["--out", tmp_path / "o.jsonl", "--tutor-system", tmp_path / "missing.j2"],
         f"Error: {tmp_path / 'missing.j2'}: tutor system prompt file not found"),
    ]  # fmt: skip
    for extra, message in cases:
        r = cli(*base, *extra)
        assert r.code == 2, (extra, r.out)
        assert r.err.startswith(message), r.err
        assert len(r.err.strip().splitlines()) == 1
    assert fake_server.chat_requests == []
    assert not (tmp_path / "o.jsonl").exists()


def test_an_unwritable_out_is_refused_before_any_request(cli, problems, fake_server, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder is expected")
    args = ["tutor", "interactive", "run", problems, "--tutor-model", "t", "--student-model", "s",
            "--tutor-base-url", fake_server.base_url, "--student-base-url", fake_server.base_url,
            "--run-db", tmp_path / "r.sqlite", "--limit", "2", "--max-turns", "1",
            "--quiet"]  # fmt: skip
    r = cli(*args, "--out", blocked / "o.jsonl")
    assert r.code == 2
    assert r.err.startswith(f"Error: {blocked / 'o.jsonl'}: --out: {blocked} is a file, not a ")
    assert fake_server.chat_requests == []
    again = cli(*args, "--out", tmp_path / "o.jsonl")
    assert again.code == 0 and "\n0 requests sent\n" not in again.out
