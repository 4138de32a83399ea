"""The engine against the local server: values, provenance, samples, logprobs, the ladder."""

from __future__ import annotations

import math

import pytest

from edukit.annotate.engine import annotate, request_key


def _run(items, rubric, server, tmp_path, **kw):
    kw.setdefault("quiet", True)
    return annotate(
        items,
        rubric,
        "fake-model",
        base_url=server.base_url,
        run_db=tmp_path / "runs.sqlite",
        **kw,
    )


def test_values_equal_what_the_server_answered(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(10)
    res = _run(items, binary_rubric, fake_server, tmp_path)
    df = res.annotations
    assert len(df) == 20  # 10 items x 2 binary labels
    got = {(r.item_id, r.label): r.value for r in df.itertuples()}
    assert got == kit.expected_rows(binary_rubric, items)
    assert set(df["value"]) <= {0, 1} and len(set(df["value"])) == 2
    assert res.counts == {"ok": 20, "invalid": 0, "api_error": 0, "pending": 0}
    assert res.sent == 20 and len(fake_server.chat_requests) == 20
    # provenance
    assert set(df["rater"]) == {"fake-model"} and set(df["model"]) == {"fake-model"}
    assert dict(zip(df["label"], df["version"], strict=False)) == {
        "confusion": "c1",
        "gratitude": "1",
    }
    assert set(df["rubric"]) == {"tiny"} and set(df["rubric_hash"]) == {binary_rubric.hash}
    assert set(df["run_id"]) == {res.run_id} and set(df["sample"]) == {0}
    assert list(df.columns[:5]) == ["item_id", "rater", "label", "value", "version"]
    # strict json_schema was sent
    fmt = fake_server.chat_requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True


def test_single_choice_with_reasoning_and_rater(single_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(8)
    res = _run(items, single_rubric, fake_server, tmp_path, rater="gpt-test")
    df = res.annotations
    assert len(df) == 8 and set(df["label"]) == {"move"} and set(df["rater"]) == {"gpt-test"}
    assert {(r.item_id, r.label): r.value for r in df.itertuples()} == kit.expected_rows(
        single_rubric, items
    )
    assert set(df["reasoning"]) == {"Reasoning about reasoning."}
    assert set(df["version"]) == {"2"}


def test_ladder_falls_back_and_remembers(binary_rubric, tmp_path, kit):
    server = kit.fake.FakeOpenAI(api_key=kit.secret, json_schema=False).start()
    try:
        items = kit.make_items(6)
        res = _run(items, binary_rubric, server, tmp_path, concurrency=1)
        got = {(r.item_id, r.label): r.value for r in res.annotations.itertuples()}
        assert got == kit.expected_rows(binary_rubric, items)
        kinds = [(b.get("response_format") or {}).get("type") for b in server.chat_requests]
        # one rejected json_schema request, then json_object for all 12 (remembered)
        assert kinds == ["json_schema"] + ["json_object"] * 12
        assert [s for _, _, s in server.log].count(400) == 1
    finally:
        server.stop()


def test_ladder_reaches_plain_text(single_rubric, tmp_path, kit):
    server = kit.fake.FakeOpenAI(api_key=kit.secret, json_schema=False, json_object=False)
    server.start()
    try:
        items = kit.make_items(5)
        res = _run(items, single_rubric, server, tmp_path, concurrency=1)
        got = {(r.item_id, r.label): r.value for r in res.annotations.itertuples()}
        assert got == kit.expected_rows(single_rubric, items)
        kinds = [(b.get("response_format") or {}).get("type") for b in server.chat_requests]
        assert kinds == ["json_schema", "json_object"] + [None] * 5
    finally:
        server.stop()


def test_self_consistency_samples_are_distinct_keys(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(4)
    res = _run(items, binary_rubric, fake_server, tmp_path, samples=3)
    # 4 items x 2 labels, each one request for its 3 samples (n=3; the server supports n)
    assert [b.get("n") for b in fake_server.chat_requests] == [3] * 8
    df = res.annotations
    assert len(df) == 8
    # the fake server is deterministic, so every sample agrees: vote share 1.0
    assert set(df["confidence"]) == {1.0}
    req = binary_rubric.requests(next(iter(items.to_dict("records"))))[0]
    keys = {request_key("fake-model", req, s) for s in range(3)}
    assert len(keys) == 3


def test_logprob_confidence(binary_rubric_path, fake_server, tmp_path, kit):
    from edukit.rubric import load_rubric

    rubric = load_rubric(binary_rubric_path)
    items = kit.make_items(3)
    reqs = [r for it in items.to_dict("records") for r in rubric.requests(it)]
    # ask for logprobs through the request parameters
    patched = type(rubric)
    orig = patched.requests

    def requests(self, item):
        from dataclasses import replace

        return [replace(r, params={**r.params, "logprobs": True}) for r in orig(self, item)]

    try:
        patched.requests = requests
        res = _run(items, rubric, fake_server, tmp_path)
    finally:
        patched.requests = orig
    assert all(b.get("logprobs") is True for b in fake_server.chat_requests)
    # the value (true/false) is one token with logprob -0.1
    assert res.annotations["confidence"].tolist() == pytest.approx(
        [math.exp(kit.fake.TOKEN_LOGPROB)] * len(reqs)
    )


def test_identical_prompts_are_sent_once(binary_rubric, fake_server, tmp_path, kit):
    items = kit.make_items(4)
    dup = items.copy()
    dup["item_id"] = dup["item_id"] + "-copy"  # same texts under other ids
    both = __import__("pandas").concat([items, dup], ignore_index=True)
    res = _run(both, binary_rubric, fake_server, tmp_path, concurrency=8)
    assert len(fake_server.chat_requests) == 8  # 4 texts x 2 labels, not 16
    df = res.annotations
    assert len(df) == 16
    got = {(r.item_id, r.label): r.value for r in df.itertuples()}
    assert got == kit.expected_rows(binary_rubric, both)


def test_progress_callback_sees_every_request(binary_rubric, fake_server, tmp_path, kit):
    seen = []
    _run(kit.make_items(3), binary_rubric, fake_server, tmp_path, progress=seen.append)
    assert [s["done"] for s in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[-1]["total"] == 6 and seen[-1]["sent"] == 6 and seen[-1]["errors"] == 0
    assert seen[-1]["input_tokens"] > 0 and seen[-1]["output_tokens"] > 0


def test_works_inside_a_running_event_loop(binary_rubric, fake_server, tmp_path, kit):
    import asyncio

    async def notebook_cell():  # Jupyter runs cells inside an event loop
        return _run(kit.make_items(2), binary_rubric, fake_server, tmp_path)

    res = asyncio.run(notebook_cell())
    assert res.counts["ok"] == 4 and len(res.annotations) == 4


@pytest.mark.parametrize("quirks", [(), ("no_n",)])
def test_self_consistency_majority_and_vote_share(binary_rubric, tmp_path, kit, quirks):
    """A server whose samples disagree (seeded): the majority value wins with its vote share.

    With `n` the K samples of a request come in one request; a server that ignores `n` gets
    the missing samples asked one by one.
    """
    from collections import Counter

    seed, k = 7, 3
    server = kit.fake.FakeOpenAI(api_key=kit.secret, vary_seed=seed, quirks=quirks).start()
    try:
        items = kit.make_items(12)
        res = _run(items, binary_rubric, server, tmp_path, samples=k, concurrency=4)
    finally:
        server.stop()
    if quirks:
        assert len(server.chat_requests) == 12 * 2 * k
    else:
        assert [b.get("n") for b in server.chat_requests] == [k] * 12 * 2
    expected = {}
    for item in items.to_dict("records"):
        for req in binary_rubric.requests(item):
            (label,) = req.labels
            answers = [
                binary_rubric.decode(
                    req, kit.fake.expected_answer(req.messages, req.schema, seed=seed, ask=a)
                )[0].value
                for a in range(k)
            ]
            value, votes = Counter(answers).most_common(1)[0]
            expected[(req.item_id, label)] = (value, votes / k)
    df = res.annotations
    got = {(r.item_id, r.label): (r.value, r.confidence) for r in df.itertuples()}
    assert {key: v for key, (v, _) in got.items()} == {key: v for key, (v, _) in expected.items()}
    assert {key: c for key, (_, c) in got.items()} == pytest.approx(
        {key: c for key, (_, c) in expected.items()}
    )
    # the samples really disagreed somewhere: a majority of 2 out of 3, not unanimity
    shares = sorted(c for _, c in got.values())
    assert shares[0] == pytest.approx(2 / 3) and shares[-1] == 1.0
    # and the default server still answers every sample the same
    assert kit.fake.FakeOpenAI().vary_seed is None


def test_model_defaults_to_the_rubrics(binary_rubric_path, fake_server, tmp_path, kit):
    from edukit.errors import AnnotationError
    from edukit.rubric import load_rubric

    text = binary_rubric_path.read_text() + "defaults:\n  model: rubric-model\n  temperature: 0\n"
    with_model = tmp_path / "with-model.yaml"
    with_model.write_text(text)
    rubric = load_rubric(with_model)
    items = kit.make_items(2)
    res = annotate(
        items, rubric, None, base_url=fake_server.base_url, run_db=tmp_path / "a.sqlite", quiet=True
    )
    assert {b["model"] for b in fake_server.chat_requests} == {"rubric-model"}
    assert set(res.annotations["rater"]) == {"rubric-model"}
    assert set(res.annotations["model"]) == {"rubric-model"}
    # --model overrides it: the overriding model is sent, never the rubric's
    fake_server.reset_log()
    annotate(
        items,
        rubric,
        "other",
        base_url=fake_server.base_url,
        run_db=tmp_path / "b.sqlite",
        quiet=True,
    )
    assert {b["model"] for b in fake_server.chat_requests} == {"other"}
    # the rubric's default model is not part of the request key: only the model asked is
    req = rubric.requests(items.to_dict("records")[0])[0]
    assert req.params.get("model") == "rubric-model"
    from dataclasses import replace

    bare = replace(req, params={k: v for k, v in req.params.items() if k != "model"})
    assert request_key("other", req, 0) == request_key("other", bare, 0)
    assert request_key("other", req, 0) != request_key("rubric-model", req, 0)
    # no model anywhere: a one-line error
    with pytest.raises(AnnotationError, match="--model is required"):
        annotate(items, load_rubric(binary_rubric_path), None, run_db=tmp_path / "c.sqlite")


def test_a_run_that_raises_releases_its_leases_for_the_next_run_in_this_process(
    binary_rubric, fake_server, tmp_path, kit
):
    """A run ending with an exception gives up the leases of the requests it had claimed: a
    second run in the same process (a notebook's next cell) sends them at once, instead of
    waiting out the lease (its own pid looks alive, so only the expiry would free them)."""
    import threading
    import time

    items = kit.make_items(12)

    class Boom(Exception):
        pass

    def fail_on_the_third(stats):
        if stats["done"] >= 3:
            raise Boom("the caller's callback failed mid-way")

    with pytest.raises(Boom):
        _run(items, binary_rubric, fake_server, tmp_path, concurrency=6, progress=fail_on_the_third)
    sent_before = len(fake_server.chat_requests)
    assert 3 <= sent_before < 24  # it stopped mid-way, with requests in flight

    result = {}
    second = threading.Thread(
        target=lambda: result.update(res=_run(items, binary_rubric, fake_server, tmp_path)),
        daemon=True,  # a held lease would block it for the lease's lifetime (about 21 minutes)
    )
    started = time.monotonic()
    second.start()
    second.join(timeout=30)
    assert not second.is_alive(), "the second run waits for a lease the first never released"
    assert time.monotonic() - started < 15
    res = result["res"]
    assert res.items_left == 0 and res.counts["ok"] == 24
    got = {(r.item_id, r.label): r.value for r in res.annotations.itertuples()}
    assert got == kit.expected_rows(binary_rubric, items)
