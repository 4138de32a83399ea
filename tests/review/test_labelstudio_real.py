"""Round trip through a real Label Studio 1.23 server (issue 24).

edukit exports tasks with the models' predictions and a labeling configuration; the test creates
a project from that configuration, imports the tasks, posts two annotators' answers through the
API as the web page does (POST /api/tasks/ID/annotations/, with lead_time; a skip is an
annotation with was_cancelled), exports the project as JSON (the "JSON" export type), imports
the export into edukit and checks the labels, the cancelled count and `agree` against an
independent Cohen's kappa (scikit-learn).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.metrics import cohen_kappa_score

MOVES = ("focus", "probing", "telling", "generic")


def _answer(item_id: str, who: int) -> str:
    # made-up answers, different per annotator but related (so kappa is neither 0 nor 1)
    h = sum(map(ord, item_id))
    return MOVES[h % 4] if who == 0 or h % 3 else MOVES[(h + 1) % 4]


def test_label_studio_round_trip(label_studio, mathdial_models, tmp_path, cli):
    models_path, models = mathdial_models
    tasks_path = tmp_path / "review" / "tasks.json"
    r = cli(
        "review", "export", models_path, "--items", "sample:mathdial", "--rubric",
        "mathdial-moves", "--format", "label-studio", "--out", tasks_path,
        "--select", "low-confidence:6,random:6", "--seed", "7",
    )  # fmt: skip
    assert r.code == 0, r.err
    config = (tmp_path / "review" / "tasks.xml").read_text()
    exported = json.loads(tasks_path.read_text())
    assert len(exported) == 12

    url = label_studio.url
    a = label_studio.user("coder-a@example.org", "review-pass-a1")
    b = label_studio.user("coder-b@example.org", "review-pass-b2")
    ids = {
        k: requests.get(f"{url}/api/current-user/whoami", headers=h, timeout=30).json()["id"]
        for k, h in (("a", a), ("b", b))
    }
    r = requests.post(
        f"{url}/api/projects/",
        headers=a,
        json={"title": "edukit review", "label_config": config},
        timeout=60,
    )
    assert r.status_code == 201, r.text  # Label Studio accepts the generated configuration
    project = r.json()["id"]
    r = requests.post(f"{url}/api/projects/{project}/import", headers=a, json=exported, timeout=60)
    assert r.status_code == 201, r.text
    assert r.json()["task_count"] == 12 and r.json()["prediction_count"] == 24

    # every exported item is a task carrying each model's prediction and confidence
    tasks = requests.get(
        f"{url}/api/tasks/?project={project}&page_size=100", headers=a, timeout=60
    ).json()["tasks"]
    by_item = {t["data"]["item_id"]: t["id"] for t in tasks}
    assert set(by_item) == {t["data"]["item_id"] for t in exported}
    preds = requests.get(f"{url}/api/predictions/?project={project}", headers=a, timeout=60).json()
    task_item = {v: k for k, v in by_item.items()}
    got = {(task_item[p["task"]], p["model_version"]): p for p in preds}
    for row in models[models["item_id"].isin(set(by_item))].itertuples():
        p = got[(row.item_id, row.rater)]
        assert p["score"] == pytest.approx(row.confidence)
        assert p["result"][0]["value"]["choices"] == [row.value]
        assert p["result"][0]["from_name"] == "move" and p["result"][0]["type"] == "choices"

    # two annotators answer as the web page does; b skips (cancels) two tasks
    posted = {}
    cancelled = sorted(by_item)[:2]
    for who, headers in (("a", a), ("b", b)):
        for item, task in by_item.items():
            if who == "b" and item in cancelled:
                body = {"result": [], "was_cancelled": True, "lead_time": 1.5}
            else:
                value = _answer(item, 0 if who == "a" else 1)
                posted[(item, f"label-studio-user-{ids[who]}")] = value
                body = {
                    "result": [
                        {
                            "id": f"r{task}{who}",
                            "from_name": "move",
                            "to_name": "text",
                            "type": "choices",
                            "origin": "manual",
                            "value": {"choices": [value]},
                        }
                    ],
                    "lead_time": 4.25,
                }
            r = requests.post(
                f"{url}/api/tasks/{task}/annotations/", headers=headers, json=body, timeout=60
            )
            assert r.status_code == 201, r.text

    r = requests.get(f"{url}/api/projects/{project}/export?exportType=JSON", headers=a, timeout=120)
    r.raise_for_status()
    export = tmp_path / "export.json"
    export.write_bytes(r.content)

    labels = tmp_path / "labels.csv"
    r = cli(
        "review", "import", export, "--format", "label-studio", "--rubric", "mathdial-moves",
        "--out", labels, "--selection", tmp_path / "review" / "tasks.selection.csv",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "2 cancelled" in r.out
    table = pd.read_csv(labels, dtype={"value": str})
    cols = (table["item_id"], table["rater"], table["value"])
    got = {(i, rt): v for i, rt, v in zip(*cols, strict=True)}
    assert got == posted  # exactly what was posted; the cancelled tasks are absent
    assert set(table["source"]) == {"label-studio"}
    assert (table["lead_time"] == 4.25).all()
    selection = pd.read_csv(tmp_path / "review" / "tasks.selection.csv")
    rules = dict(zip(selection["item_id"], selection["rule"], strict=True))
    cols = (table["item_id"], table["selection_rule"])
    assert all(rules[i] == r for i, r in zip(*cols, strict=True))

    # agree on the imported coders equals Cohen's kappa computed independently
    ra, rb = (f"label-studio-user-{ids[k]}" for k in "ab")
    out = tmp_path / "agree.json"
    r = cli(
        "agree", labels, models_path, "--humans", f"{ra},{rb}", "--models", "model-a",
        "--n-boot", "0", "--json", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    result = json.loads(out.read_text())["labels"]["move"]
    both = sorted(set(i for i, w in posted if w == ra) & set(i for i, w in posted if w == rb))
    expected = cohen_kappa_score([posted[(i, ra)] for i in both], [posted[(i, rb)] for i in both])
    assert result["human_human"]["n"] == len(both) == 10
    assert result["human_human"]["value"] == pytest.approx(expected)
    assert np.isfinite(expected)


SIGHT_LABELS = [
    "general", "confusion", "pedagogy", "setup", "gratitude",
    "personal_experience", "clarification", "non_english", "na",
]  # fmt: skip


def test_label_studio_multiple_choice_round_trip(label_studio, tmp_path, cli):
    """A multi-label rubric: one multiple-choice block, the choices become 0/1 per label."""
    from edukit.annotations import read_annotations

    ann = read_annotations("sample:sight", prompts="sample:sight-prompts")
    models = tmp_path / "model.csv"
    ann[ann["rater"] == "openaichat"].to_csv(models, index=False)
    tasks_path = tmp_path / "tasks.json"
    r = cli(
        "review", "export", models, "--items", "sample:sight", "--rubric", "sight-joint",
        "--format", "label-studio", "--out", tasks_path, "--select", "random:5",
    )  # fmt: skip
    assert r.code == 0, r.err
    url = label_studio.url
    h = label_studio.user("coder-multi@example.org", "review-pass-m3")
    me = requests.get(f"{url}/api/current-user/whoami", headers=h, timeout=30).json()["id"]
    config = (tmp_path / "tasks.xml").read_text()
    r = requests.post(
        f"{url}/api/projects/", headers=h, json={"title": "sight joint", "label_config": config},
        timeout=60,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    project = r.json()["id"]
    exported = json.loads(tasks_path.read_text())
    r = requests.post(f"{url}/api/projects/{project}/import", headers=h, json=exported, timeout=60)
    assert r.status_code == 201, r.text
    tasks = requests.get(
        f"{url}/api/tasks/?project={project}&page_size=100", headers=h, timeout=60
    ).json()["tasks"]
    expected = {}
    for t in tasks:
        item = t["data"]["item_id"]
        chosen = SIGHT_LABELS[sum(map(ord, item)) % 9 :: 4]
        body = {
            "result": [
                {
                    "from_name": "sight-joint",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": chosen},
                }
            ],
            "lead_time": 2.0,
        }
        r = requests.post(f"{url}/api/tasks/{t['id']}/annotations/", headers=h, json=body,
                          timeout=60)  # fmt: skip
        assert r.status_code == 201, r.text
        for label in SIGHT_LABELS:
            expected[(item, label)] = int(label in chosen)
    r = requests.get(f"{url}/api/projects/{project}/export?exportType=JSON", headers=h, timeout=120)
    r.raise_for_status()
    export = tmp_path / "export.json"
    export.write_bytes(r.content)
    labels = tmp_path / "labels.csv"
    r = cli("review", "import", export, "--format", "label-studio", "--rubric", "sight-joint",
            "--out", labels)  # fmt: skip
    assert r.code == 0, r.err
    got = read_annotations(labels)
    assert set(got["rater"]) == {f"label-studio-user-{me}"}
    cols = (got["item_id"], got["label"])
    assert dict(zip(zip(*cols, strict=True), got["value"], strict=True)) == expected
