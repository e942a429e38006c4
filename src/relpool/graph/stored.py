"""A :class:`TemporalGraph` saved as .npy files and loaded memory-mapped, so it need not fit in memory.

One file per array (each node type's times; each edge type's ``indptr``, ``indices`` and ``times``) and
``graph.json`` naming them in order. Loaded arrays are read-only maps of the files: the sampler only reads
them, and the operating system pages them in and out as it touches them.
"""

from __future__ import annotations

import json
from pathlib import Path

from relpool.arrays import load_npy, save_npy
from relpool.graph.csr import TemporalCSR
from relpool.graph.hetero import TemporalGraph

LAYOUT = "graph.json"


def save_graph(graph: TemporalGraph, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, times in enumerate(graph.node_time.values()):
        save_npy(folder / f"node_{i}_time.npy", times)
    for i, csr in enumerate(graph.edges.values()):
        for part in ("indptr", "indices", "times"):
            save_npy(folder / f"edge_{i}_{part}.npy", getattr(csr, part))
    layout = {
        "node_types": graph.node_types,
        "edge_types": [[list(e), csr.num_dst] for e, csr in graph.edges.items()],
    }
    (folder / LAYOUT).write_text(json.dumps(layout))


def load_graph(folder: Path) -> TemporalGraph:
    """The graph ``save_graph`` wrote to ``folder``, its arrays mapped; ``OSError``/``ValueError``/``KeyError``
    when a file is missing or damaged."""
    layout = json.loads((folder / LAYOUT).read_text())
    graph = TemporalGraph()
    for i, name in enumerate(layout["node_types"]):
        graph.node_time[name] = load_npy(folder / f"node_{i}_time.npy")
    for i, (edge_type, num_dst) in enumerate(layout["edge_types"]):
        indptr, indices, times = (load_npy(folder / f"edge_{i}_{part}.npy") for part in ("indptr", "indices", "times"))
        if len(indices) != len(times) or len(indptr) != len(graph.node_time[edge_type[0]]) + 1:
            raise ValueError(f"edge type {edge_type}: its arrays disagree in length")
        graph.edges[(edge_type[0], edge_type[1], edge_type[2])] = TemporalCSR(indptr, indices, times, num_dst)
    return graph
