"""Joining the sampler's per-chunk kernel results into one batch, in seed order.

In a chunk, local indices count per type and the chunk's seeds come first in the seed type.
In the batch, all seeds come first in the seed type, then every chunk's other nodes in chunk
order; so a chunk's local index maps to the batch by one offset per (chunk, type), except for
the seed type, where seeds and non-seeds shift differently.
"""

from __future__ import annotations

import numpy as np

from relpool.graph.batch import EdgeSample, NodeSample
from relpool.graph.hetero import EdgeType

# Positions in a chunk result, as returned by sample_kernel.sample_chunk.
NODE_COUNTS, IDS, BATCH, TIME, EDGE_COUNTS, NBR, TGT = range(7)


def stitch_chunks(
    chunks: list[tuple], bounds: np.ndarray, seed_type_index: int, node_types: list[str], edge_types: list[EdgeType]
) -> tuple[dict[str, NodeSample], dict[EdgeType, EdgeSample]]:
    st = seed_type_index
    seed_counts = np.diff(bounds)
    node_counts = np.array([c[NODE_COUNTS] for c in chunks])  # [chunk, type]
    node_start = np.concatenate([np.zeros((len(chunks), 1), np.int64), node_counts.cumsum(axis=1)], axis=1)
    non_seed = node_counts.copy()
    non_seed[:, st] -= seed_counts
    offsets = non_seed.cumsum(axis=0) - non_seed
    offsets[:, st] += bounds[-1]
    one_chunk = len(chunks) == 1  # local indices are already batch indices

    def node_slices(t: int) -> list[tuple[int, int, int]]:
        lo, hi = node_start[:, t], node_start[:, t + 1]
        if t != st:
            return [(c, a, b) for c, (a, b) in enumerate(zip(lo, hi))]
        mid = lo + seed_counts
        return [(c, a, b) for c, (a, b) in enumerate(zip(lo, mid))] + [
            (c, a, b) for c, (a, b) in enumerate(zip(mid, hi))
        ]

    def to_batch_index(local: np.ndarray, t: int, c: int) -> np.ndarray:
        if one_chunk:
            return local
        if t != st:
            return local + offsets[c, t]
        return np.where(local < seed_counts[c], local + bounds[c], local - seed_counts[c] + offsets[c, t])

    def gather(t: int, k: int) -> np.ndarray:
        return np.concatenate([chunks[c][k][a:b] for c, a, b in node_slices(t)])

    nodes = {name: (gather(t, IDS), gather(t, BATCH), gather(t, TIME)) for t, name in enumerate(node_types)}
    type_index = {name: t for t, name in enumerate(node_types)}
    edge_start = np.concatenate(
        [np.zeros((len(chunks), 1), np.int64), np.array([c[EDGE_COUNTS] for c in chunks]).cumsum(axis=1)], axis=1
    )
    edges: dict[EdgeType, EdgeSample] = {}
    for r, edge_type in enumerate(edge_types):
        src, _, dst = edge_type
        edge_index = np.empty((2, (edge_start[:, r + 1] - edge_start[:, r]).sum()), np.int64)
        at = 0
        for c, chunk in enumerate(chunks):
            part = slice(edge_start[c, r], edge_start[c, r + 1])
            size = part.stop - part.start
            edge_index[0, at : at + size] = to_batch_index(chunk[NBR][part], type_index[dst], c)
            edge_index[1, at : at + size] = to_batch_index(chunk[TGT][part], type_index[src], c)
            at += size
        edges[edge_type] = edge_index
    return nodes, edges
