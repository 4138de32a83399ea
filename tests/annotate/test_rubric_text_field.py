"""A rubric that names its text field (`unit.text_field: comment`) reads a table that does."""

from __future__ import annotations

ITEMS = (
    "item_id,comment,playlist_name,video_name\n"
    "1,great lecture thanks,P,V\n2,what is a determinant,P,V\n"
)


def _annotate(cli, fake_server, tmp_path, table, *extra):
    path = tmp_path / "c.csv"
    path.write_text(table, encoding="utf-8")
    return cli(
        "annotate", path, "--rubric", "sight-joint", "--model", "fake-model",
        "--base-url", fake_server.base_url, "--run-db", tmp_path / "runs.sqlite",
        "--out", tmp_path / "out.csv", "--quiet", *extra,
    )  # fmt: skip


def test_a_table_with_the_rubrics_text_column_is_annotated(cli, fake_server, tmp_path):
    r = _annotate(cli, fake_server, tmp_path, ITEMS)
    assert r.code == 0, r.err
    sent = fake_server.chat_requests
    assert len(sent) == 2
    prompts = [m["content"] for body in sent for m in body["messages"] if m["role"] == "user"]
    assert any("what is a determinant" in p for p in prompts)
    assert "empty items skipped" not in r.out


def test_the_same_column_named_with_text_col_is_annotated(cli, fake_server, tmp_path):
    r = _annotate(cli, fake_server, tmp_path, ITEMS, "--id-col", "item_id", "--text-col", "comment")
    assert r.code == 0, r.err
    assert len(fake_server.chat_requests) == 2


def test_a_table_whose_text_is_all_empty_is_one_error_and_sends_nothing(cli, fake_server, tmp_path):
    table = "item_id,comment,playlist_name,video_name\n1,,P,V\n2,  ,P,V\n"
    r = _annotate(cli, fake_server, tmp_path, table)
    assert r.code == 2
    assert r.err.count("Error:") == 1 and "all 2 items have empty text in column 'comment'" in r.err
    assert "Done." not in r.out
    assert fake_server.chat_requests == []
