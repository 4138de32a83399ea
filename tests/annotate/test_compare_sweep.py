"""`edukit compare ITEMS --gold GOLD`: arms run as annotate runs against the fake server."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from edukit.develop.arms import build_arms, read_plan

N_BOOT = "50"


def _gold(kit, n: int, path) -> None:
    """Two humans' 0/1 labels of confusion and gratitude for items 1000..; 3 items per video."""
    items = kit.make_items(n)
    rng = np.random.default_rng(1)
    rows = []
    for i, item in enumerate(items["item_id"]):
        for label in ("confusion", "gratitude"):
            v = int(rng.integers(0, 2))
            for h in ("H1", "H2"):
                w = v if rng.random() < 0.85 else 1 - v
                rows.append(
                    {
                        "item_id": item,
                        "rater": h,
                        "label": label,
                        "value": w,
                        "video_id": f"v{i // 3}",
                    }
                )
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.fixture
def setup(tmp_path, kit, binary_rubric_path, fake_server):
    items = tmp_path / "items.csv"
    kit.make_items(12).to_csv(items, index=False)
    gold = tmp_path / "gold.csv"
    _gold(kit, 12, gold)
    db = tmp_path / "runs.sqlite"

    def args(*extra, models=("m1",), strategies=("zero-shot", "few-shot")):
        out = [
            "compare",
            items,
            "--gold",
            gold,
            "--humans",
            "H1,H2",
            "--rubric",
            binary_rubric_path,
            "--base-url",
            fake_server.base_url,
            "--run-db",
            db,
            "--quiet",
            "--n-boot",
            N_BOOT,
        ]
        for m in models:
            out += ["--model", m]
        for s in strategies:
            out += ["--strategy", s]
        return [*out, *extra]

    return type(
        "S",
        (),
        {
            "items": items,
            "gold": gold,
            "db": db,
            "args": staticmethod(args),
            "server": fake_server,
            "tmp": tmp_path,
            "rubric": binary_rubric_path,
        },
    )


def test_arm_product_and_names(binary_rubric_path, single_rubric_path, tmp_path):
    arms = build_arms(
        [str(binary_rubric_path), str(single_rubric_path)],
        ["m1", "m2"],
        ["zero-shot", "few-shot+reasoning"],
    )
    assert len(arms) == 8
    assert arms[0].name == "tiny/zero-shot/m1"
    assert [a.name for a in arms][:4] == [
        "tiny/zero-shot/m1",
        "tiny/zero-shot/m2",
        "tiny/few-shot+reasoning/m1",
        "tiny/few-shot+reasoning/m2",
    ]
    assert {(a.rubric, a.strategy, a.model) for a in arms} == {
        (str(r), s, m)
        for r in (binary_rubric_path, single_rubric_path)
        for s in ("zero-shot", "few-shot+reasoning")
        for m in ("m1", "m2")
    }
    plan = tmp_path / "sweep.yaml"
    plan.write_text(
        "arms:\n"
        "  - name: cheap\n    strategy: reasoning\n    model: small\n    temperature: 0\n"
        "  - strategy: verify\n    model: big\n    base_url: http://127.0.0.1:9/v1\n"
        "    api_key_env: OTHER_KEY\n    samples: 3\n"
    )
    arms = build_arms([str(binary_rubric_path)], [], [], plan=read_plan(plan))
    assert [a.name for a in arms] == ["cheap", "tiny/verify/big"]
    assert arms[0].temperature == 0 and arms[1].samples == 3
    assert arms[1].api_key_env == "OTHER_KEY" and arms[1].base_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("plan", "extra", "message"),
    [
        ("arms:\n  - model: m\n    colour: red\n", [], "arms.0.colour: Extra inputs"),
        (
            "arms:\n  - name: a\n    model: m\n  - name: a\n    model: n\n",
            [],
            "duplicate arm name 'a'",
        ),
        ("arms:\n  - strategy: few-shot\n", [], "no model for rubric"),
        ("arms:\n  - model: m\n    rubric: no-such-rubric\n", [], "rubric file not found"),
        ("arms:\n  - model: m\n    strategy: many-shot\n", [], "unknown strategy 'many-shot'"),
        ("arms: [\n", [], "invalid YAML"),
        ("arms: &a [*a]\n", [], "plan"),
        # an option that fills no plan arm would be silently ignored
        ("arms:\n  - model: m\n    rubric: sight\n", [], "--rubric"),
        ("arms:\n  - model: m\n", ["--model", "other"], "--model other: no plan arm uses it"),
    ],
)
def test_bad_plans_are_one_error_line(setup, cli, plan, extra, message):
    p = setup.tmp / "plan.yaml"
    p.write_text(plan)
    r = cli(
        "compare",
        setup.items,
        "--gold",
        setup.gold,
        "--humans",
        "H1,H2",
        "--rubric",
        setup.rubric,
        "--plan",
        p,
        "--run-db",
        setup.db,
        *extra,
    )
    assert r.code == 2, r.out + r.err
    assert r.err.count("Error:") == 1 and message in r.err, r.err
    assert "Traceback" not in r.err
    assert not setup.server.chat_requests


def test_gold_without_the_arms_labels_is_one_error(setup, cli, kit):
    g = pd.read_csv(setup.gold).assign(label="other")
    g.to_csv(setup.gold, index=False)
    r = cli(*setup.args())
    assert r.code == 2 and r.err.count("Error:") == 1
    assert "include none of arm" in r.err
    assert not setup.server.chat_requests


def test_missing_model_is_one_error(setup, cli):
    r = cli(*setup.args(models=()))
    assert r.code == 2 and "no model for rubric" in r.err and r.err.count("Error:") == 1


def _dry_numbers(text: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+) requests to \S+, ~([\d,]+) input and ~([\d,]+) output", text)
    return int(m[1]), int(m[2].replace(",", "")), int(m[3].replace(",", ""))


def test_cost_plan_equals_the_sum_of_each_arms_dry_run(setup, cli, tmp_path):
    # "reasoning" of the rubric is the rubric with reasoning on; "few-shot" is the rubric as is
    reasoning = tmp_path / "tiny-reasoning.yaml"
    reasoning.write_text(setup.rubric.read_text() + "output:\n  reasoning: true\n")
    r = cli(
        *setup.args(
            "--dry-run",
            "--json",
            tmp_path / "x.json",
            models=("m1", "m2"),
            strategies=("few-shot", "reasoning"),
        )
    )
    assert r.code == 0, r.err
    assert not setup.server.chat_requests and not setup.db.exists()
    plan = {}
    for line in r.out.splitlines():
        m = re.match(
            r"\s+(\S+): (\d+) items, (\d+) requests to send, ~([\d,]+) input / "
            r"~([\d,]+) output",
            line,
        )
        if m:
            plan[m[1]] = (int(m[3]), int(m[4].replace(",", "")), int(m[5].replace(",", "")))
    total = re.search(r"total: (\d+) requests, ~([\d,]+) input / ~([\d,]+) output", r.out)
    assert len(plan) == 4
    dry = {}
    for model in ("m1", "m2"):
        for strategy, rubric in (("few-shot", setup.rubric), ("reasoning", reasoning)):
            a = cli(
                "annotate",
                setup.items,
                "--rubric",
                rubric,
                "--model",
                model,
                "--base-url",
                setup.server.base_url,
                "--run-db",
                setup.db,
                "--dry-run",
            )
            assert a.code == 0, a.err
            dry[f"tiny/{strategy}/{model}"] = _dry_numbers(a.out)
    assert plan == dry
    sums = tuple(sum(v[i] for v in dry.values()) for i in range(3))
    assert (int(total[1]), int(total[2].replace(",", "")), int(total[3].replace(",", ""))) == sums


def test_sweep_runs_shares_identical_requests_and_resumes(setup, cli, kit):
    # the rubric has no examples: zero-shot and few-shot send identical requests
    out = setup.tmp / "c.json"
    ann = setup.tmp / "arms.csv"
    r = cli(*setup.args("--json", out, "--annotations-out", ann))
    assert r.code == 0, r.err
    assert len(setup.server.chat_requests) == 12 * 2  # 12 items x 2 labels, once for both arms
    j = json.loads(out.read_text())
    assert set(j["arms"]) == {"tiny/zero-shot/m1", "tiny/few-shot/m1"}
    for arm in j["arms"].values():
        for lab in arm["labels"].values():
            assert {
                "human_model_mean",
                "human_human",
                "verdict",
                "f1",
                "accuracy",
                "macro_f1",
                "invalid_rate",
            } <= set(lab)
            assert lab["invalid_rate"]["value"] == 0.0
        assert arm["tokens"]["input"] >= 0
    table = pd.read_csv(ann)
    assert set(table["rater"]) == {"tiny/zero-shot/m1", "tiny/few-shot/m1"}
    assert len(table) == 2 * 12 * 2
    assert j["holdout"] is None  # 12 gold items: no default split
    r = cli(*setup.args())
    assert r.code == 0, r.err
    assert len(setup.server.chat_requests) == 24  # the re-run sends nothing


def test_max_cost_holds_for_the_whole_sweep(setup, cli, set_prices, tmp_path):
    set_prices("m1")
    one = tmp_path / "one.json"
    r = cli(*setup.args("--json", one, strategies=("reasoning",)))
    assert r.code == 0, r.err
    c1 = json.loads(one.read_text())["arms"]["tiny/reasoning/m1"]["cost_usd"]
    assert c1 > 0
    setup.server.reset_log()
    db2 = tmp_path / "two.sqlite"
    two = tmp_path / "two.json"
    args = [
        a if a != setup.db else db2
        for a in setup.args(
            "--max-cost", f"{c1 * 1.5:.2f}", "--json", two, strategies=("reasoning", "zero-shot")
        )
    ]
    r = cli(*args)
    assert r.code == 3, r.out + r.err
    assert "Complete arms: tiny/reasoning/m1" in r.err
    assert "tiny/zero-shot/m1 (" in r.err and "items left" in r.err
    j = json.loads(two.read_text())
    assert list(j["arms"]) == ["tiny/reasoning/m1"]  # only complete arms are compared
    spent = j["arms"]["tiny/reasoning/m1"]["cost_usd"]
    assert spent == pytest.approx(c1)
    # --errors / --baseline naming the arm the stop left incomplete: still exit 3 (work left),
    # not a bad-input error claiming the arm does not exist
    r = cli(*args, "--errors", "tiny/zero-shot/m1", "--out", tmp_path / "e.csv",
            "--baseline", "tiny/zero-shot/m1")  # fmt: skip
    assert r.code == 3, r.out + r.err
    assert "Error:" not in r.err and "the arm is incomplete" in r.err
    assert not (tmp_path / "e.csv").exists()


def test_unknown_errors_or_baseline_arm_is_refused_before_any_request(setup, cli, tmp_path):
    for extra in (["--errors", "nope", "--out", tmp_path / "e.csv"], ["--baseline", "nope"]):
        r = cli(*setup.args(*extra))
        assert r.code == 2 and r.err.count("Error:") == 1 and "'nope' is not an arm" in r.err
    assert not setup.server.chat_requests and not setup.db.exists()


def test_holdout_split_final_looks(setup, cli, kit, tmp_path):
    items = tmp_path / "items60.csv"
    kit.make_items(60).to_csv(items, index=False)
    _gold(kit, 60, setup.gold)
    base = [a if a != setup.items else items for a in setup.args(strategies=("zero-shot",))]
    out1, ann1 = tmp_path / "d1.json", tmp_path / "d1.csv"
    r = cli(*base, "--json", out1, "--annotations-out", ann1)
    assert r.code == 0, r.err
    h = json.loads(out1.read_text())["holdout"]
    assert h["fraction"] == 0.3 and h["n_items"] == 60 and h["n_held_out"] >= 18
    assert h["group_col"] == "video_id" and h["final_looks"] == 0
    import sqlite3

    with sqlite3.connect(setup.db) as db:
        held = set(json.loads(db.execute("SELECT held_out FROM compare_splits").fetchone()[0]))
    assert len(held) == h["n_held_out"]
    # whole videos are held out (3 items each)
    videos = pd.read_csv(setup.gold).drop_duplicates("item_id").set_index("item_id")["video_id"]
    for v in {videos[int(i)] for i in held}:
        assert set(videos[videos == v].index.astype(str)) <= held
    dev_rated = set(pd.read_csv(ann1)["item_id"].astype(str))
    assert dev_rated and not dev_rated & held  # never shown in development
    sent = len(setup.server.chat_requests)
    assert sent == 2 * (60 - len(held))
    # stable: the same split again (nothing new sent)
    r = cli(*base, "--json", out1)
    assert json.loads(out1.read_text())["holdout"]["split_id"] == h["split_id"]
    assert len(setup.server.chat_requests) == sent
    # final look: held-out items only, counted
    fin, fin_ann, md = tmp_path / "f.json", tmp_path / "f.csv", tmp_path / "f.md"
    r = cli(*base, "--final", "tiny/zero-shot/m1", "--json", fin, "--annotations-out", fin_ann)
    assert r.code == 0, r.err
    jf = json.loads(fin.read_text())["holdout"]
    assert jf["final_looks"] == 1 and jf["evaluated_on"] == "held-out"
    assert set(pd.read_csv(fin_ann)["item_id"].astype(str)) == held
    r = cli(*base, "--final", "tiny/zero-shot/m1", "--json", fin, "--markdown", md)
    assert json.loads(fin.read_text())["holdout"]["final_looks"] == 2
    assert "looked at 2 times" in md.read_text() and "looked at 2 times" in r.out


def test_errors_table(setup, cli, tmp_path, kit, binary_rubric):
    errs, out = tmp_path / "errors.csv", tmp_path / "e.json"
    r = cli(
        *setup.args(
            "--errors",
            "tiny/zero-shot/m1",
            "--out",
            errs,
            "--json",
            out,
            strategies=("zero-shot",),
        )
    )
    assert r.code == 0, r.err
    t = pd.read_csv(errs)
    assert {"item_id", "label", "text", "H1", "H2", "reference", "tiny/zero-shot/m1"} <= set(t)
    assert (t["reference"] != t["tiny/zero-shot/m1"]).all()
    assert (t["H1"] == t["H2"]).all()  # a majority of two humans is their agreement
    # one row per disagreement: (1 - accuracy) x the items with a human majority, per label
    labels = json.loads(out.read_text())["arms"]["tiny/zero-shot/m1"]["labels"]
    for label, v in labels.items():
        acc = v["accuracy"]
        assert (t["label"] == label).sum() == round(acc["n"] * (1 - acc["value"]))
    # independently: the humans' agreed labels against what the fake server answers
    answers = kit.expected_rows(binary_rubric, kit.make_items(12))
    g = pd.read_csv(setup.gold).pivot_table(
        index=["item_id", "label"], columns="rater", values="value"
    )
    agreed = g[g["H1"] == g["H2"]]["H1"]
    wrong = {(str(i), lab) for (i, lab), ref in agreed.items() if ref != answers[(str(i), lab)]}
    assert wrong and set(zip(t["item_id"].astype(str), t["label"], strict=True)) == wrong


def test_verify_is_a_recorded_and_costed_second_pass(setup, cli, set_prices, tmp_path):
    from edukit.develop.verify import REVIEW

    set_prices("m1")
    out = tmp_path / "v.json"
    r = cli(*setup.args("--json", out, strategies=("verify",)))
    assert r.code == 0, r.err
    assert "tiny/verify/m1: 12 items, 48 requests to send" in r.out  # both passes planned
    bodies = setup.server.chat_requests
    assert len(bodies) == 48
    reviews = [b for b in bodies if b["messages"][-1]["content"] == REVIEW]
    assert len(reviews) == 24
    for b in reviews:
        assert b["messages"][-2]["role"] == "assistant"
        json.loads(b["messages"][-2]["content"])  # the first pass's own answer
    import sqlite3

    with sqlite3.connect(setup.db) as db:
        runs = dict(db.execute("SELECT rater, id FROM runs").fetchall())
        spent = {
            rater: db.execute(
                "SELECT SUM(input_tokens) FROM attempts WHERE run_id = ?", (rid,)
            ).fetchone()[0]
            for rater, rid in runs.items()
        }
    assert set(runs) == {"tiny/verify/m1 (first pass)", "tiny/verify/m1"}
    arm = json.loads(out.read_text())["arms"]["tiny/verify/m1"]
    assert arm["tokens"]["input"] == sum(spent.values())
    assert arm["cost_usd"] == pytest.approx(sum(spent.values()))  # $1 per input token
    assert spent["tiny/verify/m1"] > spent["tiny/verify/m1 (first pass)"]  # longer prompts
    setup.server.reset_log()
    r = cli(*setup.args(strategies=("verify",)))
    assert r.code == 0 and not setup.server.chat_requests
    assert "tiny/verify/m1: 12 items, 0 requests to send" in r.out


def test_ctrl_c_stops_the_sweep_with_130_and_resumes(setup, cli, kit, repo_root):
    import os
    import signal
    import subprocess
    import sys
    import time

    server = kit.fake.FakeOpenAI(api_key=kit.secret, latency=0.3).start()
    try:
        args = [
            a if a != setup.server.base_url else server.base_url
            for a in setup.args("--concurrency", "2", strategies=("zero-shot", "reasoning"))
        ]
        proc = subprocess.Popen(
            [sys.executable, str(repo_root / "cli.py"), *map(str, args)],
            env={**os.environ, "OPENAI_API_KEY": kit.secret},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while len(server.chat_requests) < 4:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        assert "Stopped: interrupted. Complete arms: none." in out + err
        assert "Traceback" not in err
        sent = len(server.chat_requests)
        assert sent < 48
        r = cli(*args)
        assert r.code == 0, r.err
        assert len(server.chat_requests) < 48 + 4  # only what was in flight is sent twice
    finally:
        server.stop()


def test_gold_for_other_items_is_one_error(setup, cli):
    g = pd.read_csv(setup.gold)
    g["item_id"] = g["item_id"] + 5000
    g.to_csv(setup.gold, index=False)
    r = cli(*setup.args())
    assert r.code == 2 and r.err.count("Error:") == 1
    assert "none of the 12 development gold items is among the items" in r.err
    assert not setup.server.chat_requests


def test_base_url_credentials_never_stored_or_written(setup, cli, tmp_path):
    """User info in --base-url is used for the requests, never kept in the run store, the
    recorded command line or a report (the rule annotate follows, issue 22 point 7)."""
    import sqlite3

    import fake_openai

    server = fake_openai.FakeOpenAI(api_key=None).start()
    try:
        args = setup.args()
        url = server.base_url.replace("http://", "http://tutor:SECRETpw42@")
        args[args.index(setup.server.base_url)] = url
        outs = [tmp_path / "c.json", tmp_path / "c.md", tmp_path / "c.html"]
        r = cli(*args, "--json", outs[0], "--markdown", outs[1], "--report", outs[2])
        assert r.code == 0, r.err
        assert server.chat_requests  # the run went to this server
        dump = "\n".join(sqlite3.connect(setup.db).iterdump())
        for place in (r.out, r.err, dump, *(p.read_text() for p in outs)):
            assert "SECRETpw42" not in place and "tutor:" not in place
        assert server.base_url.removeprefix("http://") in outs[1].read_text()
    finally:
        server.stop()
