"""`edukit annotate` and `edukit runs` in process, against the local server."""

from __future__ import annotations

import pandas as pd

from edukit.resources import bundled


def _files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_annotate_sight_sample_with_bundled_rubric(cli, fake_server, tmp_path, kit):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    rubric = bundled("rubrics", "sight.yaml")
    out, db = tmp_path / "ann.csv", tmp_path / "runs.sqlite"
    args = ["annotate", sample, "--rubric", rubric, "--model", "gpt-4o-mini", "--quiet"]
    args += ["--base-url", fake_server.base_url, "--run-db", db, "--out", out, "--limit", "7"]
    r = cli(*args)
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype={"item_id": str})
    assert len(df) == 7 * 9  # nine binary SIGHT labels
    assert len(fake_server.chat_requests) == 63
    from edukit.corpora.detect import load_items
    from edukit.rubric import load_rubric

    expected = kit.expected_rows(load_rubric(rubric), load_items(sample).head(7))
    assert {(r.item_id, r.label): r.value for r in df.itertuples()} == expected
    assert "63 ok, 0 invalid, 0 API errors, 0 pending" in r.out and "Done." in r.out
    # a finished run re-run sends zero requests and writes the same table
    fake_server.reset_log()
    r2 = cli(*args)
    assert r2.code == 0 and fake_server.chat_requests == []
    assert "0 requests sent, 63 answered from the run store" in r2.out
    assert pd.read_csv(out, dtype={"item_id": str}).equals(df)
    # runs list / show / export
    r3 = cli("runs", "list", "--run-db", db)
    assert r3.code == 0 and len(r3.out.strip().splitlines()) == 2 and "\t63\t63\t0\t0\t0" in r3.out
    run_id = r3.out.splitlines()[1].split("\t")[0]
    r4 = cli("runs", "show", run_id[:6], "--run-db", db)
    assert r4.code == 0 and "requests 63: 63 ok" in r4.out and "rubric sight 1.0" in r4.out
    r5 = cli("runs", "export", run_id, "--out", tmp_path / "exp.jsonl", "--run-db", db)
    assert r5.code == 0
    exported = pd.read_json(tmp_path / "exp.jsonl", lines=True, dtype={"item_id": str})
    assert len(exported) == 63 and set(exported["run_id"]) == {run_id}
    # the API key is in no file written
    for f in _files(tmp_path):
        assert kit.secret.encode() not in f.read_bytes(), f


def test_mathdial_teacher_moves(cli, fake_server, tmp_path):
    sample = bundled("datasets", "mathdial", "test.csv")
    rubric = bundled("rubrics", "mathdial-moves.yaml")
    out = tmp_path / "moves.jsonl"
    r = cli(
        "annotate",
        sample,
        "--rubric",
        rubric,
        "--model",
        "m",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        tmp_path / "r.sqlite",
        "--out",
        out,
        "--quiet",
        "--limit",
        "5",
        "--rater",
        "M1",
    )
    assert r.code == 0, r.err
    df = pd.read_json(out, lines=True, dtype={"item_id": str})
    assert len(df) == 5 and set(df["rater"]) == {"M1"}
    assert df["item_id"].str.fullmatch(r"test-\d+:\d+").all()
    assert set(df["value"]) <= {"focus", "probing", "telling", "generic"}


def test_dry_run_sends_nothing(cli, fake_server, tmp_path):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    rubric = bundled("rubrics", "sight.yaml")
    r = cli(
        "annotate",
        sample,
        "--rubric",
        rubric,
        "--model",
        "gpt-4o-mini",
        "--dry-run",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        tmp_path / "r.sqlite",
        "--limit",
        "10",
    )
    assert r.code == 0, r.err
    assert r.out.startswith("Dry run (nothing sent): 90 requests to gpt-4o-mini")
    assert "with the Batch API $" in r.out and "prices checked" in r.out
    assert fake_server.log == [] and not (tmp_path / "r.sqlite").exists()
    # after annotating 4 items, a dry run prices only the 6 items left
    base = ["--base-url", fake_server.base_url, "--run-db", tmp_path / "r.sqlite", "--quiet"]
    args = ["annotate", sample, "--rubric", rubric, "--model", "gpt-4o-mini", *base]
    assert cli(*args, "--limit", "4").code == 0
    r = cli(*args, "--limit", "10", "--dry-run")
    assert r.out.startswith("Dry run (nothing sent): 54 requests to gpt-4o-mini")
    assert "; 36 more already answered in the run store;" in r.out
    # the estimate is calibrated on the answered requests (issue 21 point 5)
    assert "token estimates calibrated on 36 answered requests" in r.out


def test_errors_are_one_line(cli, fake_server, tmp_path, monkeypatch):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    r = cli("annotate", sample, "--model", "gpt-4o-mini")
    assert r.code == 2 and r.err.strip() == "Error: --rubric is required for an LLM model"
    monkeypatch.delenv("OPENAI_API_KEY")
    r = cli(
        "annotate",
        sample,
        "--rubric",
        bundled("rubrics", "sight.yaml"),
        "--model",
        "x",
        "--run-db",
        tmp_path / "r.sqlite",
    )
    assert r.code == 2 and r.err.startswith("Error: no API key: set the environment variable")
    assert not (tmp_path / "r.sqlite").exists()  # nothing is created before the key is found
    from edukit.annotate.store import RunStore

    RunStore(tmp_path / "r.sqlite").close()
    r = cli("runs", "show", "nope", "--run-db", tmp_path / "r.sqlite")
    assert r.code == 2 and "no run 'nope'" in r.err
    r = cli("runs", "list", "--run-db", tmp_path / "missing.sqlite")
    assert r.code == 2 and r.err.startswith("Error: ")
    r = cli(
        "annotate",
        sample,
        "--model",
        "local:tfidf-logreg",
        "--rubric",
        bundled("rubrics", "sight.yaml"),
    )
    assert r.code == 2 and "needs --train FILE and --train-rater NAME" in r.err


def test_local_baseline_through_annotate(cli, tmp_path):
    from edukit.annotations import read_annotations

    sample = bundled("datasets", "sight", "sample_dataset.csv")
    human = read_annotations(sample)
    h1 = human[human["rater"] == "H1"]
    train_ids = sorted(set(h1["item_id"]))[:100]
    train = tmp_path / "train.csv"
    h1[h1["item_id"].isin(train_ids)].to_csv(train, index=False)
    out = tmp_path / "local.csv"
    r = cli(
        "annotate",
        sample,
        "--rubric",
        bundled("rubrics", "sight.yaml"),
        "--model",
        "local:tfidf-logreg",
        "--train",
        train,
        "--train-rater",
        "H1",
        "--out",
        out,
    )
    assert r.code == 0, r.err
    df = pd.read_csv(out, dtype={"item_id": str})
    from edukit.corpora.detect import load_items

    n_items = len(load_items(sample))
    assert set(df["rater"]) == {"local:tfidf-logreg"}
    assert not set(df["item_id"]) & set(train_ids)  # no training item is annotated
    assert df["item_id"].nunique() == n_items - 100
    assert set(df["value"]) <= {0, 1}


def test_wrong_key_stops_with_one_line(
    cli, fake_server, tmp_path, items_csv, monkeypatch, binary_rubric_path
):
    monkeypatch.setenv("MY_KEY", "sk-wrong-key-123")
    r = cli(
        "annotate",
        items_csv,
        "--rubric",
        binary_rubric_path,
        "--model",
        "m",
        "--base-url",
        fake_server.base_url,
        "--api-key-env",
        "MY_KEY",
        "--run-db",
        tmp_path / "r.sqlite",
        "--quiet",
    )
    assert r.code == 2, r.err
    assert r.err.strip().splitlines() == [
        f"Error: {fake_server.base_url}: the endpoint refused the API key (401): bad key"
    ]
    assert len(fake_server.chat_requests) <= 8  # stopped at once, not after every item
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert b"sk-wrong-key-123" not in f.read_bytes()


def test_fake_server_runs_standalone(repo_root):
    import subprocess
    import sys

    from openai import OpenAI

    proc = subprocess.Popen(
        [sys.executable, str(repo_root / "tests/annotate/fake_openai.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
        resp = OpenAI(base_url=base_url, api_key="x").chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "s", "schema": schema, "strict": True},
            },
        )
        assert resp.choices[0].message.content in ('{"ok": true}', '{"ok": false}')
    finally:
        proc.terminate()
        proc.wait()


def test_real_corpora_first_items(cli, fake_server, tmp_path, shared_data):
    """The real SIGHT and MathDial files (../shared/data) through the bundled rubrics."""
    cases = [
        (shared_data / "sight" / "annotations" / "sample_dataset.csv", "sight.yaml", 9),
        (shared_data / "mathdial" / "test.csv", "mathdial-moves.yaml", 1),
    ]
    for n, (path, rubric, per_item) in enumerate(cases):
        out = tmp_path / f"out{n}.csv"
        r = cli(
            "annotate",
            path,
            "--rubric",
            bundled("rubrics", rubric),
            "--model",
            "m",
            "--base-url",
            fake_server.base_url,
            "--run-db",
            tmp_path / "r.sqlite",
            "--limit",
            "6",
            "--out",
            out,
            "--quiet",
        )
        assert r.code == 0, r.err
        df = pd.read_csv(out, dtype={"item_id": str})
        assert len(df) == 6 * per_item and df["item_id"].nunique() == 6
        assert not df["item_id"].str.endswith(".0").any()


def test_model_from_the_rubric_and_endpoint_errors(
    cli, fake_server, tmp_path, items_csv, binary_rubric_path, monkeypatch
):
    """--model defaults to the rubric's; a bad or dead --base-url is one line, exit 2."""
    from edukit.annotate import engine

    rubric = tmp_path / "with-model.yaml"
    rubric.write_text(binary_rubric_path.read_text() + "defaults:\n  model: rubric-model\n")
    db = tmp_path / "r.sqlite"
    base = ["annotate", items_csv, "--run-db", db, "--quiet", "--limit", "2"]
    r = cli(*base, "--rubric", rubric, "--base-url", fake_server.base_url)
    assert r.code == 0, r.err
    assert {b["model"] for b in fake_server.chat_requests} == {"rubric-model"}
    r = cli(*base, "--rubric", binary_rubric_path, "--base-url", fake_server.base_url)
    assert r.code == 2
    assert r.err.strip() == "Error: --model is required (the rubric sets no defaults.model)"
    # a --base-url without a scheme fails at once, before anything is created
    r = cli(
        *base, "--rubric", rubric, "--base-url", "127.0.0.1:8000/v1", "--run-db", tmp_path / "x.db"
    )
    assert r.code == 2 and not (tmp_path / "x.db").exists()
    assert r.err.strip().splitlines() == [
        "Error: --base-url must start with http:// or https:// (got '127.0.0.1:8000/v1'), "
        "for example http://localhost:8000/v1"
    ]
    # a server that is down: one line, exit 2, no traceback; the finished run is kept
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    monkeypatch.setitem(engine.annotate.__kwdefaults__, "max_retries", 1)
    r = cli(*base[:-1], "4", "--rubric", rubric, "--base-url", down)
    assert r.code == 2
    (line,) = r.err.strip().splitlines()
    assert line.startswith(f"Error: {down}: cannot reach the endpoint (")
    assert "check --base-url and that the server is running" in line
    # the same with user info in the URL: the line names the endpoint without it
    secret = down.replace("http://", "http://tutor:SECRETpw42@")
    r = cli(*base[:-1], "4", "--rubric", rubric, "--base-url", secret)
    assert r.code == 2 and r.err.startswith(f"Error: {down}: cannot reach the endpoint (")
    assert "SECRETpw42" not in r.err + r.out and "tutor:" not in r.err
    r = cli("runs", "list", "--run-db", db)
    assert "\t4\t4\t0\t0\t0" in r.out  # the first run: 2 items x 2 labels, all ok


def test_progress_bar_and_quiet(cli, fake_server, tmp_path, items_csv, binary_rubric_path):
    """Without --quiet a progress line (done/total, req/s, tokens, cost, errors, ETA) on stderr."""
    base = ["annotate", items_csv, "--rubric", binary_rubric_path, "--model", "gpt-4o-mini"]
    base += ["--base-url", fake_server.base_url, "--limit", "3"]
    r = cli(*base, "--run-db", tmp_path / "a.sqlite")
    assert r.code == 0, r.err
    bar = r.err.strip().splitlines()[-1]
    assert "annotating" in bar and "6/6" in bar and "req/s" in bar
    assert "tok" in bar and "$0.0" in bar and "0 errors" in bar and "0 invalid" in bar
    assert "0:00:00" in bar  # ETA
    assert "6 ok, 0 invalid, 0 API errors, 0 pending" in r.out  # the final summary
    r = cli(*base, "--run-db", tmp_path / "b.sqlite", "--quiet")
    assert r.code == 0 and r.err == "" and "6 ok" in r.out


def test_a_bad_out_extension_fails_before_any_request(cli, fake_server, tmp_path):
    sample = bundled("datasets", "sight", "sample_dataset.csv")
    r = cli(
        "annotate",
        sample,
        "--rubric",
        bundled("rubrics", "sight.yaml"),
        "--model",
        "m",
        "--base-url",
        fake_server.base_url,
        "--run-db",
        tmp_path / "r.sqlite",
        "--limit",
        "2",
        "--out",
        tmp_path / "ann.xlsx",
        "--quiet",
    )
    assert r.code == 2
    assert (
        r.err.strip() == f"Error: {tmp_path / 'ann.xlsx'}: unknown table format '.xlsx'; "
        "use one of .csv, .jsonl, .parquet"
    )
    assert not fake_server.chat_requests and not (tmp_path / "r.sqlite").exists()
