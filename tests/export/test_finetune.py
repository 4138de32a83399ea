"""export_finetune end to end on the synthetic MathDial sample and on small tables."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from edukit.errors import ExportError
from edukit.export import FORMATS, export_finetune, validate_file

# datasets/mathdial/test.csv: 33 teacher turns, 3 of them tag-only (two probing, one telling);
# no duplicates or same-speaker runs once those are gone. Gold moves of the other 30:
SAMPLE_MOVES = {"generic": 11, "focus": 6, "probing": 6, "telling": 4, "hint": 2, "none": 1}


def _total(manifest, key):
    return sum(c[key] for c in manifest.counts.values())


def _moves(manifest):
    out = {}
    for per_split in manifest.moves.values():
        for m, n in per_split.items():
            out[m] = out.get(m, 0) + n
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_sample_export_counts_manifest_and_valid_files(fmt, sample, sample_path, tmp_path):
    m = export_finetune(
        sample.dialogues, sample.utterances, format=fmt, out_dir=tmp_path, inputs=[sample_path],
        val_fraction=0.2, test_fraction=0.2,
    )  # fmt: skip
    assert _total(m, "examples") == 30 and _total(m, "targets") == 30
    assert _moves(m) == SAMPLE_MOVES
    assert m.cleanup == {"tag_only": {"teacher": 3}, "duplicates": {}, "merge": {}}
    assert m.opener_inserted == 12
    assert m.qids_in_more_than_one_split == 0
    assert set(m.files) == {"train", "val", "test"}
    for split, file in m.files.items():
        path = tmp_path / file
        assert len(path.read_text().splitlines()) == m.counts[split]["examples"]
        assert validate_file(path, fmt) == []
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == json.loads(m.to_json())
    assert on_disk["inputs"] == [
        {"path": str(sample_path), "sha256": hashlib.sha256(sample_path.read_bytes()).hexdigest()}
    ]
    assert on_disk["source"]["licence"] == "CC BY-SA 4.0"
    assert "MathDial" in on_disk["source"]["citation"]
    assert (tmp_path / "dataset_info.json").exists() == (fmt in ("sharegpt", "alpaca"))


def test_dialogue_unit_student_role_and_move_filters(sample, tmp_path):
    d, u = sample.dialogues, sample.utterances
    m = export_finetune(d, u, format="openai-chat", out_dir=tmp_path / "a", unit="dialogue")
    assert _total(m, "examples") == 12 and _total(m, "targets") == 30
    m = export_finetune(d, u, format="trl-messages", out_dir=tmp_path / "b", role="student")
    assert _total(m, "examples") == 30  # every student turn, none empty
    m = export_finetune(
        d, u, format="alpaca", out_dir=tmp_path / "c", moves=["focus", "probing"], taxonomy=3
    )
    assert _moves(m) == {"scaffolding": 12}
    assert m.skipped == {"move_not_selected": 18}
    m = export_finetune(
        d, u, format="openai-chat", out_dir=tmp_path / "d", unit="dialogue",
        move_weights={"telling": 0, "generic": 0},
    )  # fmt: skip
    assert _total(m, "targets") == 30 - 11 - 4


def test_published_split_keeps_the_file_split(sample, tmp_path):
    m = export_finetune(
        sample.dialogues, sample.utterances, format="sharegpt", out_dir=tmp_path, split="published"
    )
    assert m.counts["test"]["examples"] == 30
    assert m.counts["train"]["examples"] == m.counts["val"]["examples"] == 0
    assert (tmp_path / "train.jsonl").read_text() == ""
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["mathdial_tutor_test"]["file_name"] == "test.jsonl"


def test_cleanup_counts_reconcile_teacher_turns(tables, tmp_path):
    d, u = tables(
        [
            [
                ("teacher", "generic", "Hi"),
                ("teacher", "generic", "Hi"),  # duplicate
                ("student", "", "4"),
                ("teacher", "focus", ""),  # tag-only
                ("teacher", "focus", "Why?"),
                ("teacher", "probing", "Which step?"),  # merged
                ("student", "", "Step 1"),
            ]
        ]
    )
    m = export_finetune(d, u, format="trl-prompt-completion", out_dir=tmp_path, val_fraction=0)
    assert m.cleanup == {
        "tag_only": {"teacher": 1},
        "duplicates": {"teacher": 1},
        "merge": {"teacher": 1},
    }
    assert _total(m, "examples") == 5 - 3
    (last,) = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()][1:]
    assert last["completion"] == [{"role": "assistant", "content": "Why?\nWhich step?"}]


def _annotations(rows, confidence=True):
    df = pd.DataFrame(rows, columns=["item_id", "rater", "value", "confidence"])
    df["label"], df["version"] = "move", "v1"
    return df if confidence else df.drop(columns="confidence")


def test_moves_from_annotations_replace_gold_moves(tables, tmp_path):
    d, u = tables([[("teacher", "generic", "Hi"), ("student", "", "4"),
                    ("teacher", "focus", "Why?"), ("student", "", "2+2"),
                    ("teacher", "telling", "It is 3.")]])  # fmt: skip
    ann = _annotations(
        [
            ("test-0:0", "m", "telling", 0.9),
            ("test-0:2", "m", "probing", 0.9),  # two samples say probing, one focus: probing
            ("test-0:2", "m", "probing", 0.8),
            ("test-0:2", "m", "focus", 0.95),
            ("test-0:4", "m", "Focus", 0.4),  # below --min-confidence 0.5: no move
            ("test-0:4", "h", "telling", 1.0),
        ]
    )
    m = export_finetune(
        d, u, format="openai-chat", out_dir=tmp_path, val_fraction=0,
        moves_from=ann, rater="m", min_confidence=0.5,
    )  # fmt: skip
    assert m.moves["train"] == {"probing": 1, "telling": 1}
    assert m.skipped == {"unannotated": 1}
    m = export_finetune(d, u, format="openai-chat", out_dir=tmp_path, val_fraction=0,
                        moves_from=ann, rater="m")  # fmt: skip
    assert m.moves["train"] == {"focus": 1, "probing": 1, "telling": 1}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"rater": "x"}, "no 'move' annotations by rater 'x' \\(h, m\\)"),
        ({}, "several raters; choose one with --rater \\(h, m\\)"),
    ],
)
def test_moves_from_errors(kw, message, tables, tmp_path):
    d, u = tables([[("teacher", "generic", "Hi"), ("student", "", "4")]])
    ann = _annotations([("test-0:0", "m", "focus", 1.0), ("test-0:0", "h", "focus", 1.0)])
    with pytest.raises(ExportError, match=message):
        export_finetune(d, u, format="alpaca", out_dir=tmp_path, moves_from=ann, **kw)


def test_moves_from_must_match_and_need_confidence(tables, tmp_path):
    d, u = tables([[("teacher", "generic", "Hi"), ("student", "", "4")]])
    other = _annotations([("train-9:0", "m", "focus", 1.0)])
    with pytest.raises(ExportError, match="no annotated item id matches"):
        export_finetune(d, u, format="alpaca", out_dir=tmp_path, moves_from=other)
    bare = _annotations([("test-0:0", "m", "focus", 1.0)], confidence=False)
    with pytest.raises(ExportError, match="--min-confidence needs a 'confidence' column"):
        export_finetune(d, u, format="alpaca", out_dir=tmp_path, moves_from=bare,
                        min_confidence=0.5)  # fmt: skip
    assert not (tmp_path / "train.jsonl").exists()  # nothing half-written


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"format": "gpt"}, "unknown format 'gpt'"),
        ({"unit": "session"}, "unknown unit 'session'"),
        (
            {"moves": ["tell"]},
            "unknown move 'tell' \\(moves here: focus, generic, hint, none, probing, telling\\)",
        ),
        ({"move_weights": {"telling": 0.5}}, "must be 0 or 1"),
        ({"move_token": "target", "role": "student"}, "needs --role teacher"),
        ({"grounding": ["answer"]}, "unknown grounding field 'answer'"),
        ({"format": "sharegpt", "cleanup": ["tag_only"]}, "keep the 'merge' clean-up step"),
        ({"taxonomy": 5}, "--taxonomy must be 3 or 4"),
    ],
)
def test_option_errors(kw, message, sample, tmp_path):
    args = {"format": "openai-chat"} | kw
    with pytest.raises(ExportError, match=message):
        export_finetune(sample.dialogues, sample.utterances, out_dir=tmp_path, **args)


def test_cli_finetune(cli, sample_path, tmp_path):
    r = cli(
        "export", "finetune", sample_path, "--format", "openai-chat", "--out", tmp_path,
        "--moves", "focus,probing", "--move-token", "target", "--val-fraction", "0.3",
    )  # fmt: skip
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'train.jsonl'}: ")
    assert lines[-1] == f"{tmp_path / 'manifest.json'}: licence CC BY-SA 4.0"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sum(c["examples"] for c in manifest["counts"].values()) == 12
    first = json.loads((tmp_path / "train.jsonl").read_text().splitlines()[0])
    assert first["messages"][-1]["content"].startswith(("<focus> ", "<probing> "))
    r = cli("export", "validate", tmp_path / "train.jsonl", "--format", "openai-chat")
    assert r.code == 0


def test_cli_errors_are_one_line(cli, sample_path, tmp_path):
    r = cli("export", "finetune", sample_path, "--format", "gpt", "--out", tmp_path)
    assert (r.code, r.err) == (
        2,
        "Error: unknown format 'gpt' (choose from openai-chat, trl-messages, "
        "trl-prompt-completion, sharegpt, alpaca)\n",
    )
    r = cli("export", "finetune", sample_path, "-f", "alpaca", "-o", tmp_path,
            "--move-weight", "telling")  # fmt: skip
    assert (r.code, r.err.splitlines()[-1]) == (
        2,
        "Error: --move-weight 'telling': write MOVE=0 or MOVE=1",
    )
    r = cli("export", "finetune", tmp_path / "nope.csv", "-f", "alpaca", "-o", tmp_path)
    assert (r.code, r.err) == (2, f"Error: {tmp_path / 'nope.csv'}: file not found\n")


def test_out_must_be_a_folder_and_bad_template_is_a_user_error(cli, sample_path, tmp_path):
    file = tmp_path / "taken"
    file.write_text("x")
    r = cli("export", "finetune", sample_path, "-f", "alpaca", "-o", file)
    assert (r.code, r.err.splitlines()[-1]) == (
        2,
        f"Error: {file}: --out must be a folder, and this is a file",
    )
    template = tmp_path / "system.j2"
    template.write_text("Tutor {{ student_name }")
    r = cli("export", "finetune", sample_path, "-f", "alpaca", "-o", tmp_path / "o",
            "--system-template", template)  # fmt: skip
    assert r.code == 2
    assert r.err.splitlines()[-1].startswith(f"Error: {template}:1: template: template syntax")


def test_rater_and_min_confidence_need_moves_from(sample, tmp_path):
    for kw in ({"rater": "M1"}, {"min_confidence": 0.5}):
        with pytest.raises(ExportError, match="give --moves-from too"):
            export_finetune(sample.dialogues, sample.utterances, format="alpaca",
                            out_dir=tmp_path, **kw)  # fmt: skip


def test_a_confidence_that_is_not_a_number_names_its_row(tables, tmp_path):
    d, u = tables([[("teacher", "generic", "Hi"), ("student", "", "4")]])
    path = tmp_path / "moves.csv"
    path.write_text(
        "item_id,rater,label,value,confidence\n"
        "test-0:0,m,move,focus,0.9\n"
        "test-0:1,h,move,focus,\n"  # another rater's empty confidence is not looked at
        "test-0:0,m,move,probing,high\n"
    )
    with pytest.raises(ExportError) as err:
        export_finetune(d, u, format="alpaca", out_dir=tmp_path / "o", moves_from=path,
                        rater="m", min_confidence=0.5)  # fmt: skip
    assert str(err.value) == f"{path}:4: confidence 'high' is not a number"


def test_two_inputs_with_the_same_ids_are_refused(sample, tmp_path):
    d = pd.concat([sample.dialogues, sample.dialogues], ignore_index=True)
    u = pd.concat([sample.utterances, sample.utterances], ignore_index=True)
    with pytest.raises(ExportError, match="dialogue id 'test-0' appears twice"):
        export_finetune(d, u, format="alpaca", out_dir=tmp_path)


@pytest.mark.parametrize("fmt", ["sharegpt", "alpaca", "trl-prompt-completion"])
def test_formats_that_need_merged_turns_refuse_to_switch_merge_off(fmt, sample, tmp_path):
    with pytest.raises(ExportError, match="keep the 'merge' clean-up step"):
        export_finetune(sample.dialogues, sample.utterances, format=fmt, out_dir=tmp_path,
                        cleanup=["tag_only", "duplicates"])  # fmt: skip


def test_manifest_token_statistics_describe_the_written_examples(sample, tmp_path):
    from edukit.export.tokens import count_tokens
    from edukit.export.validate import _texts

    m = export_finetune(sample.dialogues, sample.utterances, format="trl-messages",
                        out_dir=tmp_path, val_fraction=0.3)  # fmt: skip
    assert m.token_estimator == "edukit.annotate.cost.estimate_tokens"  # offline, no tokenizer
    for split, file in m.files.items():
        texts = [_texts(json.loads(x)) for x in (tmp_path / file).read_text().splitlines()]
        tokens = sorted(count_tokens(t) for t in texts)
        # The offline estimate: a quarter of the characters of the line's strings, rounded up.
        assert tokens == sorted(-(-len(t) // 4) for t in texts)
        s = pd.Series(tokens, dtype=float)
        assert m.tokens[split] == {
            "min": tokens[0], "mean": round(s.mean(), 1), "median": round(s.median(), 1),
            "p95": round(s.quantile(0.95), 1), "max": tokens[-1],
        }  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "weights_exact"),
    [("openai-chat", True), ("trl-messages", False), ("sharegpt", False), ("alpaca", False),
     ("trl-prompt-completion", False)],
)  # fmt: skip
def test_dialogue_unit_excluded_moves_weight_0_or_the_manifest_explains(
    fmt, weights_exact, tables, golden_dialogue, tmp_path
):
    d, u = tables([golden_dialogue])
    m = export_finetune(d, u, format=fmt, out_dir=tmp_path, unit="dialogue", val_fraction=0,
                        moves=["focus", "telling"])  # fmt: skip
    (obj,) = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()]
    notes = " ".join(m.notes)
    if weights_exact:
        weights = [x["weight"] for x in obj["messages"] if x["role"] == "assistant"]
        assert weights == [0, 0, 1, 1]  # generic and probing excluded, focus and telling kept
        assert "no per-message weights" not in notes
    elif fmt == "trl-prompt-completion":
        assert obj["completion"][0]["content"] == golden_dialogue[-1][2]
        assert "trains only the completion" in notes
    else:
        assert f"{fmt} has no per-message weights" in notes
        assert "earlier assistant turns with excluded moves remain" in notes


def test_cli_checks_options_before_reading_the_input(cli, tmp_path):
    # The input does not exist: the option typo is reported first, in one line.
    r = cli("export", "finetune", tmp_path / "nope.csv", "-f", "alpaca", "-o", tmp_path,
            "--unit", "turns")  # fmt: skip
    assert (r.code, r.err) == (2, "Error: unknown unit 'turns' (choose turn or dialogue)\n")
    r = cli("export", "finetune", tmp_path / "nope.csv", "-f", "alpaca", "-o", tmp_path,
            "--rater", "M1")  # fmt: skip
    assert r.code == 2 and r.err.endswith("give --moves-from too\n")
    assert not any(tmp_path.iterdir())  # nothing written


def test_cli_every_option_end_to_end(cli, sample_path, tmp_path):
    template = tmp_path / "system.j2"
    template.write_text("Be {{ student_name }}'s tutor. {{ grounding.question }}")
    out = tmp_path / "o"
    r = cli(
        "export", "finetune", sample_path, "-f", "openai-chat", "-o", out, "--unit", "dialogue",
        "--grounding", "question", "--system-template", template, "--taxonomy", "3",
        "--move-weight", "telling=0", "--move-token", "target", "--val-fraction", "0",
        "--seed", "3", "--cleanup", "tag_only,merge",
    )  # fmt: skip
    assert r.code == 0, r.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["unit"] == "dialogue" and manifest["options"]["taxonomy"] == 3
    assert manifest["options"]["move_weights"] == {"telling": 0}
    assert manifest["options"]["cleanup"] == ["tag_only", "merge"]
    assert manifest["options"]["seed"] == 3 and manifest["options"]["grounding"] == ["question"]
    assert manifest["moves"]["train"] == {"generic": 11, "hint": 2, "none": 1, "scaffolding": 12}
    first = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert first["messages"][0]["role"] == "system"
    assert (
        first["messages"][0]["content"].startswith("Be ")
        and "tutor." in first["messages"][0]["content"]
    )
    telling = [x for x in first["messages"] if x["content"].startswith("<telling> ")]
    assert all(x["weight"] == 0 for x in telling)
    r = cli("export", "finetune", sample_path, "-f", "trl-messages", "-o", tmp_path / "s",
            "--role", "student", "--grounding", "none")  # fmt: skip
    assert r.code == 0, r.err
    first = json.loads((tmp_path / "s" / "train.jsonl").read_text().splitlines()[0])
    system = first["messages"][0]["content"]
    assert system.startswith("You are ") and "\n\n" not in system  # no grounding blocks
