"""Property tests: on random graphs, both samplers keep the time rule, the history window and their strategy."""

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from relpool.graph import NO_TIME, NumpyTemporalSampler, TemporalGraph, TemporalSampler, reverse_edge_type

TIMES = st.integers(0, 20)


@st.composite
def problems(draw):
    """A random 3-table database with ties in time, dangling keys, a self edge type, and seeds."""
    n_a, n_b, n_c = draw(st.integers(1, 5)), draw(st.integers(0, 30)), draw(st.integers(1, 4))
    graph = TemporalGraph()
    a_time = draw(st.none() | st.lists(TIMES, min_size=n_a, max_size=n_a))
    graph.add_node_type("a", n_a, None if a_time is None else np.array(a_time))
    graph.add_node_type("b", n_b, np.array(draw(st.lists(TIMES, min_size=n_b, max_size=n_b)), np.int64))
    graph.add_node_type("c", n_c)

    def keys(n, num_parents):
        return np.array(draw(st.lists(st.integers(-1, num_parents - 1), min_size=n, max_size=n)), np.int64)

    graph.add_foreign_key("b", "a_id", "a", np.arange(n_b), keys(n_b, n_a))
    graph.add_foreign_key("b", "c_id", "c", np.arange(n_b), keys(n_b, n_c))
    graph.add_foreign_key("a", "c_id", "c", np.arange(n_a), keys(n_a, n_c))
    pairs = (
        sorted(draw(st.sets(st.tuples(st.integers(0, n_b - 1), st.integers(0, n_b - 1)), max_size=60))) if n_b else []
    )
    graph.add_edge_type(("b", "follows", "b"), *(np.array(pairs, np.int64).reshape(-1, 2).T))

    seed_type = draw(st.sampled_from(["a", "b"] if n_b else ["a"]))
    n_seeds = draw(st.integers(1, 6))
    seed_ids = np.array(
        draw(st.lists(st.integers(0, graph.num_nodes(seed_type) - 1), min_size=n_seeds, max_size=n_seeds))
    )
    cutoffs = np.maximum(
        np.array(draw(st.lists(TIMES, min_size=n_seeds, max_size=n_seeds))), graph.node_time[seed_type][seed_ids]
    )
    fanouts = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    return graph, seed_type, seed_ids, cutoffs, fanouts


def windowed_edge_types(graph) -> set:
    """The histories a window bounds, written out for this schema: children of a and c in b, and of c in a
    when a has times; never the parents (fk_*), the self edge type, or rows of a table without time."""
    found = {("a", "rev_fk_a_id", "b"), ("c", "rev_fk_c_id", "b")}
    return found | ({("c", "rev_fk_c_id", "a")} if (graph.node_time["a"] != NO_TIME).all() else set())


def check_sample(graph, data, seed_type, seed_ids, cutoffs, fanouts, strategy, window=None):
    """Every property the sampler promises, checked node by node against the graph itself."""
    assert data[seed_type].n_id[: len(seed_ids)].tolist() == seed_ids.tolist()
    for node_type in graph.node_types:
        n_id, batch = data[node_type].n_id.numpy(), data[node_type].batch.numpy()
        assert (graph.node_time[node_type][n_id] <= cutoffs[batch]).all(), "time rule broken"
        assert len(set(zip(batch.tolist(), n_id.tolist()))) == len(n_id), "node repeated within a seed"

    picked = defaultdict(list)  # (type, batch index) -> [(followed edge type, neighbour batch index)]
    for edge_type in graph.edge_types:
        src_type, _, dst_type = edge_type
        nbr, tgt = data[reverse_edge_type(edge_type)].edge_index.numpy()
        assert (data[dst_type].batch.numpy()[nbr] == data[src_type].batch.numpy()[tgt]).all(), "seeds mixed"
        for u, v in zip(nbr.tolist(), tgt.tolist()):
            picked[src_type, v].append((edge_type, u))

    hop = {(seed_type, i): 0 for i in range(len(seed_ids))}  # discovery hop, by BFS along samples
    frontier = list(hop)
    for h in range(1, len(fanouts) + 1):
        frontier = [(et[2], u) for node in frontier for et, u in picked[node] if (et[2], u) not in hop]
        hop.update({node: h for node in frontier})
    assert len(hop) == sum(data[t].num_nodes for t in graph.node_types), "unreachable node in batch"

    bounded = windowed_edge_types(graph) if window is not None else set()
    for (node_type, v), h in hop.items():
        global_id = int(data[node_type].n_id[v])
        cutoff = cutoffs[int(data[node_type].batch[v])]
        for edge_type, csr in graph.edges.items():
            if edge_type[0] != node_type:
                continue
            chosen = [int(data[edge_type[2]].n_id[u]) for et, u in picked[node_type, v] if et == edge_type]
            if h == len(fanouts):
                assert not chosen, "node of the last hop was expanded"
                continue
            row = slice(csr.indptr[global_id], csr.indptr[global_id + 1])
            visible = dict(zip(csr.indices[row].tolist(), csr.times[row].tolist()))
            visible = {u: t for u, t in visible.items() if t <= cutoff}
            if edge_type in bounded:
                visible = {u: t for u, t in visible.items() if t > cutoff - window}
            assert len(chosen) == len(set(chosen)) == min(fanouts[h], len(visible))
            assert set(chosen) <= set(visible)
            if strategy == "recent":
                most_recent = sorted(visible.values())[len(visible) - len(chosen) :]
                assert sorted(visible[u] for u in chosen) == most_recent


def canonical(data):
    nodes = {(t, b, i) for t, s in data.node_items() for b, i in zip(s.batch.tolist(), s.n_id.tolist())}
    edges = set()
    for (src, rel, dst), store in data.edge_items():
        for u, v in store.edge_index.t().tolist():
            edges.add((rel, int(data[src].batch[u]), int(data[src].n_id[u]), int(data[dst].n_id[v])))
    return nodes, edges


@settings(max_examples=150, deadline=None, derandomize=True)
@given(problems(), st.sampled_from(["uniform", "recent"]), st.integers(0, 2**32), st.none() | st.integers(1, 12))
def test_both_samplers_keep_time_rule_window_and_strategy(problem, strategy, seed, window):
    graph, seed_type, seed_ids, cutoffs, fanouts = problem
    fast = TemporalSampler(graph, fanouts, strategy, seed=seed, num_threads=2, history_window=window)
    reference = NumpyTemporalSampler(graph, fanouts, strategy, seed=seed, history_window=window)
    fast, reference = (s.sample(seed_type, seed_ids, cutoffs) for s in (fast, reference))
    for data in (fast, reference):
        check_sample(graph, data, seed_type, seed_ids, cutoffs, fanouts, strategy, window)
    if strategy == "recent":
        assert canonical(fast) == canonical(reference)
