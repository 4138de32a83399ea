"""Rubrics from `edukit rubric import-sight` carry the paper's settings (issue 12, case 8)."""

from __future__ import annotations

import pytest

from edukit.rubric import load_rubric


@pytest.mark.parametrize(
    ("folder", "max_tokens"), [("bin_zeroshot", 50), ("bin_kshot_reasoning", 300)]
)
def test_imported_sight_rubric_sends_temperature_0_and_bounded_max_tokens(
    cli, shared_data, tmp_path, folder, max_tokens
):
    out = tmp_path / f"{folder}.yaml"
    r = cli("rubric", "import-sight", shared_data / "sight" / "prompts" / folder, "--out", out)
    assert r.code == 0, r.err
    rubric = load_rubric(out)
    assert rubric.defaults == {"temperature": 0, "max_tokens": max_tokens}
    item = {"item_id": "1", "comment": "x", "video_name": "v", "playlist_name": "p"}
    for request in rubric.requests(item):
        assert request.params == {"temperature": 0, "max_tokens": max_tokens}


def test_defaults_logprobs_is_a_rubric_setting(write_rubric):
    text = """
        name: demo
        version: "1"
        task: binary
        labels:
          - name: a
            definition: d
        defaults:
          temperature: 0
        """
    plain = load_rubric(write_rubric(text, "a.yaml"))
    asked = load_rubric(write_rubric(text + "  logprobs: true\n", "b.yaml"))
    assert plain.defaults == {"temperature": 0}
    assert asked.defaults == {"temperature": 0, "logprobs": True}
    assert plain.hash != asked.hash
