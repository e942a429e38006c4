"""The numba hot loop of the temporal sampler: one call samples a contiguous range of seeds.

Each seed is sampled on its own (its own RNG stream, its own de-duplication), so a chunk of
seeds gives the same result whichever thread runs it and however the seeds are split into
chunks. De-duplication uses a small open-addressing hash table over global node ids
(``node_offset[type] + id``), sized to one seed's sample so it stays in cache; each entry is
tagged with its seed, so moving to the next seed needs no clearing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always", cache=True)
def mix64(z):
    """SplitMix64 finaliser: a well-spread 64-bit hash of ``z``."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def _below(rng, n):
    """A uniform integer in [0, n) from the SplitMix64 stream in ``rng[0]`` (n < 2**32)."""
    rng[0] += _GOLDEN
    return np.int64(((mix64(rng[0]) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(inline="always", cache=True)
def _visible_end(times, lo, hi, cutoff):
    """First slot in [lo, hi) whose time is > cutoff; rows are time-ascending.

    Branch-free steps, so the CPU can overlap the cache misses of many rows' searches.
    """
    n = hi - lo
    while n > 0:
        half = n >> 1
        right = times[lo + half] <= cutoff
        lo += (half + 1) * right
        n = half - (1 - (n & 1)) * right  # n - half - 1 when going right, else half
    return lo


@njit(inline="always", cache=True)
def _choose_uniform(rng, lo, n, k, chosen, taken):
    """Floyd's algorithm: k distinct slots of [lo, lo + n) in exactly k draws."""
    for c in range(k):
        j = n - k + c
        t = _below(rng, j + 1)
        if taken[t]:
            t = j
        taken[t] = True
        chosen[c] = lo + t
    for c in range(k):
        taken[chosen[c] - lo] = False


# Rows of the kernel's growable 2-D buffers (columns are nodes / edges / frontier rows).
NODE_TYPE, NODE_ID, NODE_BATCH, NODE_TIME, NODE_LOCAL = range(5)
EDGE_TYPE, EDGE_NBR, EDGE_TGT = range(3)
ROW_NODE, ROW_EDGE_TYPE, ROW_LO, ROW_VIS = range(4)
# Columns of the de-duplication table: the seed an entry belongs to, its global id, local index.
SLOT_SEED, SLOT_KEY, SLOT_LOCAL = range(3)


@njit(inline="always", cache=True)
def _home_slot(key, shift):
    """Fibonacci hashing of a node id to a table slot."""
    return np.int64((np.uint64(key) * _GOLDEN) >> shift)


@njit(inline="always", cache=True)
def _find_slot(table, key, shift, seed):
    """The slot holding ``key`` for ``seed``, or the free slot where it belongs (linear probing)."""
    mask = len(table) - 1
    i = _home_slot(key, shift)
    while table[i, SLOT_SEED] == seed and table[i, SLOT_KEY] != key:
        i = (i + 1) & mask
    return i


@njit(inline="always", cache=True)
def _put_slot(table, i, seed, key, local):
    table[i, SLOT_SEED] = seed
    table[i, SLOT_KEY] = key
    table[i, SLOT_LOCAL] = local


@njit(inline="always", cache=True)
def _put_node(nodes, at, node_type, node_id, batch, time, local):
    nodes[NODE_TYPE, at] = node_type
    nodes[NODE_ID, at] = node_id
    nodes[NODE_BATCH, at] = batch
    nodes[NODE_TIME, at] = time
    nodes[NODE_LOCAL, at] = local


@njit(inline="always", cache=True)
def _put_edge(edges, at, edge_type, nbr, tgt):
    edges[EDGE_TYPE, at] = edge_type
    edges[EDGE_NBR, at] = nbr
    edges[EDGE_TGT, at] = tgt


@njit(cache=True)
def _rehash(table, shift, seed):
    """A table twice as large holding the entries of ``seed``; older seeds' entries are dead."""
    shift = shift - np.uint64(1)
    bigger = np.full((2 * len(table), 3), -1, np.int64)
    for i in range(len(table)):
        if table[i, SLOT_SEED] == seed:
            j = _find_slot(bigger, table[i, SLOT_KEY], shift, seed)
            _put_slot(bigger, j, seed, table[i, SLOT_KEY], table[i, SLOT_LOCAL])
    return bigger, shift


@njit(cache=True)
def _grow(buffer, need):
    """``buffer`` with at least ``need`` columns, doubling so appends stay amortised O(1)."""
    if need <= buffer.shape[1]:
        return buffer
    bigger = np.empty((buffer.shape[0], max(need, 2 * buffer.shape[1])), buffer.dtype)
    bigger[:, : buffer.shape[1]] = buffer
    return bigger


@njit(inline="always", cache=True)
def _visible_rows(nodes, hop_lo, hop_hi, rows, cutoff, out_ptr, out_ets, indptrs, times, windows):
    """Every (frontier node, edge type) row with its visible slots [lo, vis), in one tight loop.

    Visible: time <= cutoff and, where the edge type has a history window ``w >= 0``, time > cutoff - w.
    Kept apart from the sampling so the cache misses of many rows' searches overlap.
    """
    nr = 0
    for p in range(hop_lo, hop_hi):
        v = nodes[NODE_ID, p]
        t = nodes[NODE_TYPE, p]
        for j in range(out_ptr[t], out_ptr[t + 1]):
            if nr == rows.shape[1]:
                rows = _grow(rows, nr + 1)
            r = out_ets[j]
            indptr = indptrs[r]
            vis = _visible_end(times[r], indptr[v], indptr[v + 1], cutoff)
            lo = indptr[v] if windows[r] < 0 else _visible_end(times[r], indptr[v], vis, cutoff - windows[r])
            rows[ROW_NODE, nr] = p
            rows[ROW_EDGE_TYPE, nr] = r
            rows[ROW_LO, nr] = lo
            rows[ROW_VIS, nr] = vis
            nr += 1
    return rows, nr


@njit(nogil=True, cache=True)
def sample_chunk(
    seed_type, seed_ids, seed_times, cutoffs, start, stop, call_key, fanouts, recent,
    node_offset, et_dst, out_ptr, out_ets, indptrs, indices, times, windows, taken,
):  # fmt: skip
    """Sample seeds ``start:stop``; return nodes grouped by type and edges grouped by edge type.

    ``windows[r]`` is edge type ``r``'s history window in seconds, or -1 for none (see ``_visible_rows``).

    Local node indices count per type within the chunk; the chunk's seeds take the first
    ``stop - start`` indices of the seed type. Returns ``(nodes_per_type, node_ids,
    node_batch, node_time, edges_per_type, edge_nbr, edge_tgt)`` where an edge goes from the
    sampled neighbour (``edge_nbr``) to the node it was sampled for (``edge_tgt``).
    """
    n_local = np.zeros(len(node_offset) - 1, np.int64)
    n_local[seed_type] = stop - start
    chosen = np.empty(max(1, fanouts.max()), np.int64)
    rng = np.zeros(1, np.uint64)
    table = np.full((4096, 3), -1, np.int64)
    shift = np.uint64(64 - 12)
    cap = max(64, (stop - start) * 64)
    nodes = np.empty((5, cap), np.int64)
    edges = np.empty((3, cap), np.int64)
    rows = np.empty((4, cap), np.int64)
    nn = 0
    ne = 0

    for s in range(start, stop):
        cutoff = cutoffs[s]
        rng[0] = mix64(call_key ^ mix64(np.uint64(s) + _GOLDEN))
        seed_first = nn
        nodes = _grow(nodes, nn + 1)
        _put_node(nodes, nn, seed_type, seed_ids[s], s, seed_times[s], s - start)
        seed_key = node_offset[seed_type] + seed_ids[s]
        _put_slot(table, _find_slot(table, seed_key, shift, s), s, seed_key, s - start)
        nn += 1
        hop_lo, hop_hi = seed_first, nn
        for k in fanouts:
            rows, nr = _visible_rows(nodes, hop_lo, hop_hi, rows, cutoff, out_ptr, out_ets, indptrs, times, windows)
            for row in range(nr):
                p, r, lo, vis = rows[ROW_NODE, row], rows[ROW_EDGE_TYPE, row], rows[ROW_LO, row], rows[ROW_VIS, row]
                m = min(vis - lo, k)
                if m == 0:
                    continue
                if recent or vis - lo <= k:
                    for c in range(m):
                        chosen[c] = vis - m + c
                else:
                    _choose_uniform(rng, lo, vis - lo, k, chosen, taken)
                if 2 * (nn - seed_first + m) > len(table):
                    table, shift = _rehash(table, shift, s)
                nodes = _grow(nodes, nn + m)
                edges = _grow(edges, ne + m)
                ind, tim, dst = indices[r], times[r], et_dst[r]
                for c in range(m):
                    u = np.int64(ind[chosen[c]])
                    key = node_offset[dst] + u
                    i = _find_slot(table, key, shift, s)
                    if table[i, SLOT_SEED] != s:
                        _put_slot(table, i, s, key, n_local[dst])
                        _put_node(nodes, nn, dst, u, s, tim[chosen[c]], n_local[dst])
                        n_local[dst] += 1
                        nn += 1
                    _put_edge(edges, ne, r, table[i, SLOT_LOCAL], nodes[NODE_LOCAL, p])
                    ne += 1
            hop_lo, hop_hi = hop_hi, nn
    return _group(nodes[:, :nn], edges[:, :ne], n_local, len(et_dst))


@njit(inline="always", cache=True)
def _group(nodes, edges, n_local, num_edge_types):
    """Counting sort: nodes by type (in local index order), edges by edge type (stable)."""
    type_start = np.zeros(len(n_local) + 1, np.int64)
    type_start[1:] = np.cumsum(n_local)
    node_out = np.empty((3, type_start[-1]), np.int64)
    for p in range(nodes.shape[1]):
        pos = type_start[nodes[NODE_TYPE, p]] + nodes[NODE_LOCAL, p]
        node_out[0, pos] = nodes[NODE_ID, p]
        node_out[1, pos] = nodes[NODE_BATCH, p]
        node_out[2, pos] = nodes[NODE_TIME, p]
    e_count = np.zeros(num_edge_types, np.int64)
    for i in range(edges.shape[1]):
        e_count[edges[EDGE_TYPE, i]] += 1
    e_next = np.cumsum(e_count) - e_count
    edge_out = np.empty((2, edges.shape[1]), np.int64)
    for i in range(edges.shape[1]):
        pos = e_next[edges[EDGE_TYPE, i]]
        e_next[edges[EDGE_TYPE, i]] += 1
        edge_out[0, pos] = edges[EDGE_NBR, i]
        edge_out[1, pos] = edges[EDGE_TGT, i]
    return n_local, node_out[0], node_out[1], node_out[2], e_count, edge_out[0], edge_out[1]
