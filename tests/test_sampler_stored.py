"""The numba sampler on a graph mapped from the prepared-data cache: the same batches, its arrays not copied."""

import numpy as np
from test_sampler import shop

from relpool.graph import TemporalSampler
from relpool.graph.stored import load_graph, save_graph


def _batch_arrays(data) -> list[np.ndarray]:
    stores = [data[t] for t in data.node_types] + [data[e] for e in data.edge_types]
    return [value.numpy() for store in stores for value in store.values() if hasattr(value, "numpy")]


def test_a_mapped_graph_samples_the_batches_of_the_graph_in_memory(tmp_path):
    graph = shop()
    save_graph(graph, tmp_path / "g")
    mapped = load_graph(tmp_path / "g")
    args = ("customer", [0, 0, 1, 2, 0], [25, 100, 14, 100, 5])
    for strategy in ("uniform", "recent"):
        fresh = TemporalSampler(graph, [2, 4], strategy=strategy, seed=3, num_threads=2).sample(*args)
        stored = TemporalSampler(mapped, [2, 4], strategy=strategy, seed=3, num_threads=2).sample(*args)
        for a, b in zip(_batch_arrays(fresh), _batch_arrays(stored), strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_kernel_reads_the_maps_themselves_in_a_padded_tuple(tmp_path):
    save_graph(shop(), tmp_path / "g")
    mapped = load_graph(tmp_path / "g")
    arrays = TemporalSampler(mapped, [2])._arrays
    csrs = list(mapped.edges.values())
    assert len(csrs) == 6 and len(arrays["indptrs"]) == 8  # padded to a power of two: few compiled variants
    for csr, indptr, times in zip(csrs, arrays["indptrs"], arrays["times"], strict=False):
        assert np.shares_memory(indptr, csr.indptr) and np.shares_memory(times, csr.times)
        assert not indptr.flags.writeable
    assert [len(a) for a in arrays["indptrs"][6:]] == [0, 0]
