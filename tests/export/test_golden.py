"""Golden files pin one export of every format (regenerate: `python tests/regen_golden.py`).

Field names follow each trainer's documentation: OpenAI chat fine-tuning (`messages`, assistant
`weight` 0/1), TRL dataset formats (conversational language modelling `messages`; conversational
prompt-completion `prompt`/`completion`), LLaMA-Factory data/README (sharegpt `conversations`
with `from`/`value`, human/gpt; alpaca `instruction`/`input`/`output`/`system`/`history`; the
`dataset_info.json` entry with `formatting`, `columns` and `tags`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edukit.export import FORMATS, export_finetune, validate_file

from .conftest import GOLDEN_DIALOGUE, make_tables

GOLDEN = Path(__file__).parent / "golden"

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


def _export(name: str, out_dir: Path) -> dict[Path, Path]:
    """Export the golden dialogue as case `name`: golden file -> the file just written."""
    fmt, kw = CASES[name]
    dialogues, utterances = make_tables([list(GOLDEN_DIALOGUE)])
    export_finetune(dialogues, utterances, format=fmt, out_dir=out_dir, val_fraction=0, **kw)
    files = {GOLDEN / name: out_dir / "train.jsonl"}
    if fmt in ("sharegpt", "alpaca") and not kw:
        files[GOLDEN / f"{fmt}.dataset_info.json"] = out_dir / "dataset_info.json"
    return files


def golden_texts(tmp_path: Path) -> dict[Path, str]:
    """Every golden file of this module and its current text (for tests/regen_golden.py)."""
    texts = {}
    for name in sorted(CASES):
        for golden, written in _export(name, tmp_path / name.replace(".", "-")).items():
            texts[golden] = written.read_text(encoding="utf-8")
    return texts


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_export(name, tmp_path):
    files = _export(name, tmp_path)
    for golden, written in files.items():
        assert written.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), golden
    assert (tmp_path / "val.jsonl").read_text() == ""
    assert validate_file(GOLDEN / name, CASES[name][0]) == []
