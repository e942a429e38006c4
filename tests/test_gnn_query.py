"""The pools' query option (``pool_query``, issue 18): what it changes in a layer, in a model and in fit."""

from __future__ import annotations

import json

import pytest
import torch

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.nn.gnn import RelationalLayer
from relpool.train.options import parse_pool_options

EDGE = ("rows", "of", "owners")
QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=16, fanout=(8, 4), epochs=2, max_steps=3, batch_size=64, step="1 days")


def _layers() -> dict[str, RelationalLayer]:
    torch.manual_seed(0)
    layers = {
        q: RelationalLayer(["rows", "owners"], [EDGE], 4, "adaptive", query=q) for q in ("state", "input", "both")
    }
    for layer in layers.values():
        layer.load_state_dict(layers["state"].state_dict())
    return layers


def _batch(seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = {"rows": torch.randn(5, 4, generator=gen), "owners": torch.randn(2, 4, generator=gen)}
    return x, {EDGE: torch.tensor([[0, 1, 2, 3, 4], [0, 0, 0, 1, 1]])}


def test_an_input_query_attends_by_the_layer0_input_not_the_state():
    layers, (x, index) = _layers(), _batch(0)
    inputs = {"rows": x["rows"], "owners": _batch(1)[0]["owners"]}
    by_state = layers["state"].attention(x, index)[EDGE]
    by_input = layers["input"].attention(x, index, inputs)[EDGE]
    torch.testing.assert_close(by_input, layers["state"].attention(inputs, index)[EDGE])  # the query alone moved
    assert (by_input - by_state).abs().max() > 1e-3
    moved = {"rows": x["rows"], "owners": x["owners"] + 5.0}  # the owners' state changes, their inputs do not
    torch.testing.assert_close(layers["input"].attention(moved, index, inputs)[EDGE], by_input)
    summed = {"rows": x["rows"], "owners": x["owners"] + inputs["owners"]}
    torch.testing.assert_close(
        layers["both"].attention(x, index, inputs)[EDGE], layers["state"].attention(summed, index)[EDGE]
    )


def test_in_the_first_layer_every_query_is_the_state_query():
    layers, (x, index) = _layers(), _batch(0)
    expected = layers["state"](x, index)
    assert torch.equal(layers["input"](x, index, x)["owners"], expected["owners"])
    assert not torch.equal(layers["both"](x, index, x)["owners"], expected["owners"])  # 2 x the state


def test_an_input_query_without_the_inputs_is_refused():
    layers, (x, index) = _layers(), _batch(0)
    with pytest.raises(ValueError, match="layer-0 inputs"):
        layers["input"](x, index)
    with pytest.raises(ValueError, match="query must be one of"):
        RelationalLayer(["rows"], [], 4, "adaptive", query="taste")


def test_fit_stores_the_query_and_an_older_model_without_it_loads(shop_db, tmp_path):
    out = tmp_path / "m"
    options = {"init": "identity"}
    model = relpool.fit(
        shop_db, QUERY, out, pool_query="input", pool_options=options, text_embedder=HashingEmbedder(8), **TINY
    )
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["pool_query"] == "input" and config["options"]["pool_query"] == "input"
    recorded = {"heads": 4, **options}  # fit's default heads beside the option given
    assert config["model"]["pool_options"] == recorded and config["options"]["pool_options"] == recorded
    assert relpool.Model.load(out).evaluate(shop_db) == model.evaluate(shop_db)
    plain = tmp_path / "plain"  # as older versions trained it: one head, and no option recorded
    relpool.fit(shop_db, QUERY, plain, text_embedder=HashingEmbedder(8), pool_options={"heads": 1}, **TINY)
    config = json.loads((plain / "config.json").read_text())
    assert config["model"]["pool_query"] == "state"
    expected = relpool.Model.load(plain).evaluate(shop_db)
    del config["model"]["pool_query"], config["options"]["pool_query"], config["options"]["pool_options"]
    del config["config_sha256"]  # older versions wrote neither option and no checksum
    (plain / "config.json").write_text(json.dumps(config))
    assert relpool.Model.load(plain).evaluate(shop_db) == expected
    with pytest.raises(RelpoolError, match="--pool-query must be one of state, input, both"):
        relpool.fit(shop_db, QUERY, tmp_path / "bad", pool_query="taste", **TINY)


def test_pool_options_from_the_command_line(shop_db, tmp_path, run_cli):
    assert parse_pool_options(["init=identity", "heads=2", "residual=true"]) == {
        "init": "identity",
        "heads": 2,
        "residual": True,
    }
    unknown = (
        "--pool-option temperature is not an option of the adaptive pool; it takes heads, bias, residual, scale, init"
    )
    cases = (("init", "must be KEY=VALUE"), ("heads=3", "does not fit the adaptive pool"), ("temperature=2", unknown))
    for option, message in cases:
        code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", "--pool-option", option)
        assert code == 2 and message in stderr and not (tmp_path / "m").exists()


def test_fit_gives_the_adaptive_pool_four_heads_unless_told_otherwise(shop_db, tmp_path, run_cli):
    """Four heads are fit's default (POOL_DEFAULTS); config.json records them, so a model written with one head
    (no option recorded) keeps its single head, and --pool-option heads=N overrides the default."""
    fitted = relpool.fit(shop_db, QUERY, tmp_path / "four", text_embedder=HashingEmbedder(8), **TINY)
    assert fitted.settings.model.pool_options == {"heads": 4}
    assert relpool.Model.load(tmp_path / "four").settings.model.pool_options == {"heads": 4}
    one = relpool.fit(
        shop_db, QUERY, tmp_path / "one", text_embedder=HashingEmbedder(8), pool_options={"heads": 1}, **TINY
    )
    assert one.settings.model.pool_options == {"heads": 1}
    mean = relpool.fit(shop_db, QUERY, tmp_path / "mean", text_embedder=HashingEmbedder(8), pool="mean", **TINY)
    assert mean.settings.model.pool_options == {}
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "six", "--channels", "6")
    assert code == 2 and "--channels 6 is not divisible by the adaptive pool's 4 heads" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "six").exists()
    code, _, stderr = run_cli(
        "fit", shop_db, QUERY, "--out", tmp_path / "six", "--channels", "6", "--pool-option", "heads=2"
    )
    assert code == 0, stderr
