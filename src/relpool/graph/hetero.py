"""The temporal graph of a database: one node type per table, one CSR per edge type."""

from __future__ import annotations

import numpy as np

from relpool.graph.csr import NO_TIME, TemporalCSR

EdgeType = tuple[str, str, str]
"""(source node type, relation, destination node type)."""

_REVERSE_PREFIX = "rev_"


def reverse_relation(relation: str) -> str:
    """The name of the opposite direction: ``fk_x`` <-> ``rev_fk_x``."""
    if relation.startswith(_REVERSE_PREFIX):
        return relation[len(_REVERSE_PREFIX) :]
    return _REVERSE_PREFIX + relation


def is_history(edge_type: EdgeType) -> bool:
    """Whether the edge type leads from a row to the rows that point at it by foreign key (``rev_fk_*``):
    the many side, an entity's history, which a history window limits; the other way leads to one parent."""
    return edge_type[1].startswith(_REVERSE_PREFIX)


def reverse_edge_type(edge_type: EdgeType) -> EdgeType:
    src, relation, dst = edge_type
    return (dst, reverse_relation(relation), src)


class TemporalGraph:
    """Node types with their row times, and edge types with their time-sorted CSR.

    Node times are int64 seconds; rows of tables without a time hold :data:`NO_TIME` and are
    visible at every cutoff.
    """

    def __init__(self) -> None:
        self.node_time: dict[str, np.ndarray] = {}
        self.edges: dict[EdgeType, TemporalCSR] = {}

    @property
    def node_types(self) -> list[str]:
        return list(self.node_time)

    @property
    def edge_types(self) -> list[EdgeType]:
        return list(self.edges)

    def num_nodes(self, node_type: str) -> int:
        return len(self.node_time[node_type])

    def has_time(self, node_type: str) -> bool:
        """Whether the table has a time column (its rows are not all :data:`NO_TIME`)."""
        return bool((self.node_time[node_type] != NO_TIME).any())

    def add_node_type(self, name: str, num_nodes: int, time: np.ndarray | None = None) -> None:
        """Register a table's rows; ``time=None`` means the table has no time column."""
        if name in self.node_time:
            raise ValueError(f"node type {name!r} already exists")
        if time is None:
            time = np.full(num_nodes, NO_TIME, dtype=np.int64)
        time = np.ascontiguousarray(time, dtype=np.int64)
        if time.shape != (num_nodes,):
            raise ValueError(f"{name}: expected {num_nodes} times, got shape {time.shape}")
        self.node_time[name] = time

    def add_edge_type(self, edge_type: EdgeType, src: np.ndarray, dst: np.ndarray) -> None:
        """Add one directed edge type from an edge list of dense ids."""
        if edge_type in self.edges:
            raise ValueError(f"edge type {edge_type} already exists")
        src_type, _, dst_type = edge_type
        self.edges[edge_type] = TemporalCSR.from_edges(
            src, dst, self.num_nodes(src_type), self.num_nodes(dst_type), self.node_time[dst_type]
        )

    def add_foreign_key(
        self,
        child_type: str,
        column: str,
        parent_type: str,
        child_ids: np.ndarray,
        parent_ids: np.ndarray,
    ) -> int:
        """Add ``(child, fk_<column>, parent)`` and its reverse ``(parent, rev_fk_<column>, child)``.

        ``parent_ids[i]`` is the dense parent id of row ``child_ids[i]``, or -1 when the key
        points at no row. Such dangling edges are dropped; the return value is how many.
        """
        child_ids = np.asarray(child_ids, dtype=np.int64)
        parent_ids = np.asarray(parent_ids, dtype=np.int64)
        present = parent_ids >= 0
        child_ids, parent_ids = child_ids[present], parent_ids[present]
        forward = (child_type, f"fk_{column}", parent_type)
        self.add_edge_type(forward, child_ids, parent_ids)
        self.add_edge_type(reverse_edge_type(forward), parent_ids, child_ids)
        return int(len(present) - present.sum())

    def num_edges(self) -> int:
        return sum(csr.num_edges for csr in self.edges.values())

    def nbytes(self) -> int:
        """Bytes of structure and times (CSRs and node times), features excluded."""
        return sum(csr.nbytes() for csr in self.edges.values()) + sum(t.nbytes for t in self.node_time.values())
