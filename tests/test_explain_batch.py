"""relpool predict --explain / Model.predict(explain=True): the column's format, the same rows as
Model.explain where both sample alike, unchanged predictions, determinism, and no row after the cutoff."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import shop_frames, write_sqlite

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=16, step="1 days")
AT = "2020-01-20"


@pytest.fixture(scope="module")
def model_dir(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain_batch") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY)
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_explanation_column_holds_the_top_rows_as_json(model_dir, shop_db, run_cli, tmp_path, suffix):
    out = tmp_path / f"p{suffix}"
    code, _, err = run_cli("predict", model_dir, shop_db, "--at", AT, "--out", out, "--explain", "--explain-top", "2")
    assert code == 0, err
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert list(frame.columns) == ["customer_id", "cutoff", "probability", "explanation", "model_id", "created_at"]
    for text in frame["explanation"]:
        rows = json.loads(text)
        assert 1 <= len(rows) <= 2
        assert all(set(r) == {"table", "key", "score"} for r in rows)
        assert all(isinstance(r["key"], dict) and 0 <= r["score"] <= 1 for r in rows)
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_predictions_are_unchanged_and_the_result_deterministic(model_dir, shop_db):
    model = relpool.Model.load(model_dir)
    plain = model.predict(shop_db, at=AT)
    explained = model.predict(shop_db, at=AT, explain=True)
    assert explained.drop(columns="explanation").equals(plain)
    again = relpool.Model.load(model_dir).predict(shop_db, at=AT, explain=True)
    assert again.equals(explained)


def test_the_rows_are_model_explains_where_both_sample_alike(model_dir, shop_db):
    """The first entity of predict's first batch gets the sampler stream of a batch of its own (call 0,
    position 0), the one Model.explain samples: the same subgraph, so the same rows, up to float rounding
    of one batch against many. Later entities get other streams, so other neighbours."""
    model = relpool.Model.load(model_dir)
    frame = model.predict(shop_db, at=AT, explain=True, explain_top=5)
    first = frame.iloc[0]
    alone = model.explain(shop_db, str(first["customer_id"]), at=AT, top=5)
    rows = json.loads(first["explanation"])
    assert [(r["table"], r["key"]) for r in rows] == [(r["table"], r["key"]) for r in alone["rows"]]
    assert [r["score"] for r in rows] == pytest.approx([r["score"] for r in alone["rows"]], rel=1e-4, abs=1e-6)
    assert first["probability"] == pytest.approx(alone["prediction"], rel=1e-5)


def test_no_row_after_the_cutoff_is_ever_listed(model_dir, tmp_path):
    frames = shop_frames()
    frames["customers"].loc[len(frames["customers"])] = [61, "planted", "2020-01-01"]
    tx = frames["transactions"]
    for transaction_id, day in ((9000, "2020-01-20 00:00:00"), (9001, "2020-01-20 00:00:01")):
        tx.loc[len(tx)] = [transaction_id, 61, "P000", "north", pd.Timestamp(day), 99.0, 4]
    db = str(write_sqlite(frames, tmp_path / "planted.sqlite"))
    frame = relpool.Model.load(model_dir).predict(db, at=AT, explain=True, explain_top=1000)
    listed = [r for text in frame["explanation"] for r in json.loads(text) if r["table"] == "transactions"]
    shown = {r["key"]["transaction_id"] for r in listed}
    assert 9001 not in shown
    assert 9000 in shown  # the row at the cutoff is visible


def test_explain_top_must_be_positive(model_dir, shop_db, run_cli, tmp_path):
    with pytest.raises(RelpoolError, match="--explain-top must be at least 1"):
        relpool.Model.load(model_dir).predict(shop_db, at=AT, explain=True, explain_top=0)
    code, _, err = run_cli("predict", model_dir, shop_db, "--out", tmp_path / "p.csv", "--explain-top", "0")
    assert code == 2 and "Traceback" not in err


def test_baseline_features_are_grouped_by_their_source_table():
    from relpool.autofeat.table import by_table

    names = [
        "planes.year",
        "airlines.name | flights.carrier",
        "MEAN(flights.arr_delay | planes.tailnum)",
        "COUNT(flights | flights.tailnum, last 7d)",
        "DAYS_SINCE(planes.year)",
        "COUNT(weather.origin = 'EWR' | flights.tailnum, flights.origin)",
    ]
    shares = by_table(names, [1.0, 1.0, 2.0, 2.0, 1.0, 3.0], ["planes", "flights", "airlines", "weather", "plane"])
    assert shares == [
        {"table": "flights", "share": 0.4},
        {"table": "weather", "share": 0.3},
        {"table": "planes", "share": 0.2},
        {"table": "airlines", "share": 0.1},
    ]


def test_the_report_s_shares_are_model_explains_for_one_example(model_dir, shop_db):
    """Model.explain_examples (the report's) of one example samples as Model.explain does: the same table and
    column shares, the hybrid GNN's auto-features counted as columns of their source tables in both."""
    model = relpool.Model.load(model_dir)
    frame = model.predict(shop_db, at=AT)
    key = str(frame["customer_id"].iloc[0])
    alone = model.explain(shop_db, key, at=AT)
    inspection = model._sessions.current.prepared.inspection
    examples = pd.DataFrame({"entity": [frame["customer_id"].iloc[0]], "cutoff": [pd.Timestamp(AT)]})
    explained = model.explain_examples(inspection, examples)
    features = set(model.spec.entity_features)
    assert any(c["column"] in features and c["score"] > 0 for c in alone["columns"])
    for table in alone["tables"]:
        assert explained.tables[table["table"]].iloc[0] == pytest.approx(table["score"], rel=1e-4, abs=1e-6)
    for column in alone["columns"]:
        found = explained.columns[(column["table"], column["column"])].iloc[0]
        assert found == pytest.approx(column["score"], rel=1e-3, abs=1e-5)
