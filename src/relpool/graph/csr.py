"""Compressed sparse rows for one edge type, with each row's neighbours sorted by time.

Sorting by time lets the sampler find a node's visible neighbours (time <= cutoff) with one
binary search: they are always a prefix of the row. Neighbour times are stored next to the
neighbour ids, so that search touches one contiguous array instead of gathering node times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_TIME = np.iinfo(np.int64).min
"""Time of a row from a table without a time column: sorts first and is <= every cutoff."""

_INT32_LIMIT = np.iinfo(np.int32).max
_MAX_KEY = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TemporalCSR:
    """Neighbours of every source node, time-ascending within each row.

    ``indices[indptr[v]:indptr[v + 1]]`` are the neighbours of ``v`` and ``times`` the same
    slice's neighbour times. ``indices`` is int32 when the destination ids fit, which keeps a
    directed edge at 12 bytes plus the row pointers.
    """

    indptr: np.ndarray  # int64 [num_src + 1]
    indices: np.ndarray  # int32 or int64 [E]
    times: np.ndarray  # int64 [E], aligned with indices
    num_dst: int

    @property
    def num_src(self) -> int:
        return len(self.indptr) - 1

    @property
    def num_edges(self) -> int:
        return len(self.indices)

    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.times.nbytes

    @classmethod
    def from_edges(
        cls,
        src: np.ndarray,
        dst: np.ndarray,
        num_src: int,
        num_dst: int,
        dst_time: np.ndarray,
    ) -> TemporalCSR:
        """Build from an edge list; ties in time keep neighbours in ascending id order.

        Destinations are first ranked by (time, id), so one sort of the integer key
        ``src * num_dst + rank`` orders all edges: much faster than a 3-key lexsort.
        """
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        dst_time = np.asarray(dst_time, dtype=np.int64)
        _check_edges(src, dst, num_src, num_dst, dst_time)
        by_time = np.argsort(dst_time, kind="stable")  # destinations in (time, id) order
        rank = np.empty(num_dst, dtype=np.int64)
        rank[by_time] = np.arange(num_dst)
        keys = np.sort(src * num_dst + rank[dst], kind="stable")  # stable: fast on presorted keys
        index_dtype = np.int32 if num_dst <= _INT32_LIMIT else np.int64
        indices = by_time[keys % max(num_dst, 1)].astype(index_dtype)
        indptr = np.zeros(num_src + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=num_src), out=indptr[1:])
        return cls(indptr=indptr, indices=indices, times=dst_time[indices], num_dst=num_dst)


def _check_edges(src, dst, num_src, num_dst, dst_time) -> None:
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError(f"src and dst must be 1-D of equal length, got {src.shape} and {dst.shape}")
    if dst_time.shape != (num_dst,):
        raise ValueError(f"dst_time must have num_dst={num_dst} entries, got {dst_time.shape}")
    if int(num_src) * int(num_dst) > _MAX_KEY:
        raise ValueError(f"{num_src} x {num_dst} nodes is too large for one edge type's sort key")
    for name, ids, limit in (("src", src, num_src), ("dst", dst, num_dst)):
        if len(ids) and (ids.min() < 0 or ids.max() >= limit):
            raise ValueError(f"{name} ids must lie in [0, {limit})")
