"""fit --history-window: parsed, stored in config.json, and used again when the model predicts."""

import json

import pytest

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.train.options import parse_history_window

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=16, fanout=(8, 4), epochs=2, max_steps=3, batch_size=64, step="1 days")


def test_windows_are_spans_of_fixed_length():
    assert parse_history_window(None) is None
    assert parse_history_window("7 days") == 7 * 86_400
    assert parse_history_window("12 Hours") == 12 * 3_600
    assert parse_history_window("2 weeks") == 14 * 86_400
    for bad in ("1 month", "0 days", "-3 days", "7days", "seven days", "1.5 days"):
        with pytest.raises(RelpoolError, match="--history-window must look like '7 days'"):
            parse_history_window(bad)
    with pytest.raises(RelpoolError, match="is more than 200 years"):
        parse_history_window("99999999999999999999 weeks")


def test_the_window_is_stored_and_predictions_sample_with_it(shop_db, tmp_path):
    out = tmp_path / "m"
    model = relpool.fit(shop_db, QUERY, out, history_window="2 days", text_embedder=HashingEmbedder(8), **TINY)
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["loop"]["history_window"] == 2 * 86_400
    windowed = relpool.Model.load(out).predict(shop_db, at="2020-01-25")
    assert windowed.equals(model.predict(shop_db, at="2020-01-25"))

    config["options"]["loop"]["history_window"] = None  # the same weights, every visible row sampled
    del config["config_sha256"]
    (out / "config.json").write_text(json.dumps(config))
    unbounded = relpool.Model.load(out).predict(shop_db, at="2020-01-25")
    assert not windowed.equals(unbounded)  # so the stored window is what predict sampled with


def test_a_window_without_a_fixed_length_is_refused_before_reading(tmp_path, run_cli):
    code, _, stderr = run_cli(
        "fit", tmp_path / "none.sqlite", QUERY, "--out", tmp_path / "m", "--history-window", "1 month"
    )
    assert code == 2 and "--history-window must look like '7 days'" in " ".join(stderr.split())
    assert not (tmp_path / "m").exists()


def test_an_explanation_s_baseline_rows_are_inside_the_window(shop_db, tmp_path):
    """Integrated gradients start from the average row the sampler could show: a history table's rows of the
    last two days (older ones are visible at the cutoff but never sampled), the entity table's of any age."""
    from relpool.train.explain_background import background

    model = relpool.fit(
        shop_db, QUERY, tmp_path / "m", history_window="2 days", text_embedder=HashingEmbedder(8), **TINY
    )
    model.explain(shop_db, "5", at="2020-01-25")
    assert model._sessions.current is not None
    loop = model._sessions.current.loop
    cutoff = 1579910400  # 2020-01-25
    window = 2 * 86_400
    assert (loop.graph.node_time["transactions"] <= cutoff - window).any()  # older history exists
    ages = background(loop, "transactions", cutoff).age
    assert len(ages) and bool(((ages >= 0) & (ages < window)).all())
    assert int(background(loop, "customers", cutoff).age.max()) >= window
