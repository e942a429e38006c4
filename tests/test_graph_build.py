"""The database's temporal graph: dense ids, composite keys, dangling keys, times, and the time rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shop_frames

from relpool.db import inspect_database
from relpool.graph import TemporalSampler
from relpool.graph.build import NEVER_VISIBLE, build_graph
from relpool.query.task import build_task


@pytest.fixture(scope="module")
def shop():
    frames = shop_frames()
    # Two transactions point at a product that does not exist, one at no product at all.
    tx = frames["transactions"].copy()
    tx.loc[[0, 1], "product_id"] = "P999"
    tx.loc[2, "product_id"] = None
    frames["transactions"] = tx
    return frames, inspect_database(frames)


def _edges(graph, edge_type):
    csr = graph.edges[edge_type]
    src = np.repeat(np.arange(csr.num_src), np.diff(csr.indptr))
    return set(zip(src.tolist(), csr.indices.tolist()))


def test_foreign_keys_become_edges_between_dense_ids(shop):
    frames, inspection = shop
    built = build_graph(inspection)
    graph = built.graph
    assert graph.num_nodes("transactions") == len(frames["transactions"])
    tx, products = frames["transactions"], frames["products"]
    product_index = {p: i for i, p in enumerate(products["product_id"])}  # rowid = row order of the frame
    expected = {(i, product_index[p]) for i, p in enumerate(tx["product_id"]) if p in product_index}
    assert _edges(graph, ("transactions", "fk_product_id", "products")) == expected
    assert _edges(graph, ("products", "rev_fk_product_id", "transactions")) == {(b, a) for a, b in expected}
    assert built.dropped_edges["transactions.product_id -> products.product_id"] == 3  # 2 dangling + 1 NULL


def test_composite_foreign_key_edges(shop):
    frames, inspection = shop
    graph = build_graph(inspection).graph
    daily = frames["daily"]
    index = {(s, d): i for i, (s, d) in enumerate(zip(daily["store"], daily["day"]))}
    tx = frames["transactions"]
    expected = {(i, index[(s, d)]) for i, (s, d) in enumerate(zip(tx["store"], tx["day"]))}
    assert _edges(graph, ("transactions", "fk_store_day", "daily")) == expected


def test_node_times_are_utc_seconds_and_null_is_never_visible():
    events = pd.DataFrame({"event_id": [1, 2, 3], "at": ["2020-01-01T00:00:00+01:00", None, "2020-01-01"]})
    inspection = inspect_database({"events": events})
    times = build_graph(inspection).graph.node_time["events"]
    assert times.tolist() == [1577833200, NEVER_VISIBLE, 1577836800]


def test_sampled_subgraphs_never_contain_rows_after_the_cutoff(shop):
    frames, inspection = shop
    task = build_task(
        inspection, "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id", step="1 days"
    )
    graph = build_graph(inspection).graph
    examples = pd.concat(task.tables.values())
    seeds = examples["entity"].to_numpy() - 1  # customer_id 1..60 are rows 0..59
    cutoffs = examples["cutoff"].to_numpy().astype("datetime64[s]").astype(np.int64)
    for strategy in ("uniform", "recent"):
        batch = TemporalSampler(graph, [8, 8], strategy, seed=0).sample("customers", seeds, cutoffs)
        sampled = 0
        for node_type in batch.node_types:
            store = batch[node_type]
            if store.num_nodes == 0:
                continue
            time = graph.node_time[node_type][store.n_id.numpy()]
            seed_cutoff = cutoffs[store.batch.numpy()]
            timed = store.has_time.numpy()
            assert (time[timed] <= seed_cutoff[timed]).all(), node_type
            sampled += timed.sum()
        assert sampled > len(seeds)  # the check looked at real neighbours, not only the seeds


def test_a_row_planted_after_the_cutoff_is_never_sampled_and_one_before_is():
    start = pd.Timestamp("2022-01-01")
    users = pd.DataFrame({"user_id": range(50)})
    events = pd.DataFrame(
        {
            "event_id": range(100),
            "user_id": list(range(50)) * 2,
            "at": [start - pd.Timedelta(hours=1)] * 50 + [start + pd.Timedelta(seconds=1)] * 50,
        }
    )
    inspection = inspect_database({"users": users, "events": events})
    graph = build_graph(inspection).graph
    cutoff = int(start.timestamp())
    batch = TemporalSampler(graph, [10], "recent", seed=0).sample("users", np.arange(50), np.full(50, cutoff))
    sampled_events = set(batch["events"].n_id.tolist())
    assert sampled_events == set(range(50))  # every event an hour before; none a second after
