"""What every sampler shares: checking the seeds and packing a sample into ``HeteroData``.

Layout of a mini-batch (one per ``sample`` call), for every node type of the graph:

- ``n_id``: global (dense, per-table) node ids; ``batch``: the seed each node belongs to;
- ``age``: the seed's cutoff minus the node's time in seconds (>= 0), and ``has_time``:
  False for rows of tables without time, whose ``age`` is 0.

The seed type also carries ``batch_size`` and ``seed_time`` (the cutoffs); its first
``batch_size`` nodes are the seeds, in order. For every edge type ``(A, rel, B)`` of the graph
the batch holds ``(B, reverse(rel), A)``: the sampler walks ``A -> B`` to find neighbours and
messages flow back ``B -> A``, towards the seeds. ``edge_index[0]`` indexes B, ``[1]`` A.
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import HeteroData

from relpool.graph.csr import NO_TIME
from relpool.graph.hetero import EdgeType, TemporalGraph, reverse_edge_type

NodeSample = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(n_id, batch, time) of one node type; samplers pass times on so nothing gathers them again."""
EdgeSample = np.ndarray
"""int64 [2, E] of one followed edge type: neighbour batch indices, then target batch indices."""


def check_seeds(graph: TemporalGraph, seed_type: str, seed_ids, cutoffs) -> tuple[np.ndarray, np.ndarray]:
    """Seed ids and cutoffs as int64; a seed newer than its cutoff does not exist then: refused."""
    seed_ids = np.ascontiguousarray(seed_ids, dtype=np.int64)
    cutoffs = np.ascontiguousarray(cutoffs, dtype=np.int64)
    if seed_ids.ndim != 1 or seed_ids.shape != cutoffs.shape:
        raise ValueError(f"seed_ids {seed_ids.shape} and cutoffs {cutoffs.shape} must be 1-D, equal length")
    num_nodes = graph.num_nodes(seed_type)
    if len(seed_ids) and (seed_ids.min() < 0 or seed_ids.max() >= num_nodes):
        raise ValueError(f"seed ids of {seed_type!r} must lie in [0, {num_nodes})")
    too_new = graph.node_time[seed_type][seed_ids] > cutoffs
    if too_new.any():
        raise ValueError(
            f"{int(too_new.sum())} seed(s) of {seed_type!r} are newer than their cutoff, "
            f"e.g. id {int(seed_ids[too_new][0])}"
        )
    return seed_ids, cutoffs


def build_batch(
    seed_type: str,
    cutoffs: np.ndarray,
    nodes: dict[str, NodeSample],
    edges: dict[EdgeType, EdgeSample],
) -> HeteroData:
    """Pack per-type nodes and per-followed-edge-type edges into the layout described above."""
    data = HeteroData()
    for node_type, (n_id, batch, time) in nodes.items():
        has_time = time != NO_TIME
        store = data[node_type]
        store.num_nodes = len(n_id)
        store.n_id = torch.from_numpy(n_id)
        store.batch = torch.from_numpy(batch)
        store.age = torch.from_numpy(np.where(has_time, cutoffs[batch] - time, 0))
        store.has_time = torch.from_numpy(has_time)
    data[seed_type].batch_size = len(cutoffs)
    data[seed_type].seed_time = torch.from_numpy(cutoffs)
    for edge_type, edge_index in edges.items():
        data[reverse_edge_type(edge_type)].edge_index = torch.from_numpy(edge_index)
    return data
