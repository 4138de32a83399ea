"""Issue 21, points 1, 7 and 8: a table lacking a column the rubric reads, and `--limit 0`,
end in one `Error:` line with exit code 2; nothing is sent and nothing says "Done."."""

from __future__ import annotations

import pytest


def _annotate(cli, server, tmp_path, table: str, rubric: str, *extra):
    path = tmp_path / "pii.csv"
    path.write_text(table, encoding="utf-8")
    return cli(
        "annotate", path, "--rubric", rubric, "--model", "fake-model",
        "--base-url", server.base_url, "--run-db", tmp_path / "runs.sqlite", "--quiet", *extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("table", "rubric", "column"),
    [
        ("id,body\n1,hello\n2,world\n", "mathdial-moves", "'item_id'"),
        ("item_id,text\n1,hello\n2,world\n", "sight-joint", "'comment'"),
        ("item_id,text\n1,hello\n", "mrbench", "'history'"),
    ],
)
def test_a_missing_column_is_one_error_naming_it_and_the_rubric(
    cli, fake_server, tmp_path, table, rubric, column
):
    r = _annotate(cli, fake_server, tmp_path, table, rubric)
    assert r.code == 2, r.out + r.err
    assert r.err.count("Error:") == 1 and "Traceback" not in r.err
    line = r.err.strip()
    assert "pii.csv has no column" in line and column in line and f"rubric {rubric} uses" in line
    assert "Done." not in r.out and "items done" not in r.out
    assert fake_server.chat_requests == []


def test_a_context_column_is_blamed_on_the_data_not_on_the_bundled_rubric(
    cli, fake_server, tmp_path
):
    table = "comment_id,comment\n1,what is a determinant\n"
    cols = ("--id-col", "comment_id", "--text-col", "comment")
    r = _annotate(cli, fake_server, tmp_path, table, "sight", *cols)
    assert r.code == 2
    line = r.err.strip()
    assert line.startswith("Error:") and line.count("Error:") == 1
    assert "pii.csv has no columns 'playlist_name', 'video_name', which rubric sight uses" in line
    assert "sight.yaml" not in line and "is undefined" not in line
    assert fake_server.chat_requests == []


def test_a_plain_comments_table_is_told_which_columns_the_rubric_reads(cli, fake_server, tmp_path):
    r = _annotate(cli, fake_server, tmp_path, "comment_id,comment\n1,hi\n", "sight")
    assert r.code == 2
    assert "it reads item_id, comment, playlist_name, video_name" in r.err
    assert "--id-col" in r.err and fake_server.chat_requests == []


def test_limit_zero_is_refused_by_annotate_and_tutor_interactive_run(
    cli, fake_server, tmp_path, repo_root
):
    table = "item_id,text\n1,hello\n"
    r = _annotate(cli, fake_server, tmp_path, table, "mathdial-moves", "--limit", "0")
    assert r.code == 2 and "Done." not in r.out and "--limit" in r.err
    problems = repo_root / "datasets" / "mathdial" / "test.csv"
    r2 = cli(
        "tutor", "interactive", "run", problems, "--tutor-model", "t", "--student-model", "s",
        "--tutor-base-url", fake_server.base_url, "--student-base-url", fake_server.base_url,
        "--out", tmp_path / "c.jsonl", "--run-db", tmp_path / "r.sqlite", "--limit", "0",
    )  # fmt: skip
    assert r2.code == 2 and "Done." not in r2.out and "--limit" in r2.err
    assert fake_server.chat_requests == []


def test_the_library_refuses_limit_zero_too(binary_rubric, kit, tmp_path):
    from edukit.annotate.engine import annotate
    from edukit.errors import AnnotationError

    with pytest.raises(AnnotationError, match="--limit must be at least 1"):
        annotate(kit.make_items(2), binary_rubric, "m", run_db=tmp_path / "r.sqlite", limit=0)
