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


@njit(inline="always", cache=True)
def _home_slot(key, shift):
    """Fibonacci hashing of a node id to a table slot."""
    return np.int64((np.uint64(key) * _GOLDEN) >> shift)


@njit(cache=True)
def _rehash(table_seed, table_key, table_local, shift, seed):
    """A table twice as large holding the entries of ``seed``; older seeds' entries are dead."""
    cap = 2 * len(table_key)
    shift = shift - np.uint64(1)
    new_seed = np.full(cap, -1, np.int64)
    new_key = np.empty(cap, np.int64)
    new_local = np.empty(cap, np.int64)
    for i in range(len(table_key)):
        if table_seed[i] == seed:
            j = _home_slot(table_key[i], shift)
            while new_seed[j] == seed:
                j = (j + 1) & (cap - 1)
            new_seed[j] = seed
            new_key[j] = table_key[i]
            new_local[j] = table_local[i]
    return new_seed, new_key, new_local, shift


@njit(cache=True)
def _grow(a, need):
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), a.dtype)
    b[: len(a)] = a
    return b


@njit(nogil=True, cache=True)
def sample_chunk(
    seed_type, seed_ids, seed_times, cutoffs, start, stop, call_key, fanouts, recent,
    node_offset, et_dst, out_ptr, out_ets, indptrs, indices, times, taken,
):  # fmt: skip
    """Sample seeds ``start:stop``; return nodes grouped by type and edges grouped by edge type.

    Local node indices count per type within the chunk; the chunk's seeds take the first
    ``stop - start`` indices of the seed type. Returns ``(nodes_per_type, node_ids,
    node_batch, node_time, edges_per_type, edge_nbr, edge_tgt)`` where an edge goes from the
    sampled neighbour (``edge_nbr``) to the node it was sampled for (``edge_tgt``).
    """
    num_types = len(node_offset) - 1
    num_seeds = stop - start
    n_local = np.zeros(num_types, np.int64)
    n_local[seed_type] = num_seeds
    chosen = np.empty(max(1, fanouts.max()), np.int64)
    rng = np.zeros(1, np.uint64)
    table_seed = np.full(4096, -1, np.int64)
    table_key = np.empty(4096, np.int64)
    table_local = np.empty(4096, np.int64)
    shift = np.uint64(64 - 12)

    cap = max(64, num_seeds * 64)
    node_type = np.empty(cap, np.int64)
    node_id = np.empty(cap, np.int64)
    node_batch = np.empty(cap, np.int64)
    node_time = np.empty(cap, np.int64)
    node_local = np.empty(cap, np.int64)
    edge_et = np.empty(cap, np.int64)
    edge_nbr = np.empty(cap, np.int64)
    edge_tgt = np.empty(cap, np.int64)
    row_node = np.empty(cap, np.int64)
    row_et = np.empty(cap, np.int64)
    row_lo = np.empty(cap, np.int64)
    row_vis = np.empty(cap, np.int64)
    nn = 0
    ne = 0

    for s in range(start, stop):
        cutoff = cutoffs[s]
        rng[0] = mix64(call_key ^ mix64(np.uint64(s) + _GOLDEN))
        seed_first = nn
        node_type[nn] = seed_type
        node_id[nn] = seed_ids[s]
        node_batch[nn] = s
        node_time[nn] = seed_times[s]
        node_local[nn] = s - start
        seed_key = node_offset[seed_type] + seed_ids[s]
        i = _home_slot(seed_key, shift)
        table_seed[i] = s
        table_key[i] = seed_key
        table_local[i] = s - start
        nn += 1
        hop_lo, hop_hi = seed_first, nn
        for k in fanouts:
            # Pass 1: every frontier row's visible range, in a tight loop whose misses overlap.
            nr = 0
            for p in range(hop_lo, hop_hi):
                t = node_type[p]
                v = node_id[p]
                for j in range(out_ptr[t], out_ptr[t + 1]):
                    if nr == len(row_node):
                        row_node = _grow(row_node, nr + 1)
                        row_et = _grow(row_et, nr + 1)
                        row_lo = _grow(row_lo, nr + 1)
                        row_vis = _grow(row_vis, nr + 1)
                    r = out_ets[j]
                    indptr = indptrs[r]
                    row_node[nr] = p
                    row_et[nr] = r
                    row_lo[nr] = indptr[v]
                    row_vis[nr] = _visible_end(times[r], indptr[v], indptr[v + 1], cutoff)
                    nr += 1
            # Pass 2: choose among the visible neighbours and add them to the seed's subgraph.
            for row in range(nr):
                p, r, lo, vis = row_node[row], row_et[row], row_lo[row], row_vis[row]
                n = vis - lo
                m = min(n, k)
                if m == 0:
                    continue
                if recent or n <= k:
                    for c in range(m):
                        chosen[c] = vis - m + c
                else:
                    _choose_uniform(rng, lo, n, k, chosen, taken)
                if 2 * (nn - seed_first + m) > len(table_key):
                    table_seed, table_key, table_local, shift = _rehash(table_seed, table_key, table_local, shift, s)
                if nn + m > len(node_type):
                    node_type = _grow(node_type, nn + m)
                    node_id = _grow(node_id, nn + m)
                    node_batch = _grow(node_batch, nn + m)
                    node_time = _grow(node_time, nn + m)
                    node_local = _grow(node_local, nn + m)
                if ne + m > len(edge_et):
                    edge_et = _grow(edge_et, ne + m)
                    edge_nbr = _grow(edge_nbr, ne + m)
                    edge_tgt = _grow(edge_tgt, ne + m)
                ind = indices[r]
                tim = times[r]
                dst = et_dst[r]
                base = node_offset[dst]
                mask = len(table_key) - 1
                for c in range(m):
                    u = np.int64(ind[chosen[c]])
                    i = _home_slot(base + u, shift)
                    while table_seed[i] == s and table_key[i] != base + u:
                        i = (i + 1) & mask
                    if table_seed[i] == s:
                        q = table_local[i]
                    else:
                        q = n_local[dst]
                        n_local[dst] += 1
                        table_seed[i] = s
                        table_key[i] = base + u
                        table_local[i] = q
                        node_type[nn] = dst
                        node_id[nn] = u
                        node_batch[nn] = s
                        node_time[nn] = tim[chosen[c]]
                        node_local[nn] = q
                        nn += 1
                    edge_et[ne] = r
                    edge_nbr[ne] = q
                    edge_tgt[ne] = node_local[p]
                    ne += 1
            hop_lo, hop_hi = hop_hi, nn

    type_start = np.zeros(num_types + 1, np.int64)
    type_start[1:] = np.cumsum(n_local)
    ids_out = np.empty(type_start[-1], np.int64)
    batch_out = np.empty(type_start[-1], np.int64)
    time_out = np.empty(type_start[-1], np.int64)
    for p in range(nn):
        pos = type_start[node_type[p]] + node_local[p]
        ids_out[pos] = node_id[p]
        batch_out[pos] = node_batch[p]
        time_out[pos] = node_time[p]

    e_count = np.zeros(len(et_dst), np.int64)
    for i in range(ne):
        e_count[edge_et[i]] += 1
    e_next = np.zeros(len(et_dst), np.int64)
    e_next[1:] = np.cumsum(e_count)[:-1]
    nbr_out = np.empty(ne, np.int64)
    tgt_out = np.empty(ne, np.int64)
    for i in range(ne):
        pos = e_next[edge_et[i]]
        e_next[edge_et[i]] += 1
        nbr_out[pos] = edge_nbr[i]
        tgt_out[pos] = edge_tgt[i]
    return n_local, ids_out, batch_out, time_out, e_count, nbr_out, tgt_out
