"""TemporalCSR and TemporalGraph: time-sorted rows, dangling keys, memory per edge."""

import numpy as np
import pytest

from relpool.graph import NO_TIME, TemporalCSR, TemporalGraph, reverse_edge_type, reverse_relation


def test_rows_are_sorted_by_time_then_id_with_times_aligned():
    dst_time = np.array([30, 10, NO_TIME, 10, 20])
    src = np.array([0, 0, 0, 0, 0, 2, 2])
    dst = np.array([0, 1, 2, 3, 4, 4, 1])
    csr = TemporalCSR.from_edges(src, dst, num_src=3, num_dst=5, dst_time=dst_time)
    assert csr.indptr.tolist() == [0, 5, 5, 7]
    assert csr.indices.tolist() == [2, 1, 3, 4, 0, 1, 4]
    assert csr.times.tolist() == [NO_TIME, 10, 10, 20, 30, 10, 20]
    assert csr.indices.dtype == np.int32 and csr.indptr.dtype == np.int64


def test_empty_edge_list():
    csr = TemporalCSR.from_edges(np.empty(0), np.empty(0), 4, 2, np.zeros(2))
    assert csr.indptr.tolist() == [0] * 5 and csr.num_edges == 0


@pytest.mark.parametrize(
    "src, dst, dst_time",
    [([0], [2], [0, 0]), ([-1], [0], [0, 0]), ([0, 1], [0], [0, 0]), ([0], [0], [0])],
)
def test_invalid_edges_are_refused(src, dst, dst_time):
    with pytest.raises(ValueError):
        TemporalCSR.from_edges(np.array(src), np.array(dst), 2, 2, np.array(dst_time))


def test_foreign_key_adds_both_directions_and_drops_dangling():
    graph = TemporalGraph()
    graph.add_node_type("user", 2)
    graph.add_node_type("order", 4, np.array([5, 6, 7, 8]))
    dropped = graph.add_foreign_key("order", "user_id", "user", np.arange(4), np.array([1, -1, 1, 0]))
    assert dropped == 1
    forward = graph.edges[("order", "fk_user_id", "user")]
    backward = graph.edges[("user", "rev_fk_user_id", "order")]
    assert forward.indptr.tolist() == [0, 1, 1, 2, 3]
    assert forward.times.tolist() == [NO_TIME] * 3
    assert backward.indices.tolist() == [3, 0, 2] and backward.times.tolist() == [8, 5, 7]
    assert graph.num_edges() == 6


def test_reverse_names_round_trip():
    assert reverse_relation("fk_a") == "rev_fk_a" and reverse_relation("rev_fk_a") == "fk_a"
    assert reverse_edge_type(("order", "fk_a", "user")) == ("user", "rev_fk_a", "order")


def test_duplicate_types_are_refused():
    graph = TemporalGraph()
    graph.add_node_type("a", 1)
    with pytest.raises(ValueError):
        graph.add_node_type("a", 1)
    graph.add_edge_type(("a", "r", "a"), [0], [0])
    with pytest.raises(ValueError):
        graph.add_edge_type(("a", "r", "a"), [0], [0])


def test_structure_and_times_fit_in_24_bytes_per_edge():
    rng = np.random.default_rng(0)
    graph = TemporalGraph()
    graph.add_node_type("customer", 1_000)
    graph.add_node_type("order", 50_000, rng.integers(0, 10**9, 50_000))
    graph.add_node_type("item", 200_000, rng.integers(0, 10**9, 200_000))
    graph.add_foreign_key("order", "customer_id", "customer", np.arange(50_000), rng.integers(0, 1_000, 50_000))
    graph.add_foreign_key("item", "order_id", "order", np.arange(200_000), rng.integers(0, 50_000, 200_000))
    assert graph.nbytes() / graph.num_edges() <= 24
