"""Temporal neighbour sampling for mini-batches of (seed node, cutoff) pairs.

PyG's NeighborLoader needs pyg-lib for temporal sampling, which cannot be installed here, so
this is relpool's own. Seeds are split into one contiguous chunk per thread; each chunk runs
the numba kernel with the GIL released, and the chunks are stitched together in seed order.
Because every seed has its own RNG stream and its own de-duplication, the batch is the same
for any number of threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from torch_geometric.data import HeteroData

from relpool.graph.batch import build_batch, check_seeds
from relpool.graph.hetero import TemporalGraph, is_history
from relpool.graph.sample_kernel import mix64, sample_chunk
from relpool.graph.stitch import stitch_chunks

STRATEGIES = ("uniform", "recent")


def check_sampler_args(fanouts, strategy: str, history_window: int | None = None) -> np.ndarray:
    if history_window is not None and (not isinstance(history_window, (int, np.integer)) or history_window <= 0):
        raise ValueError(f"history_window must be a positive number of seconds or None, got {history_window!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    fanouts = np.asarray(fanouts, dtype=np.int64)
    if fanouts.ndim != 1 or len(fanouts) == 0 or (fanouts <= 0).any():
        raise ValueError(f"fanouts must be a non-empty list of positive ints, got {fanouts}")
    return fanouts


class TemporalSampler:
    """Disjoint temporal neighbour sampler: every seed gets its own subgraph.

    Hop ``h`` takes up to ``fanouts[h]`` neighbours per edge type from every node first
    reached at hop ``h - 1``, among neighbours with time <= the seed's cutoff (rows without
    time are always visible). ``uniform`` draws without replacement; ``recent`` takes the most
    recent ones. Within one seed a node appears once; across seeds nodes are never shared.

    ``history_window`` (seconds) limits every history (see :func:`~relpool.graph.hetero.is_history`) of a
    table with times to its rows in (cutoff - window, cutoff]: on long histories the old rows are mostly
    noise to a question about the next week, and an average over them drowns the recent ones. Parents and
    rows of tables without time are reached as before.

    Results depend only on ``seed`` and on how many ``sample`` calls came before, never on
    ``num_threads``. One call at a time per sampler (calls are serialised by a lock). The
    graph is read at construction: edge types added later are not seen.
    """

    def __init__(
        self,
        graph: TemporalGraph,
        fanouts,
        strategy: str = "uniform",
        seed: int = 0,
        num_threads: int | None = None,
        history_window: int | None = None,
    ) -> None:
        self.graph = graph
        self.fanouts = check_sampler_args(fanouts, strategy, history_window)
        self.strategy = strategy
        self.history_window = history_window
        self.seed = seed
        self.num_threads = num_threads or numba.get_num_threads()
        self._calls = 0
        self._lock = threading.Lock()
        self._node_types = graph.node_types
        self._edge_types = graph.edge_types
        self._arrays = _kernel_arrays(graph, history_window)
        max_degree = max((int(np.diff(c.indptr).max(initial=0)) for c in graph.edges.values()), default=0)
        self._taken = [np.zeros(max(1, max_degree), np.bool_) for _ in range(self.num_threads)]
        self._pool = ThreadPoolExecutor(self.num_threads) if self.num_threads > 1 else None

    def sample(self, seed_type: str, seed_ids, cutoffs) -> HeteroData:
        """Sample one mini-batch; see :mod:`relpool.graph.batch` for its layout."""
        seed_ids, cutoffs = check_seeds(self.graph, seed_type, seed_ids, cutoffs)
        st = self._node_types.index(seed_type)
        with self._lock:
            call_key = np.uint64(mix64(np.uint64(self.seed % 2**64) ^ mix64(np.uint64(self._calls))))
            self._calls += 1
            num_chunks = max(1, min(self.num_threads, len(seed_ids)))
            bounds = np.linspace(0, len(seed_ids), num_chunks + 1).astype(np.int64)
            seed_times = self.graph.node_time[seed_type][seed_ids]

            def run(w: int):
                return sample_chunk(
                    st, seed_ids, seed_times, cutoffs, bounds[w], bounds[w + 1], call_key, self.fanouts,
                    self.strategy == "recent", **self._arrays, taken=self._taken[w],
                )  # fmt: skip

            workers = range(len(bounds) - 1)
            chunks = list(self._pool.map(run, workers) if self._pool and len(workers) > 1 else map(run, workers))
        nodes, edges = stitch_chunks(chunks, bounds, st, self._node_types, self._edge_types)
        return build_batch(seed_type, cutoffs, nodes, edges)


_warming: list[threading.Thread] = []


def warm_up() -> None:
    """Start numba's CPU target on a background thread, once per process.

    A process's first jitted call sets it up (0.6-1.4 s: registries, scipy's BLAS lookup), however the kernels
    are cached; started while the process reads a database (DuckDB and Arrow work without the GIL), the first
    ``sample`` only loads its kernel. Not a daemon, so an early exit waits for it rather than cutting numba off.
    """
    if not _warming:
        _warming.append(threading.Thread(target=lambda: mix64(np.uint64(0)), name="relpool-numba-warm-up"))
        _warming[0].start()


def history_windows(graph: TemporalGraph, history_window: int | None) -> np.ndarray:
    """Per edge type, the window in seconds that bounds its rows from below, or -1 for none."""
    if history_window is None:
        return np.full(len(graph.edge_types), -1, np.int64)
    timed = {t: graph.has_time(t) for t in {r[2] for r in graph.edge_types if is_history(r)}}  # one scan a table
    return np.array([history_window if is_history(r) and timed[r[2]] else -1 for r in graph.edge_types], np.int64)


def _kernel_arrays(graph: TemporalGraph, history_window: int | None) -> dict:
    """The graph as flat arrays and tuples of per-edge-type arrays the kernel can take."""
    node_types = graph.node_types
    counts = [graph.num_nodes(t) for t in node_types]
    node_offset = np.zeros(len(counts) + 1, np.int64)
    node_offset[1:] = np.cumsum(counts)
    et_src = np.array([node_types.index(s) for s, _, _ in graph.edge_types], np.int64)
    et_dst = np.array([node_types.index(d) for _, _, d in graph.edge_types], np.int64)
    out_ets = np.argsort(et_src, kind="stable").astype(np.int64)
    out_ptr = np.zeros(len(node_types) + 1, np.int64)
    out_ptr[1:] = np.cumsum(np.bincount(et_src, minlength=len(node_types)))
    csrs = list(graph.edges.values())
    index_dtype = np.result_type(np.int32, *[c.indices.dtype for c in csrs])
    return dict(
        node_offset=node_offset,
        et_dst=et_dst,
        out_ptr=out_ptr,
        out_ets=out_ets,
        indptrs=_array_tuple([c.indptr for c in csrs], np.int64),
        indices=_array_tuple([c.indices for c in csrs], index_dtype),
        times=_array_tuple([c.times for c in csrs], np.int64),
        windows=history_windows(graph, history_window),
    )


def _array_tuple(arrays: list[np.ndarray], dtype) -> tuple[np.ndarray, ...]:
    """The arrays as one homogeneous tuple: numba compiles the kernel for it once and caches it on disk.

    (A numba typed List would do too, but its own methods compile again in every process: 1.5-3 s.)
    Every item is a read-only view, so arrays built in memory and read-only maps of the prepared-data
    cache give the kernel one type, with no copy. The kernel is compiled per tuple length, so the tuple is
    padded with empty arrays to a power of two: few lengths, few compilations, whatever the schema.
    """
    items = [_read_only(a.astype(dtype, copy=False)) for a in arrays]
    padding = [_read_only(np.empty(0, dtype))] * (_power_of_two(len(items)) - len(items))
    return tuple(items + padding)


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def _read_only(array: np.ndarray) -> np.ndarray:
    view = np.ascontiguousarray(array).view(np.ndarray)
    view.flags.writeable = False
    return view
