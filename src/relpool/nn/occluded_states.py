"""Every seed's embedding with each of its sampled rows taken out in turn, recomputing only what a removal changes.

Copy ``k`` takes out node ``k`` of the batch (nodes numbered over the node types in order): it drops ``k``'s
out-edges in every layer and, where ``k`` is a seed and ``typical`` is given, replaces its input by
``typical``. Copying every seed's whole subgraph once per row and running every layer on every copy costs
the square of a subgraph's size; but a removal changes layer ``l``'s output only at the targets of ``k``'s
out-edges and of rows changed at layer ``l - 1`` (and at those rows themselves, through the residual), and
only rows within ``L - l`` hops of a seed feed its layer-``L`` output. So copy ``k`` runs layer ``l`` on
those rows alone, with their in-neighbours' states taken from the one pass over the whole batch or from
copy ``k``'s own layer ``l - 1``: with fanout 16,8, a few dozen rows per copy instead of twice the
subgraph. The layers are called as they are (``layer(x, edge_index, inputs)``) on small batches made of those rows,
so any per-target pool works unchanged; the scores equal the copies' to float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from relpool.graph.hetero import EdgeType
from relpool.nn.model import RelationalModel


@dataclass
class Flat:
    """The batch's nodes numbered 0..G-1 over its node types in order, and its edges between them."""

    types: list[str]  # the node types with rows, in the batch's order (each layer's dict order)
    sizes: list[int]
    type_of: Tensor  # [G] each node's index in ``types``
    edge_types: list[EdgeType]  # those with both ends in ``types``, in the batch's order
    source: Tensor  # [E] global ids
    target: Tensor
    kind: Tensor  # [E] each edge's index in ``edge_types``
    by_target: Tensor  # edge ids sorted by target; ``in_start[v]:in_start[v + 1]`` are v's in-edges
    in_start: Tensor
    by_source: Tensor  # the same by source
    out_start: Tensor

    @property
    def nodes(self) -> int:
        return len(self.type_of)


def flatten(batch: HeteroData, types: list[str]) -> Flat:
    sizes = [batch[t].num_nodes for t in types]
    offset = dict(zip(types, (torch.cumsum(torch.tensor([0, *sizes]), 0)[:-1]).tolist()))
    edge_types = [e for e in batch.edge_types if e[0] in offset and e[2] in offset]
    indices = [batch[e].edge_index for e in edge_types]
    empty = torch.empty(0, dtype=torch.long)
    source = torch.cat([i[0] + offset[e[0]] for e, i in zip(edge_types, indices)] or [empty])
    target = torch.cat([i[1] + offset[e[2]] for e, i in zip(edge_types, indices)] or [empty])
    kind = torch.cat([torch.full((i.size(1),), n) for n, i in enumerate(indices)] or [empty])
    total = sum(sizes)
    type_of = torch.repeat_interleave(torch.arange(len(types)), torch.tensor(sizes, dtype=torch.long))
    by_target, in_start = _csr(target, total)
    by_source, out_start = _csr(source, total)
    return Flat(types, sizes, type_of, edge_types, source, target, kind, by_target, in_start, by_source, out_start)


def _csr(ends: Tensor, nodes: int) -> tuple[Tensor, Tensor]:
    order = torch.argsort(ends, stable=True)
    start = torch.zeros(nodes + 1, dtype=torch.long)
    start[1:] = torch.cumsum(torch.bincount(ends, minlength=nodes), 0)
    return order, start


def _expand(start: Tensor, order: Tensor, nodes: Tensor) -> tuple[Tensor, Tensor]:
    """For each of ``nodes`` its edges in a CSR (``start``, ``order``): (the position in ``nodes`` each edge belongs
    to, the edge id), every node's edges in turn."""
    counts = start[nodes + 1] - start[nodes]
    owner = torch.repeat_interleave(counts)
    within = torch.arange(len(owner)) - (torch.cumsum(counts, 0) - counts)[owner]
    return owner, order[start[nodes][owner] + within]


def needed(flat: Flat, seeds: Tensor, layers: int) -> list[Tensor]:
    """Per layer output ``l`` = 0..L, the mask of nodes whose layer-``l`` state a seed's final embedding reads:
    the seeds at ``L``, and at ``l - 1`` also every source of an edge into a node needed at ``l``."""
    mask = torch.zeros(flat.nodes, dtype=torch.bool)
    mask[seeds] = True
    masks = [mask]
    for _ in range(layers):
        mask = mask.clone()
        mask[flat.source[masks[-1][flat.target]]] = True
        masks.append(mask)
    return masks[::-1]


@torch.no_grad()
def occluded_seed_states(
    model: RelationalModel,
    x: dict[str, Tensor],
    batch: HeteroData,
    copies: Tensor,
    typical: Tensor | None,
    chunk_rows: int | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """(every seed's embedding, the copies among ``copies`` whose seed embedding changes, those embeddings):
    copy ``k`` takes out node ``k`` (see the module). A copy whose node reaches no seed within the layers
    changes nothing and is left out. ``chunk_rows``: at most about that many of the copies' seeds' sampled
    rows per pass (their subgraphs bound what a copy recomputes; None: one pass)."""
    types = list(x)
    flat = flatten(batch, types)
    seed_type = model.spec.entity_table
    seeds = torch.arange(batch[seed_type].batch_size) + sum(flat.sizes[: types.index(seed_type)])
    layers = list(model.layers)
    states, inputs = [torch.cat([x[t] for t in types])], x
    edge_index = {e: batch[e].edge_index for e in flat.edge_types}
    for layer in layers:  # as RelationalModel.propagate runs them, keeping every layer's states
        x = layer(x, edge_index, inputs)
        states.append(torch.cat([x[t] for t in types]))
    masks = needed(flat, seeds, len(layers))
    owner = _owners(batch, types)
    copies = copies[masks[0][copies]]
    is_seed = torch.zeros(flat.nodes, dtype=torch.bool)
    is_seed[seeds] = True
    found_copies, found_states = [], []
    for part in _chunks(copies, owner, chunk_rows):
        first = keys, values = _replaced_inputs(part, is_seed, typical, flat.nodes)
        for layer, mask, before in zip(layers, masks[1:], states[:-1]):
            keys, values = _layer(layer, flat, part, (keys, values, before), (*first, states[0]), mask)
        copy, node = keys // flat.nodes, keys % flat.nodes
        at_seed = node == seeds[owner[copy]] if len(keys) else torch.zeros(0, dtype=torch.bool)
        found_copies.append(copy[at_seed])
        found_states.append(values[at_seed])
    base = states[-1][seeds]
    if not found_copies:
        return base, torch.empty(0, dtype=torch.long), base[:0]
    return base, torch.cat(found_copies), torch.cat(found_states)


def _owners(batch: HeteroData, types: list[str]) -> Tensor:
    """Each node's seed (its position among the seeds), over the node types in order."""
    parts = []
    for t in types:
        owner = getattr(batch[t], "batch", None)
        parts.append(owner if owner is not None else torch.zeros(batch[t].num_nodes, dtype=torch.long))
    return torch.cat(parts)


def _chunks(copies: Tensor, owner: Tensor, chunk_rows: int | None) -> list[Tensor]:
    """``copies`` in passes of at most about ``chunk_rows`` rows of their seeds' subgraphs (at least one copy)."""
    if chunk_rows is None or not len(copies):
        return [copies] if len(copies) else []
    size = torch.bincount(owner)[owner[copies]]
    cost = torch.cumsum(size, 0)
    cuts = torch.unique(torch.div(cost - 1, chunk_rows, rounding_mode="floor"), return_counts=True)[1]
    return list(torch.split(copies, cuts.tolist()))


def _replaced_inputs(copies: Tensor, is_seed: Tensor, typical: Tensor | None, nodes: int) -> tuple[Tensor, Tensor]:
    """The changed layer-0 states (keys ``copy * nodes + node``, sorted; their vectors): each seed's own copy
    with ``typical`` as its input; none without ``typical``."""
    if typical is None:
        return copies[:0], torch.empty(0, 0)
    own = torch.sort(copies[is_seed[copies]]).values
    return own * nodes + own, typical.unsqueeze(0).expand(len(own), -1)


def _found(keys: Tensor, wanted: Tensor) -> Tensor:
    """Which of ``wanted`` are in the sorted ``keys``."""
    if not len(keys):
        return torch.zeros(len(wanted), dtype=torch.bool)
    at = torch.searchsorted(keys, wanted).clamp(max=len(keys) - 1)
    return keys[at] == wanted


def _looked_up(rows: Tensor, node: Tensor, keys: Tensor, values: Tensor, full: Tensor) -> Tensor:
    """The vectors of ``rows`` (keys; ``node`` their nodes): a copy's own where ``keys`` has one, else the full pass's."""
    found = full[node]
    hit = _found(keys, rows)
    if hit.any():
        found[hit] = values[torch.searchsorted(keys, rows[hit])].to(found.dtype)
    return found


def _layer(
    layer: torch.nn.Module,
    flat: Flat,
    copies: Tensor,
    states: tuple[Tensor, Tensor, Tensor],
    inputs: tuple[Tensor, Tensor, Tensor],
    mask: Tensor,
) -> tuple[Tensor, Tensor]:
    """One layer on the rows each copy changes: ``states`` (keys and vectors of the states the copies changed,
    every node's state in the full pass) before it -> the changed keys and vectors after it; ``inputs`` the
    same of the layer-0 inputs (a pool's query may read them). The rows' in-neighbours that a copy left as
    they were are one row each, read by every copy."""
    keys, values, before = states
    g = flat.nodes
    copy, node = keys // g, keys % g
    spread_owner, spread_edge = _expand(flat.out_start, flat.by_source, node)  # what changed rows send to
    cut_owner, cut_edge = _expand(flat.out_start, flat.by_source, copies)  # the removed rows' targets
    candidates = torch.cat(
        [keys, copy[spread_owner] * g + flat.target[spread_edge], copies[cut_owner] * g + flat.target[cut_edge]]
    )
    changed = torch.unique(candidates[mask[candidates % g]])
    target_copy, target_node = changed // g, changed % g
    edge_owner, edge = _expand(flat.in_start, flat.by_target, target_node)
    edge_copy, source = target_copy[edge_owner], flat.source[edge]
    kept = source != edge_copy  # copy k drops node k's out-edges
    edge_owner, edge, source, edge_copy = edge_owner[kept], edge[kept], source[kept], edge_copy[kept]
    own = edge_copy * g + source
    shared = g * g + source  # a source the copy did not change: one row for every copy that reads it
    sources = torch.where(_found(keys, own), own, shared)
    rows, position = torch.unique(torch.cat([changed, sources]), return_inverse=True)
    row_node = rows % g
    x_rows, input_rows = _looked_up(rows, row_node, *states), _looked_up(rows, row_node, *inputs)
    row_type = flat.type_of[row_node]
    order = torch.argsort(row_type, stable=True)
    counts = torch.bincount(row_type, minlength=len(flat.types))
    local = torch.empty_like(order)
    local[order] = torch.arange(len(order)) - (torch.cumsum(counts, 0) - counts)[row_type[order]]
    x_sub = dict(zip(flat.types, torch.split(x_rows[order], counts.tolist())))
    inputs_sub = dict(zip(flat.types, torch.split(input_rows[order], counts.tolist())))
    target_position, source_position = position[: len(changed)][edge_owner], position[len(changed) :]
    edge_kind = flat.kind[edge]
    edges = {
        e: torch.stack([local[source_position[edge_kind == n]], local[target_position[edge_kind == n]]])
        for n, e in enumerate(flat.edge_types)
    }
    out = layer(x_sub, edges, inputs_sub)
    after = torch.cat([out[t] for t in flat.types])  # rows sorted by type
    by_row = torch.empty_like(after)
    by_row[order] = after
    return changed, by_row[position[: len(changed)]]
