"""The temporal graph of a database and its time-correct neighbour sampler."""

from relpool.graph.csr import NO_TIME, TemporalCSR
from relpool.graph.hetero import EdgeType, TemporalGraph, reverse_edge_type, reverse_relation
from relpool.graph.reference import NumpyTemporalSampler
from relpool.graph.sampler import TemporalSampler

__all__ = [
    "NO_TIME",
    "EdgeType",
    "NumpyTemporalSampler",
    "TemporalCSR",
    "TemporalGraph",
    "TemporalSampler",
    "reverse_edge_type",
    "reverse_relation",
]
