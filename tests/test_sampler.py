"""TemporalSampler on a hand-built graph: known neighbour sets at known cutoffs, output layout."""

import numpy as np
import pytest
import torch

from relpool.graph import NumpyTemporalSampler, TemporalGraph, TemporalSampler

# customer 0 ordered at t=10, 20, 30, 40; customer 1 at t=15; customer 2 never.
# Each order holds items of one product (products have no time); order 3 has two products.
ORDER_CUSTOMER = np.array([0, 0, 0, 0, 1])
ORDER_TIME = np.array([10, 20, 30, 40, 15])
ITEM_ORDER = np.array([0, 1, 2, 3, 3, 4, 2])
ITEM_PRODUCT = np.array([0, 1, 0, 1, 0, -1, 1])  # item 5 has a dangling product key


def shop() -> TemporalGraph:
    graph = TemporalGraph()
    graph.add_node_type("customer", 3)
    graph.add_node_type("order", 5, ORDER_TIME)
    graph.add_node_type("item", 7, ORDER_TIME[ITEM_ORDER])
    graph.add_node_type("product", 2)
    graph.add_foreign_key("order", "customer_id", "customer", np.arange(5), ORDER_CUSTOMER)
    graph.add_foreign_key("item", "order_id", "order", np.arange(7), ITEM_ORDER)
    assert graph.add_foreign_key("item", "product_id", "product", np.arange(7), ITEM_PRODUCT) == 1
    return graph


def sampled(data, node_type, seed):
    store = data[node_type]
    return sorted(store.n_id[store.batch == seed].tolist())


@pytest.mark.parametrize("sampler_class", [TemporalSampler, NumpyTemporalSampler])
def test_known_neighbour_sets_at_known_cutoffs(sampler_class):
    sampler = sampler_class(shop(), [2, 4], strategy="recent")
    data = sampler.sample("customer", [0, 0, 1, 2, 0], [25, 100, 14, 100, 5])
    assert sampled(data, "order", 0) == [0, 1]  # t=10, 20 visible at 25
    assert sampled(data, "order", 1) == [2, 3]  # the 2 most recent of 4
    assert sampled(data, "order", 2) == []  # its order is at 15 > 14
    assert sampled(data, "order", 3) == [] and sampled(data, "order", 4) == []
    assert sampled(data, "item", 0) == [0, 1]
    assert sampled(data, "item", 1) == [2, 3, 4, 6]
    # hop 2 reaches back to the seed itself: no second copy of customer 0
    assert sampled(data, "customer", 1) == [0]
    assert data["customer"].n_id[:5].tolist() == [0, 0, 1, 2, 0]
    assert data["customer"].batch[:5].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("sampler_class", [TemporalSampler, NumpyTemporalSampler])
@pytest.mark.parametrize("strategy", ["uniform", "recent"])
def test_history_window_keeps_the_last_seconds_of_a_history_and_every_parent(sampler_class, strategy):
    sampler = sampler_class(shop(), [10, 10], strategy=strategy, history_window=20)
    data = sampler.sample("customer", [0, 0, 1], [40, 30, 100])
    # (20, 40]: order 1 at t=20 sits on the bound and is out; orders 2 and 3 (t=30, 40) are in
    assert sampled(data, "order", 0) == [2, 3]
    assert sampled(data, "order", 1) == [1, 2]  # (10, 30]
    assert sampled(data, "order", 2) == []  # its one order, at 15, is 85 s old
    # an item's order (t=10, 90 s old), that order's customer and the item's product are parents: reached
    parents = sampler.sample("item", [0, 2], [100, 100])
    assert sampled(parents, "order", 0) == [0] and sampled(parents, "product", 0) == [0]
    assert sampled(parents, "customer", 0) == [0]


def test_history_window_must_be_positive_seconds():
    for bad in (0, -5, 1.5, "7 days"):
        with pytest.raises(ValueError, match="history_window"):
            TemporalSampler(shop(), [2], history_window=bad)


def test_layout_ages_and_message_direction():
    data = TemporalSampler(shop(), [3, 3], strategy="recent").sample("order", [3, 1], [40, 50])
    assert data["order"].batch_size == 2
    assert data["order"].seed_time.tolist() == [40, 50]
    assert data["order"].age[:2].tolist() == [0, 30]
    assert data["order"].has_time.all()
    assert not data["product"].has_time.any() and (data["product"].age == 0).all()
    items = data["item"]
    assert (
        items.age == data["order"].seed_time[items.batch] - torch.from_numpy(ORDER_TIME[ITEM_ORDER])[items.n_id]
    ).all()
    # walked order -> item over rev_fk_order_id, so messages flow item -> order under fk_order_id
    src, dst = data["item", "fk_order_id", "order"].edge_index
    assert (data["order"].n_id[dst] == torch.from_numpy(ITEM_ORDER)[data["item"].n_id[src]]).all()
    assert (data["item"].batch[src] == data["order"].batch[dst]).all()
    assert set(data.node_types) == {"customer", "order", "item", "product"}
    assert len(data.edge_types) == 6


def test_no_time_seed_type_and_empty_batch():
    sampler = TemporalSampler(shop(), [2], strategy="uniform")
    data = sampler.sample("product", [0, 1], [12, 12])
    assert sampled(data, "item", 0) == [0] and sampled(data, "item", 1) == []
    empty = sampler.sample("product", [], [])
    assert empty["product"].num_nodes == 0 and empty["item", "fk_product_id", "product"].edge_index.shape == (2, 0)


def test_seed_newer_than_its_cutoff_is_refused():
    with pytest.raises(ValueError, match="newer than their cutoff"):
        TemporalSampler(shop(), [2]).sample("order", [3], [39])


@pytest.mark.parametrize("fanouts, strategy", [([0], "recent"), ([], "recent"), ([2], "latest")])
def test_bad_arguments_are_refused(fanouts, strategy):
    with pytest.raises(ValueError):
        TemporalSampler(shop(), fanouts, strategy)


def batch_arrays(data):
    parts = [v for _, store in data.node_items() for v in (store.n_id, store.batch, store.age)]
    return [p.numpy() for p in parts] + [data[e].edge_index.numpy() for e in data.edge_types]


def test_deterministic_for_a_seed_and_independent_of_thread_count():
    graph = shop()
    seeds, cutoffs = np.array([0, 0, 1, 0, 2, 0, 0]), np.array([100, 35, 20, 45, 9, 100, 25])
    runs = [
        TemporalSampler(graph, [1, 1], seed=7, num_threads=n).sample("customer", seeds, cutoffs) for n in (1, 1, 2, 3)
    ]
    for other in runs[1:]:
        for a, b in zip(batch_arrays(runs[0]), batch_arrays(other)):
            np.testing.assert_array_equal(a, b)


def test_uniform_draws_every_visible_neighbour_equally_often():
    graph = TemporalGraph()
    graph.add_node_type("hub", 1)
    graph.add_node_type("leaf", 10, np.arange(10))
    graph.add_foreign_key("leaf", "hub_id", "hub", np.arange(10), np.zeros(10, np.int64))
    n = 4000
    data = TemporalSampler(graph, [3], seed=1).sample("hub", np.zeros(n, np.int64), np.full(n, 7))
    counts = np.bincount(data["leaf"].n_id.numpy(), minlength=10)
    assert counts[8:].sum() == 0  # leaves 8 and 9 are after the cutoff
    expected = n * 3 / 8
    assert np.all(np.abs(counts[:8] - expected) < 5 * np.sqrt(expected))
