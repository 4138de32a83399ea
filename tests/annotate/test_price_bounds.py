"""Issue 21, point 11: a price file with inf, nan or an absurd price is refused (one line naming
the file and the key, exit 2, nothing sent), so --max-cost cannot send everything at $inf."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-1", "1000000.5"])
def test_an_unbounded_price_is_one_error_naming_file_and_key(
    cli, kit, fake_server, tmp_path, monkeypatch, binary_rubric_path, value
):
    cfg = tmp_path / "cfg" / "edukit"
    cfg.mkdir(parents=True)
    prices = cfg / "prices.toml"
    prices.write_text(f'[models."fake-model"]\ninput = 0.5\noutput = {value}\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    items = tmp_path / "items.csv"
    kit.make_items(3).to_csv(items, index=False)
    args = kit.annotate_args(items, binary_rubric_path, fake_server, tmp_path / "r.sqlite")
    r = cli(*args, "--max-cost", "5")
    assert r.code == 2, r.out
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {prices}:3: key 'models.fake-model."), (
        r.err
    )
    assert "output" in lines[0] and "Traceback" not in r.err
    assert fake_server.chat_requests == [] and "$inf" not in r.out


def test_the_bound_is_kept_by_the_library():
    from edukit.annotate.cost import MAX_PRICE, ModelPrice

    assert ModelPrice(input=MAX_PRICE, output=0).input == MAX_PRICE
    with pytest.raises(ValueError):
        ModelPrice(input=float("inf"), output=0)
