"""Issue 12 against llama.cpp's real llama-server (tests/conftest.py `realserver`).

The tiny model's answers are nonsense; the server's json_schema decoding, logprobs, `n`, usage and
errors are real. Every bundled rubric must end with every item ok and resume with 0 requests.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3

import pandas as pd
import pytest

from edukit.resources import bundled

SIGHT = ("datasets", "sight", "sample_dataset.csv")
MATHDIAL = ("datasets", "mathdial", "test.csv")


def run(cli, items, rubric, server, db, *extra, model=None):
    args = ["annotate", items, "--rubric", rubric, "--model", model or server.model]
    return cli(*args, "--base-url", server.base_url, "--run-db", db, "-q", *extra)


def store(db, sql):
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(
    ("rubric", "items"),
    [("sight.yaml", SIGHT), ("sight-joint.yaml", SIGHT), ("mathdial-moves.yaml", MATHDIAL)],
)
def test_bundled_rubrics_end_to_end(cli, realserver, tmp_path, rubric, items):
    from edukit.rubric import load_rubric

    path = bundled("rubrics", rubric)
    data = bundled(*items)
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    res = run(cli, data, path, realserver, db, "--limit", "4", "--out", out, "--concurrency", "2")
    assert res.code == 0, res.err
    m = re.search(r"(\d+) ok, 0 invalid, 0 API errors, 0 pending", res.out)
    assert m and int(m.group(1)) > 0, res.out
    assert store(db, "SELECT DISTINCT status, mode FROM responses") == [("ok", "json_schema")]
    df = pd.read_csv(out, dtype={"item_id": str})
    rub = load_rubric(path)
    assert df["item_id"].nunique() == 4
    if rub.task == "single":
        assert set(df["value"]) <= set(rub.labels)
    else:
        assert set(df["value"].astype(int)) <= {0, 1}
        assert set(df["label"]) == set(rub.labels)
    again = run(cli, data, path, realserver, db, "--limit", "4")
    assert again.code == 0 and " 0 requests sent" in again.out, again.out


def test_logprob_confidence_aligns_with_llama_server_tokens(cli, realserver, tmp_path):
    """llama-server's tokens carry whitespace the message lacks; confidence = product of the
    probabilities of the tokens spelling the chosen label (checked against a direct request)."""
    import openai

    from edukit.annotate.aggregate import label_confidence
    from edukit.annotate.client import request_body
    from edukit.corpora.detect import load_items
    from edukit.rubric import load_rubric

    path = bundled("rubrics", "mathdial-moves.yaml")
    data = bundled(*MATHDIAL)
    db, out = tmp_path / "r.sqlite", tmp_path / "out.csv"
    res = run(cli, data, path, realserver, db, "--limit", "3", "--logprobs", "--out", out)
    assert res.code == 0, res.err
    df = pd.read_csv(out, dtype={"item_id": str})
    assert df["confidence"].between(0, 1, inclusive="right").all(), df["confidence"]

    rubric = load_rubric(path)
    req = rubric.requests(load_items(data).iloc[0].to_dict())[0]
    body = request_body("json_schema", req.messages, req.schema_name, req.schema, req.params)
    body["logprobs"] = True
    client = openai.OpenAI(base_url=realserver.base_url, api_key="x")
    choice = client.chat.completions.create(model=realserver.model, **body).choices[0]
    tokens = [(t.token, t.logprob) for t in choice.logprobs.content]
    text = choice.message.content
    assert "".join(t for t, _ in tokens) != text  # the whitespace quirk is real
    value = rubric.decode(req, json.loads(text))[0].value
    # independent: the last run of tokens that spells the value once stripped of quotes/space
    want = None
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens) + 1):
            if "".join(t for t, _ in tokens[i:j]).strip(' \n\t"') == value:
                spelled = [lp for tok, lp in tokens[i:j] if tok.strip(' \n\t"')]
                want = math.exp(sum(spelled))
    assert want is not None
    got = label_confidence(text, rubric.decode(req, json.loads(text)), tokens)
    assert got[rubric.target] == pytest.approx(want)


def test_samples_in_one_request_and_fallback_on_llama_server(cli, realserver, tmp_path):
    path = bundled("rubrics", "mathdial-moves.yaml")
    data = bundled(*MATHDIAL)
    db = tmp_path / "r.sqlite"
    res = run(
        cli,
        data,
        path,
        realserver,
        db,
        "--limit",
        "3",
        "--samples",
        "2",
        "--temperature",
        "0.8",
        "--concurrency",
        "1",
    )
    assert res.code == 0, res.err
    assert "3 requests sent" in res.out and "Warning" not in res.err
    assert len(store(db, "SELECT key FROM responses WHERE status = 'ok'")) == 6
    # llama-server takes n up to its slots (2): n=3 is refused with a 400, learned once
    db3 = tmp_path / "r3.sqlite"
    res = run(
        cli,
        data,
        path,
        realserver,
        db3,
        "--limit",
        "3",
        "--samples",
        "3",
        "--temperature",
        "0.8",
        "--concurrency",
        "1",
    )
    assert res.code == 0, res.err
    assert res.err.count("refused n=3") == 1 and "Field 'n'" in res.err
    assert "10 requests sent" in res.out  # every HTTP call counts: the refused n=3 one too
    assert store(db3, "SELECT DISTINCT status FROM responses") == [("ok",)]


def test_samples_at_temperature_0_warn(cli, realserver, tmp_path):
    path = bundled("rubrics", "mathdial-moves.yaml")
    res = run(
        cli,
        bundled(*MATHDIAL),
        path,
        realserver,
        tmp_path / "r.sqlite",
        "--limit",
        "1",
        "--samples",
        "2",
    )
    assert res.code == 0 and "at temperature 0 gives 2 identical answers" in res.err


def test_max_completion_tokens_for_o_series_on_llama_server(cli, realserver, tmp_path):
    path = bundled("rubrics", "mathdial-moves.yaml")
    db = tmp_path / "r.sqlite"
    res = run(cli, bundled(*MATHDIAL), path, realserver, db, "--limit", "2", model="o3-mini")
    assert res.code == 0, res.err
    assert max(r[0] for r in store(db, "SELECT output_tokens FROM responses")) <= 100


def test_imported_sight_rubric_is_deterministic_on_llama_server(
    cli, realserver, tmp_path, shared_data
):
    rubric = tmp_path / "zs.yaml"
    r = cli(
        "rubric",
        "import-sight",
        shared_data / "sight" / "prompts" / "bin_zeroshot",
        "--out",
        rubric,
    )
    assert r.code == 0, r.err
    raws = []
    for name in ("a", "b"):  # two stores: the second run really sends again
        db = tmp_path / f"{name}.sqlite"
        res = run(cli, bundled(*SIGHT), rubric, realserver, db, "--limit", "2")
        assert res.code == 0 and "0 invalid, 0 API errors" in res.out, res.out
        raws.append(sorted(store(db, "SELECT raw FROM responses")))
    assert raws[0] == raws[1]  # temperature 0 sent (the server's default samples at 0.8)


def test_empty_mathdial_teacher_turns_are_not_sent(cli, shared_data):
    from edukit.corpora.detect import load_items

    path = shared_data / "mathdial" / "test.csv"
    items = load_items(path)
    empty = int((items["text"].fillna("").str.strip() == "").sum())
    assert empty == 13
    rubric = bundled("rubrics", "mathdial-moves.yaml")
    res = cli("annotate", path, "--rubric", rubric, "--model", "gpt-4o-mini", "--dry-run")
    assert res.code == 0, res.err
    assert f"{len(items) - empty} requests" in res.out


def test_quickstart_against_a_refusing_llama_server(cli, realserver_factory, tmp_path):
    server = realserver_factory("--api-key", "right-key")
    res = cli(
        "quickstart",
        "--dir",
        tmp_path / "qs",
        "--quiet",
        "--model",
        "tiny",
        "--base-url",
        server.base_url,
    )
    assert res.code == 2
    assert "refused the API key (401)" in res.err and "Invalid API Key" in res.err
