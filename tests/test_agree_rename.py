"""`agree --rename` and the hint when one rater name comes from two files (issue 18)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def files(tmp_path):
    rows = {"h.csv": ("H", "1,0,1,1"), "a.csv": ("M", "1,0,0,1"), "b.csv": ("M", "1,1,1,1")}
    for name, (rater, values) in rows.items():
        lines = ["item_id,rater,label,value"]
        lines += [f"i{n},{rater},x,{v}" for n, v in enumerate(values.split(","))]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    return tmp_path


def test_same_rater_in_two_files_suggests_rater_or_rename(cli, files):
    r = cli("agree", files / "h.csv", files / "a.csv", files / "b.csv", "--raters", "H,M")
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        f"Error: rater 'M' rated the same items in {files / 'a.csv'} (file 2) and "
        f"{files / 'b.csv'} (file 3): give each run its own name (edukit annotate --rater NAME) "
        "or rename one here (--rename 3:M=M-3)"
    ]


def test_rename_in_one_file_separates_the_runs(cli, files):
    out = files / "agree.json"
    r = cli(
        "agree", files / "h.csv", files / "a.csv", files / "b.csv",
        "--humans", "H", "--models", "M,M-3", "--rename", "3:M=M-3", "--n-boot", "0",
        "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(out.read_text())
    assert data["models"] == ["M", "M-3"]
    assert "M-3" in json.dumps(data["labels"]["x"])


def test_rename_everywhere_and_repeatable(cli, files):
    r = cli(
        "agree", files / "h.csv", files / "a.csv",
        "--raters", "human,model", "--rename", "H=human", "--rename", "M=model", "--n-boot", "0",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "Fleiss' kappa over human, model" in " ".join(r.out.split())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("M", "--rename 'M': write OLD=NEW or N:OLD=NEW (N: file number)"),
        ("5:M=X", "--rename '5:M=X': there is no file 5 (files 1 to 2)"),
    ],
)
def test_bad_rename_is_one_line(cli, files, spec, message):
    r = cli("agree", files / "h.csv", files / "a.csv", "--raters", "H,M", "--rename", spec)
    assert r.code == 2
    assert r.err.strip() == f"Error: {message}"
