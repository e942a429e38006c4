"""The hybrid GNN: auto-features as inputs, under the time rule, stored with the model and recomputed alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import shop_frames, write_sqlite

import relpool
from relpool.encode.text import HashingEmbedder
from relpool.nn.features import FeatureInput

QUERY = "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=2, max_steps=3, batch_size=64, step="1 days")
AT = "2020-01-20"


@pytest.fixture(scope="module")
def hybrid(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("hybrid") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY)
    return out


def test_values_become_training_ranks_and_missing_ones_a_flag():
    encoder = FeatureInput(2, 4).eval()
    train = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, 5.0], [1000.0, 5.0]])
    encoder.fit(train)
    assert torch.equal(encoder.quantiles[1], torch.full((64,), 5.0))  # NaN left out of the CDF
    values = torch.tensor([[-1.0, 5.0], [1.5, np.nan], [1e9, 4.0]])
    missing = values.isnan()
    filled = torch.where(missing, torch.zeros_like(values), values).T.contiguous()
    low = torch.searchsorted(encoder.quantiles, filled)
    assert low[0].tolist()[0] == 0 and low[0].tolist()[2] == 64  # below and above every training value
    out = encoder(values)
    assert out.shape == (3, 4) and torch.isfinite(out).all()
    heavy = encoder(torch.tensor([[1e6, 5.0], [1e12, 5.0]]))
    assert torch.allclose(heavy[0], heavy[1])  # beyond the training range: the same rank, no blow-up


def test_the_model_stores_its_feature_columns_and_times(hybrid):
    config = json.loads((hybrid / "config.json").read_text())
    names = config["model"]["entity_features"]
    assert names and all(isinstance(n, str) for n in names)
    assert any(n.startswith("SUM(transactions.amount") for n in names)  # the target's own history
    assert config["feature_times"]["last_train"] < config["feature_times"]["first_val"]
    assert config["options"]["features"] is True


def test_predict_recomputes_the_features_training_saw(hybrid, shop_db):
    model = relpool.Model.load(hybrid)
    trained = pd.read_parquet(hybrid / "predictions_test.parquet")
    evaluated = model.evaluate(shop_db)
    assert evaluated["test"] == pytest.approx(model.metrics["test"], abs=1e-5)
    at = str(trained["cutoff"].iloc[0])
    predicted = model.predict(shop_db, at=at).set_index("customer_id")["prediction"]
    expected = trained.set_index("entity")["prediction"]
    assert predicted.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-4)


def test_a_row_after_the_cutoff_changes_no_prediction(hybrid, tmp_path):
    """Leakage: the auto-features see only rows at or before the cutoff, as the subgraph does."""
    frames = shop_frames()
    before = relpool.Model.load(hybrid).predict(str(write_sqlite(frames, tmp_path / "a.sqlite")), at=AT)
    later = frames["transactions"].iloc[:40].copy()
    later["transaction_id"] += 10_000
    later["day"] = pd.Timestamp(AT) + pd.Timedelta(seconds=1)
    later["amount"] = 1e6
    frames["transactions"] = pd.concat([frames["transactions"], later], ignore_index=True)
    after = relpool.Model.load(hybrid).predict(str(write_sqlite(frames, tmp_path / "b.sqlite")), at=AT)
    assert after["prediction"].to_numpy() == pytest.approx(before["prediction"].to_numpy(), abs=1e-6)


def test_a_row_at_the_cutoff_changes_the_features(hybrid, tmp_path):
    """The leakage test above can fail: the same rows one second earlier are seen."""
    frames = shop_frames()
    before = relpool.Model.load(hybrid).predict(str(write_sqlite(frames, tmp_path / "a.sqlite")), at=AT)
    seen = frames["transactions"].iloc[:40].copy()
    seen["transaction_id"] += 10_000
    seen["day"] = pd.Timestamp(AT)
    seen["amount"] = 1e6
    frames["transactions"] = pd.concat([frames["transactions"], seen], ignore_index=True)
    after = relpool.Model.load(hybrid).predict(str(write_sqlite(frames, tmp_path / "b.sqlite")), at=AT)
    assert not np.allclose(after["prediction"].to_numpy(), before["prediction"].to_numpy(), atol=1e-6)


def test_no_features_trains_the_plain_gnn(shop_db, tmp_path):
    relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(8), features=False, **TINY)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["model"]["entity_features"] == [] and config["feature_times"] is None


def test_a_hybrid_explanation_scores_its_auto_features_as_columns_of_their_tables(hybrid, shop_db):
    model = relpool.Model.load(hybrid)
    explanation = model.explain(shop_db, "5", at=AT, top=3)
    features = set(model.spec.entity_features)
    scored = [c for c in explanation["columns"] if c["column"] in features]
    assert scored and all(c["table"] in {"customers", "transactions", "products", "stores", "daily"} for c in scored)
    assert sum(t["score"] for t in explanation["tables"]) == pytest.approx(1)
    assert sum(c["score"] for c in explanation["columns"]) == pytest.approx(1)
    assert again_equal(model.explain(shop_db, "5", at=AT, top=3), explanation)
    batch = model.predict(shop_db, at=AT, explain=True, explain_top=2)
    assert len(json.loads(batch["explanation"].iloc[0])) <= 2


def again_equal(a: dict, b: dict) -> bool:
    """Explanations are reproducible: the same call gives the same JSON."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
