"""relpool explain / Model.explain: the JSON shape, reproducibility, no row after the cutoff, one clear
error per bad entity, the same prediction as predict, the prepared database reused, and a known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import shop_frames, write_sqlite

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.train.explain_rows import entity_row
from relpool.train.split_predictions import EVAL_SEED

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days")
AT = "2020-01-20"
KEYS = {"entity", "cutoff", "prediction", "tables", "columns", "rows"}


@pytest.fixture(scope="module")
def model_dir(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "m"  # the plain GNN: these tests take its forward pass apart
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), features=False, **TINY)
    return out


def test_the_json_has_the_issue_shape_and_shares_that_add_up(model_dir, shop_db, run_cli):
    code, out, _ = run_cli("explain", model_dir, shop_db, "--entity", "5", "--at", AT, "--top", "4", "--json")
    assert code == 0
    explanation = json.loads(out)
    assert set(explanation) == KEYS
    assert explanation["entity"] == 5 and explanation["cutoff"] == "2020-01-20T00:00:00"
    assert 0 <= explanation["prediction"] <= 1
    assert sum(t["score"] for t in explanation["tables"]) == pytest.approx(1)
    assert sum(c["score"] for c in explanation["columns"]) == pytest.approx(1)
    per_table: dict[str, float] = {}
    for column in explanation["columns"]:
        assert set(column) == {"table", "column", "score"}
        per_table[column["table"]] = per_table.get(column["table"], 0) + column["score"]
    assert per_table == pytest.approx({t["table"]: t["score"] for t in explanation["tables"]})
    rows = explanation["rows"]
    assert len(rows) == 4
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for row in rows:  # an adaptive pool's rows also say where its attention looked, except the entity's own
        assert set(row) == {"table", "key", "score", "path", "values"} | (
            {"attention"} if len(row["path"]) > 1 else set()
        )
        assert row["path"][0] == "customers" and row["path"][-1] == row["table"]
    every = relpool.Model.load(model_dir).explain(shop_db, "5", at=AT, top=1000)["rows"]
    assert sum(r["score"] for r in every) == pytest.approx(1)
    daily = [r for r in every if r["table"] == "daily"]
    assert daily and all(set(r["key"]) == {"store", "day"} for r in daily)  # a composite key, as stored
    assert {"customer_id": 5} in [r["key"] for r in every if r["table"] == "customers"]


def test_the_terminal_view_shows_the_three_tables(model_dir, shop_db, run_cli):
    code, out, _ = run_cli("explain", model_dir, shop_db, "--entity", "5", "--at", AT)
    assert code == 0
    assert "tables" in out and "columns" in out and "rows" in out and "not causal" in out


def test_an_explanation_is_reproducible(model_dir, shop_db):
    first = relpool.Model.load(model_dir).explain(shop_db, "7", at=AT)
    model = relpool.Model.load(model_dir)
    assert model.explain(shop_db, "7", at=AT) == first
    assert model.explain(shop_db, 7, at=AT) == first


def test_no_row_after_the_cutoff_is_ever_shown(model_dir, tmp_path):
    """A customer whose only transactions are one at the cutoff and one a second after it."""
    frames = shop_frames()
    frames["customers"].loc[len(frames["customers"])] = [61, "planted", "2020-01-01"]
    tx = frames["transactions"]
    for transaction_id, day in ((9000, "2020-01-20 00:00:00"), (9001, "2020-01-20 00:00:01")):
        tx.loc[len(tx)] = [transaction_id, 61, "P000", "north", pd.Timestamp(day), 99.0, 4]
    db = str(write_sqlite(frames, tmp_path / "planted.sqlite"))
    explanation = relpool.Model.load(model_dir).explain(db, "61", at=AT, top=1000)
    shown = {r["key"].get("transaction_id") for r in explanation["rows"] if r["table"] == "transactions"}
    assert 9001 not in shown
    assert 9000 in shown  # a row at the cutoff is visible
    later = relpool.Model.load(model_dir).explain(db, "61", at="2020-01-20 00:00:01", top=1000)
    assert 9001 in {r["key"].get("transaction_id") for r in later["rows"]}


@pytest.mark.parametrize(
    "args, message",
    [
        (("--entity", "555"), "no customers has customer_id = '555'"),
        (("--entity", "abc"), "no customers has customer_id = 'abc'"),
        (("--entity", "50", "--at", AT), "customers '50' does not exist at 2020-01-20"),
        (("--entity", "5", "--at", "not a time"), "--at"),
    ],
)
def test_a_bad_entity_is_one_clear_error(model_dir, shop_db, run_cli, args, message):
    code, out, err = run_cli("explain", model_dir, shop_db, *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_composite_key_entity_table_is_refused(model_dir, shop_db):
    model = relpool.Model.load(model_dir)
    model.explain(shop_db, "5", at=AT)
    assert model._sessions.current is not None
    inspection = model._sessions.current.prepared.inspection
    with pytest.raises(RelpoolError, match=r"single-column primary key of 'daily'; its primary key is \(store, day\)"):
        entity_row(inspection, "daily", "north")


def test_the_prediction_is_the_one_predict_gives_the_entity_alone(model_dir, shop_db):
    """Alone: in a batch of its own. Within predict's batches of many entities the sampler's stream
    for an entity can differ, and with it the sampled neighbours (so only the alone case is exact)."""
    model = relpool.Model.load(model_dir)
    explanation = model.explain(shop_db, "9", at=AT)
    assert model._sessions.current is not None
    loop, inspection = model._sessions.current.loop, model._sessions.current.prepared.inspection
    seed, _ = entity_row(inspection, "customers", "9")
    outputs = loop.predict_outputs(np.array([seed]), np.array([pd.Timestamp(AT).value // 10**9]), EVAL_SEED)
    alone = model.kind.predictions(outputs, model.targets, model.k)["probability"].iloc[0]
    assert explanation["prediction"] == pytest.approx(float(alone), rel=1e-5)
    everyone = model.predict(shop_db, at=AT)
    assert 9 in set(everyone["customer_id"])


def test_a_second_explanation_reuses_the_prepared_database(model_dir, shop_db, reads):
    model = relpool.Model.load(model_dir)
    model.explain(shop_db, "5", at=AT)
    model.explain(shop_db, "6", at=AT)
    model.predict(shop_db, at=AT)
    assert len(reads) == 1


def _signal_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Customers whose hidden state sets their transactions' amounts (the only signal); products noise. The
    amounts overlap, so the task is not solved in two steps: a network perfect that early keeps its initial
    reliance on the noise columns (early stopping keeps the first best epoch), and rightly gets explained so."""
    rng = np.random.default_rng(seed)
    n_customers, n_products, days = 80, 10, pd.date_range("2020-01-01", periods=60, freq="D")
    state = rng.integers(0, 2, n_customers)
    customers = pd.DataFrame(
        {"customer_id": np.arange(n_customers), "score": rng.normal(size=n_customers), "signup": "2019-12-01"}
    )
    products = pd.DataFrame({"product_id": np.arange(n_products), "weight": rng.normal(size=n_products)})
    n_tx = n_customers * 40
    owner = rng.integers(0, n_customers, n_tx)
    transactions = pd.DataFrame(
        {
            "transaction_id": np.arange(n_tx),
            "customer_id": owner,
            "product_id": rng.integers(0, n_products, n_tx),
            "day": days[rng.integers(0, len(days), n_tx)],
            "amount": np.where(state[owner] == 1, rng.uniform(45, 100, n_tx), rng.uniform(0, 55, n_tx)),
        }
    )
    return {"customers": customers, "products": products, "transactions": transactions}


def test_the_table_that_holds_the_signal_gets_the_largest_share(tmp_path):
    db = str(write_sqlite(_signal_frames(), tmp_path / "signal.sqlite"))
    query = (
        "PREDICT COUNT(transactions.* WHERE transactions.amount > 50, 0, 7, days) > 0 FOR EACH customers.customer_id"
    )
    out = tmp_path / "m"
    options = dict(channels=16, fanout=(8, 2), epochs=6, max_steps=8, batch_size=64, step="7 days", seed=0)
    # the plain GNN: a hybrid one also reads the signal from its auto-features, which explanations do not score
    relpool.fit(db, query, out, text_embedder=HashingEmbedder(8), pool="mean", features=False, **options)
    model = relpool.Model.load(out)
    shares: dict[str, list[float]] = {}
    for key in range(0, 80, 8):
        for entry in model.explain(db, str(key), at="2020-02-20")["tables"]:
            shares.setdefault(entry["table"], []).append(entry["score"])
    mean = {table: float(np.mean(values)) for table, values in shares.items()}
    assert max(mean, key=mean.__getitem__) == "transactions", mean


@pytest.mark.parametrize(
    "query, key, prediction",
    [
        ("PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id", "5", float),
        ("PREDICT products.category FOR EACH products.product_id", "P003", str),
        (
            "PREDICT LIST_DISTINCT(transactions.product_id, 0, 7, days) RANK TOP 5 FOR EACH customers.customer_id",
            "5",
            list,
        ),
    ],
    ids=["regression", "multiclass", "link"],
)
def test_every_task_kind_is_explained(shop_db, tmp_path, query, key, prediction):
    relpool.fit(shop_db, query, tmp_path / "m", text_embedder=HashingEmbedder(8), **TINY)
    explanation = relpool.Model.load(tmp_path / "m").explain(shop_db, key, at=AT, top=3)
    assert isinstance(explanation["prediction"], prediction)
    assert set(explanation) == KEYS | ({"probability"} if prediction is str else set())
    assert sum(t["score"] for t in explanation["tables"]) == pytest.approx(1)
    if prediction is str:  # the hidden target is never among a row's values
        assert all("category" not in r["values"] for r in explanation["rows"] if r["table"] == "products")
    if prediction is list:
        assert len(explanation["prediction"]) == 5


def test_the_attributions_add_up_to_the_change_of_the_output(model_dir, shop_db):
    """Integrated gradients' completeness: the signed attributions sum to f(inputs) - f(average rows),
    which holds only if the attributed inputs are really what the network computes from. With 64 steps the
    integral's own error is small enough for a 1 % bound (this model: 0.3 % at 64 steps, 6 % at explain's 16)."""
    from relpool.nn.attribution import attribute
    from relpool.train.data import gather_frames
    from relpool.train.explain_background import background as _background

    model = relpool.Model.load(model_dir)
    model.explain(shop_db, "5", at=AT)
    assert model._sessions.current is not None
    loop, inspection = model._sessions.current.loop, model._sessions.current.prepared.inspection
    seed, _ = entity_row(inspection, "customers", "5")
    cutoff = pd.Timestamp(AT).value // 10**9
    batch = loop.sampler(EVAL_SEED).sample("customers", np.array([seed]), np.array([cutoff]))
    background = {t: _background(loop, t, cutoff) for t in batch.node_types if batch[t].num_nodes}
    result = attribute(loop.model, gather_frames(loop.tables, batch), batch, background=background, steps=64)
    assert result.gap <= 0.01 * abs(result.signed_total) + 1e-5
    again = attribute(loop.model, gather_frames(loop.tables, batch), batch, background=background, steps=1)
    assert again.output == pytest.approx(result.output)


def test_a_row_s_occlusion_score_is_the_change_when_it_sends_no_messages(model_dir, shop_db):
    """The batched occlusion (one interleaved copy per row) agrees with one plain forward pass per row
    whose out-edges are dropped; the entity's own row is scored by the average row in its place."""
    from relpool.nn.occlusion import occlude
    from relpool.train.data import gather_frames
    from relpool.train.explain_background import background as _background

    model = relpool.Model.load(model_dir)
    model.explain(shop_db, "5", at=AT)
    assert model._sessions.current is not None
    loop, inspection = model._sessions.current.loop, model._sessions.current.prepared.inspection
    seed, _ = entity_row(inspection, "customers", "5")
    cutoff = pd.Timestamp(AT).value // 10**9
    batch = loop.sampler(EVAL_SEED).sample("customers", np.array([seed]), np.array([cutoff]))
    frames = gather_frames(loop.tables, batch)
    background = {t: _background(loop, t, cutoff) for t in batch.node_types if batch[t].num_nodes}
    scores = occlude(loop.model, frames, batch, background=background)
    with torch.no_grad():
        full = float(loop.model(frames, batch)[0])
        for t in scores:
            for i in range(batch[t].num_nodes)[:5]:
                if t == "customers" and i == 0:
                    continue
                cut = batch.clone()
                for e in cut.edge_types:
                    if e[0] == t:
                        cut[e].edge_index = cut[e].edge_index[:, cut[e].edge_index[0] != i]
                expected = abs(float(loop.model(frames, cut)[0]) - full)
                assert float(scores[t][i]) == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert float(scores["customers"][0]) > 0


def test_occlusion_of_many_seeds_in_small_passes_is_each_row_s_own_change(model_dir, shop_db):
    """Seeds with subgraphs of different sizes, occluded together in passes of a few copies each (each seed
    copied once per its own row): a row's score is still the change of its own seed's output when that row
    alone sends no messages in the whole batch."""
    from relpool.nn.occlusion import occlude
    from relpool.train.data import gather_frames

    model = relpool.Model.load(model_dir)
    model.explain(shop_db, "5", at=AT)
    assert model._sessions.current is not None
    loop, inspection = model._sessions.current.loop, model._sessions.current.prepared.inspection
    seeds = np.array([entity_row(inspection, "customers", str(k))[0] for k in (1, 2, 3, 5, 8)])
    cutoff = pd.Timestamp(AT).value // 10**9
    batch = loop.sampler(EVAL_SEED).sample("customers", seeds, np.full(len(seeds), cutoff))
    frames = gather_frames(loop.tables, batch)
    sizes = torch.bincount(torch.cat([batch[t].batch for t in batch.node_types if batch[t].num_nodes]))
    assert len(set(sizes.tolist())) > 1  # subgraphs of different sizes
    scores = occlude(loop.model, frames, batch, chunk_rows=40)
    whole = occlude(loop.model, frames, batch)
    with torch.no_grad():
        full = loop.model(frames, batch)
        for t in scores:
            assert torch.allclose(scores[t], whole[t], rtol=1e-4, atol=1e-6)
            for i in range(batch[t].num_nodes)[::3]:
                owner = int(batch[t].batch[i])
                if t == "customers" and i < len(seeds):
                    continue  # the seed's own row: no background here, not scored
                cut = batch.clone()
                for e in cut.edge_types:
                    if e[0] == t:
                        cut[e].edge_index = cut[e].edge_index[:, cut[e].edge_index[0] != i]
                expected = abs(float(loop.model(frames, cut)[owner]) - float(full[owner]))
                assert float(scores[t][i]) == pytest.approx(expected, rel=1e-4, abs=1e-6)
