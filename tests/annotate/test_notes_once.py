"""Issue 21, point 9: what a run learns about its server is said once per run, not per worker."""

from __future__ import annotations


def test_a_refused_n_is_noted_once_with_many_workers(cli, kit, tmp_path, binary_rubric_path):
    server = kit.fake.FakeOpenAI(api_key=kit.secret, quirks={"refuse_n"}, latency=0.05).start()
    try:
        items = tmp_path / "items.csv"
        kit.make_items(8).to_csv(items, index=False)
        r = cli(
            *kit.annotate_args(items, binary_rubric_path, server, tmp_path / "r.sqlite"),
            "--samples", "3", "--temperature", "0.8", "--concurrency", "8",
        )  # fmt: skip
        assert r.code == 0, r.err
        assert r.err.count("refused n=3") == 1, r.err
        # every worker met the refusal (they started together), yet it was learned once
        assert sum(1 for b in server.chat_requests if b.get("n") == 3) > 1
    finally:
        server.stop()


def test_llama_servers_refusal_of_n_is_noted_once_with_many_workers(cli, realserver, tmp_path):
    from edukit.resources import bundled

    r = cli(
        "annotate", bundled("datasets", "mathdial", "test.csv"), "--rubric", "mathdial-moves",
        "--model", realserver.model, "--base-url", realserver.base_url,
        "--run-db", tmp_path / "r.sqlite", "-q", "--limit", "4", "--samples", "3",
        "--temperature", "0.8", "--concurrency", "4",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.err.count("refused n=3") == 1 and "Field 'n'" in r.err, r.err
