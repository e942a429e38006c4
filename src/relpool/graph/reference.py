"""A straightforward vectorised NumPy version of :class:`TemporalSampler`.

Same semantics (disjoint per seed, time rule, strategies, de-duplication within a seed), no
numba: whole hops are processed as arrays, de-duplication uses ``np.unique``. It is the
baseline the benchmark compares against and an independent cross-check in the tests. Its
``uniform`` draws come from NumPy's generator, so they differ from the numba sampler's;
``recent`` samples are identical as sets. Node order within a type is seeds first, then by
hop, not seed-major.
"""

from __future__ import annotations

import numpy as np
from torch_geometric.data import HeteroData

from relpool.arrays import ragged_arange
from relpool.graph.batch import build_batch, check_seeds
from relpool.graph.hetero import EdgeType, TemporalGraph
from relpool.graph.sampler import check_sampler_args, history_windows


class NumpyTemporalSampler:
    def __init__(
        self, graph: TemporalGraph, fanouts, strategy: str = "uniform", seed: int = 0, history_window: int | None = None
    ) -> None:
        self.graph = graph
        self.fanouts = check_sampler_args(fanouts, strategy, history_window)
        self.strategy = strategy
        self.rng = np.random.default_rng(seed)
        self.windows = dict(zip(graph.edge_types, history_windows(graph, history_window).tolist()))

    def sample(self, seed_type: str, seed_ids, cutoffs) -> HeteroData:
        seed_ids, cutoffs = check_seeds(self.graph, seed_type, seed_ids, cutoffs)
        graph = self.graph
        seeds = np.arange(len(seed_ids))
        table = {t: _NodeTable(graph.num_nodes(t)) for t in graph.node_types}
        frontier = {seed_type: table[seed_type].add(seeds, seed_ids, graph.node_time[seed_type][seed_ids])}
        edges: dict[EdgeType, tuple[list[np.ndarray], list[np.ndarray]]] = {r: ([], []) for r in graph.edge_types}
        for k in self.fanouts:
            found: dict[str, list[tuple]] = {}
            for edge_type, csr in graph.edges.items():
                src_type, _, dst_type = edge_type
                if src_type not in frontier:
                    continue
                local, batch, ids = frontier[src_type][:3]
                lo, hi = csr.indptr[ids], csr.indptr[ids + 1]
                vis = _segment_upper_bound(csr.times, lo, hi, cutoffs[batch])
                if self.windows[edge_type] >= 0:
                    lo = _segment_upper_bound(csr.times, lo, vis, cutoffs[batch] - self.windows[edge_type])
                owner, slots = self._pick(lo, vis, k)
                found.setdefault(dst_type, []).append(
                    (edge_type, batch[owner], csr.indices[slots].astype(np.int64), csr.times[slots], local[owner])
                )
            frontier = {}
            for dst_type, parts in found.items():
                batch = np.concatenate([p[1] for p in parts])
                ids = np.concatenate([p[2] for p in parts])
                times = np.concatenate([p[3] for p in parts])
                nbr_local, frontier[dst_type] = table[dst_type].lookup_or_add(batch, ids, times)
                part_ends = np.cumsum([len(p[1]) for p in parts])[:-1]
                for (edge_type, *_, tgt_local), nbr in zip(parts, np.split(nbr_local, part_ends)):
                    edges[edge_type][0].append(nbr)
                    edges[edge_type][1].append(tgt_local)
        nodes = {t: table[t].result() for t in graph.node_types}
        edge_arrays = {r: np.stack([_concat(nbr), _concat(tgt)]) for r, (nbr, tgt) in edges.items()}
        return build_batch(seed_type, cutoffs, nodes, edge_arrays)

    def _pick(self, lo: np.ndarray, vis: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row, slot) of every chosen neighbour, given each row's visible slots [lo, vis)."""
        visible = vis - lo
        if self.strategy == "recent":
            take = np.minimum(visible, k)
            return np.repeat(np.arange(len(lo)), take), ragged_arange(vis - take, take)
        owner = np.repeat(np.arange(len(lo)), visible)
        slots = ragged_arange(lo, visible)
        order = np.lexsort((self.rng.random(len(slots)), owner))
        rank = np.arange(len(slots)) - np.repeat(np.cumsum(visible) - visible, visible)
        keep = order[rank < k]
        return owner[keep], slots[keep]


class _NodeTable:
    """The sampled nodes of one type, keyed by (seed, node id) to de-duplicate within a seed."""

    def __init__(self, num_nodes: int) -> None:
        self.num_nodes = num_nodes
        self.keys = np.empty(0, np.int64)  # sorted
        self.local_of_key = np.empty(0, np.int64)
        self.batch: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.times: list[np.ndarray] = []
        self.count = 0

    def add(self, batch: np.ndarray, ids: np.ndarray, times: np.ndarray):
        """Append nodes known to be new; return them as a frontier (local, batch, ids, times)."""
        local = self.count + np.arange(len(ids))
        self.count += len(ids)
        self.batch.append(batch)
        self.ids.append(ids)
        self.times.append(times)
        keys = np.concatenate([self.keys, batch * self.num_nodes + ids])
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.local_of_key = np.concatenate([self.local_of_key, local])[order]
        return local, batch, ids, times

    def lookup_or_add(self, batch: np.ndarray, ids: np.ndarray, times: np.ndarray):
        """Local index of every (seed, id); unseen ones are added, in order of first sight."""
        keys = batch * self.num_nodes + ids
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        pos = np.minimum(np.searchsorted(self.keys, unique), max(len(self.keys) - 1, 0))
        known = self.keys[pos] == unique if len(self.keys) else np.zeros(len(unique), bool)
        local = np.empty(len(unique), np.int64)
        local[known] = self.local_of_key[pos[known]]
        new = np.flatnonzero(~known)
        new = new[np.argsort(first[new], kind="stable")]
        frontier = self.add(unique[new] // self.num_nodes, unique[new] % self.num_nodes, times[first[new]])
        local[new] = frontier[0]
        return local[inverse], frontier

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _concat(self.ids), _concat(self.batch), _concat(self.times)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays + [np.empty(0, np.int64)])


def _segment_upper_bound(times: np.ndarray, lo: np.ndarray, hi: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """Per row, the first slot in [lo, hi) with time > cutoff, by bisection of all rows at once."""
    lo, hi = lo.copy(), hi.copy()
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) >> 1
        right = times[mid] <= cutoff[active]
        lo[active[right]] = mid[right] + 1
        hi[active[~right]] = mid[~right]
        active = active[lo[active] < hi[active]]
    return lo
