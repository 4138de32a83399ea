"""Golden files pin one export of every format (regenerate: EDUKIT_REGEN_GOLDEN=1 pytest ...).

Field names follow each trainer's documentation: OpenAI chat fine-tuning (`messages`, assistant
`weight` 0/1), TRL dataset formats (conversational language modelling `messages`; conversational
prompt-completion `prompt`/`completion`), LLaMA-Factory data/README (sharegpt `conversations`
with `from`/`value`, human/gpt; alpaca `instruction`/`input`/`output`/`system`/`history`; the
`dataset_info.json` entry with `formatting`, `columns` and `tags`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edukit.export import FORMATS, export_finetune, validate_file

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("EDUKIT_REGEN_GOLDEN") == "1"

CASES = {f"{fmt}.jsonl": (fmt, {}) for fmt in FORMATS} | {
    # Dialogue unit with a weight-0 move: the per-message weights only OpenAI supports.
    "openai-chat-dialogue.jsonl": (
        "openai-chat",
        {"unit": "dialogue", "move_weights": {"probing": 0}},
    ),
    "trl-prompt-completion-student.jsonl": (
        "trl-prompt-completion",
        {"role": "student", "move_token": "prompt"},
    ),
}


def _check(path: Path, golden: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if REGEN:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_export(name, tables, golden_dialogue, tmp_path):
    fmt, kw = CASES[name]
    dialogues, utterances = tables([golden_dialogue])
    export_finetune(dialogues, utterances, format=fmt, out_dir=tmp_path, val_fraction=0, **kw)
    _check(tmp_path / "train.jsonl", GOLDEN / name)
    assert (tmp_path / "val.jsonl").read_text() == ""
    assert validate_file(GOLDEN / name, fmt) == []
    if fmt in ("sharegpt", "alpaca") and not kw:
        _check(tmp_path / "dataset_info.json", GOLDEN / f"{fmt}.dataset_info.json")
