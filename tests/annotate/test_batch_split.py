"""--batch input files are split by size (200 MB) as well as by count (50,000)."""

from __future__ import annotations

import json

from edukit.annotate import batch as batch_api

LONG_RUBRIC = """\
name: long
version: "1"
task: binary
instructions: |
{manual}
labels:
  - name: confusion
    definition: The student says they do not understand something.
  - name: gratitude
    definition: The student thanks the teacher.
"""


def _long_rubric(tmp_path, kb: int):
    line = "  Coding manual: read the whole comment before you decide on any label at all.\n"
    manual = line * (kb * 1000 // len(line))
    path = tmp_path / "long.yaml"
    path.write_text(LONG_RUBRIC.format(manual=manual.rstrip("\n")))
    return path


def test_long_instructions_split_batch_files_by_size(cli, fake_server, tmp_path, kit, monkeypatch):
    assert batch_api.MAX_BATCH_BYTES == 200_000_000
    assert batch_api.MAX_PER_BATCH == 50_000
    # 1,050 requests of 200 KB would be a 210 MB file; scaled down: 24 requests of ~200 KB
    # against a 1 MB limit, so five fit in one file
    monkeypatch.setattr(batch_api, "MAX_BATCH_BYTES", 1_000_000)
    rubric = _long_rubric(tmp_path, 200)
    items = tmp_path / "items.csv"
    kit.make_items(12).to_csv(items, index=False)
    fake_server.batch_hold = True
    args = ["annotate", items, "--rubric", rubric, "--model", "m", "--base-url"]
    args += [fake_server.base_url, "--run-db", tmp_path / "r.sqlite", "--batch", "-q"]
    res = cli(*args)
    assert res.code == 3, res.err  # batches still running: items left
    sizes = [len(data) for data in fake_server.files.values()]
    lines = [ln for d in fake_server.files.values() for ln in d.decode().splitlines()]
    assert len(lines) == 24 and len({json.loads(x)["custom_id"] for x in lines}) == 24
    assert all(190_000 < len(x) < 250_000 for x in lines)
    assert max(sizes) <= 1_000_000
    assert [len(d.decode().splitlines()) for d in fake_server.files.values()] == [5, 5, 5, 5, 4]
    assert "Batches submitted" in res.out


def test_one_request_larger_than_a_file_is_a_clear_error(
    cli, fake_server, tmp_path, kit, monkeypatch
):
    monkeypatch.setattr(batch_api, "MAX_BATCH_BYTES", 100_000)
    rubric = _long_rubric(tmp_path, 200)
    items = tmp_path / "items.csv"
    kit.make_items(2).to_csv(items, index=False)
    args = ["annotate", items, "--rubric", rubric, "--model", "m", "--base-url"]
    args += [fake_server.base_url, "--run-db", tmp_path / "r.sqlite", "--batch", "-q"]
    res = cli(*args)
    assert res.code == 2
    assert "more than a Batch API input file may hold" in res.err
    assert "Traceback" not in res.err
    assert fake_server.files == {}


def test_batch_lines_use_the_model_familys_token_parameter():
    row = {"messages": [], "schema_name": "a", "schema": {}, "params": {"max_tokens": 9}}
    assert batch_api.batch_line("k", "gpt-4o-mini", row)["body"]["max_tokens"] == 9
    body = batch_api.batch_line("k", "o3-mini", row)["body"]
    assert body["max_completion_tokens"] == 9 and "max_tokens" not in body
