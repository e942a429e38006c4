"""Occlusion (ablation) scores of every sampled row: how much a seed's output moves when the row is taken out.

A row other than the seed's own is taken out by removing its out-edges in the sampled batch (in every edge
type and layer), so it sends no messages; the seed's own row, which reaches the output through its own input
rather than through messages, is taken out by replacing its input (columns and age) with the average row of
its table (the mean embeddings of the table's ``background`` rows, as integrated gradients' baseline; with no
background its score is 0). A row's score is ``|f(batch) - f(batch without the row)|`` of the attributed
output (:mod:`relpool.nn.attribution`: the logit, standardised value, likeliest class's logit or top item's
score), each row taken out alone. Every seed's rows are occluded in one batched pass: each seed's subgraph
is copied once per its own row (not per the batch's largest subgraph's), copy ``c`` taking out the seed's
``c``-th row, which the disjoint sampler keeps independent of the other seeds; the copies are split into
passes of at most about ``chunk_rows`` sampled rows.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_frame import TensorFrame
from torch_geometric.data import HeteroData

from relpool.nn.attribution import Background, table_encoder
from relpool.nn.model import RelationalModel


@torch.no_grad()
def occlude(
    model: RelationalModel,
    frames: dict[str, TensorFrame],
    batch: HeteroData,
    item_frame: TensorFrame | None = None,
    history: tuple[Tensor, Tensor, Tensor] | None = None,
    background: dict[str, Background] | None = None,
    targets: Tensor | None = None,
    chunk_rows: int | None = None,
    features: Tensor | None = None,
) -> dict[str, Tensor]:
    """Node type -> [rows] the occlusion score of each sampled row (see the module), for every seed of
    ``batch`` at once. ``targets``: each seed's attributed output column of a [B, C] output (None: the
    likeliest / top-ranked one)."""
    model.eval()
    seed_type = model.spec.entity_table
    seeds = batch[seed_type].batch_size
    node_types = [t for t in batch.node_types if batch[t].num_nodes]
    x = {
        t: model.tables[t](frames[t], batch[t].num_nodes) + model.age(batch[t].age, batch[t].has_time)
        for t in node_types
    }
    owners = {t: _owner(batch, t) for t in node_types}
    ranks = _ranks(owners, seeds)
    counts = torch.bincount(torch.cat(list(owners.values())), minlength=seeds)  # each seed's own row count
    output = model.head_outputs(model.propagate(x, batch), item_frame, history, features)
    if output.dim() == 2 and targets is None:
        targets = output.argmax(dim=1)
    full = _select(output, targets)
    typical = _average_row(model, seed_type, (background or {}).get(seed_type))
    effects = full.unsqueeze(1).repeat(1, int(counts.max()))
    for first, last in _copy_ranges(counts, chunk_rows):
        made = torch.clamp(counts - first, 0, last - first)  # copies of each seed in this pass
        starts = {t: _starts(made[owners[t]]) for t in node_types}
        copied = {t: v.repeat_interleave(made[owners[t]], dim=0) for t, v in x.items()}
        seed_start = starts[seed_type][:seeds]
        own = ranks[seed_type][:seeds]
        if typical is not None:  # each seed's own row, in the copy that takes it out: the average row
            hit = (own >= first) & (own < first + made)
            copied[seed_type][seed_start[hit] + own[hit] - first] = typical
        data = HeteroData()
        for edge_type in batch.edge_types:
            index = batch[edge_type].edge_index
            if edge_type[0] not in ranks or edge_type[2] not in ranks:  # no sampled rows at one end: no edges
                data[edge_type].edge_index = index
                continue
            source, target = index
            repeats = made[owners[edge_type[0]][source]]
            step = _within(repeats)
            source, target = source.repeat_interleave(repeats), target.repeat_interleave(repeats)
            keep = ranks[edge_type[0]][source] != step + first  # copy c drops the out-edges of each seed's c-th row
            data[edge_type].edge_index = torch.stack(
                [(starts[edge_type[0]][source] + step)[keep], (starts[edge_type[2]][target] + step)[keep]]
            )
        data[seed_type].batch_size = int(made.sum())
        seed_of = torch.repeat_interleave(made)
        out = model.head_outputs(
            model.propagate(copied, data),
            item_frame,
            _repeated_history(history, made),
            None if features is None else features.repeat_interleave(made, dim=0),
        )
        effects[seed_of, first + _within(made)] = _select(out, None if targets is None else targets[seed_of])
    if typical is None:  # no average row to replace the seed's own with: it is not scored
        effects[torch.arange(seeds), ranks[seed_type][:seeds]] = full
    delta = (effects - full.unsqueeze(1)).abs()
    return {t: delta[owners[t], ranks[t]] for t in node_types}


def _copy_ranges(counts: Tensor, chunk_rows: int | None) -> list[tuple[int, int]]:
    """Ranges of copy numbers, one forward pass each: copy ``c`` holds the subgraphs of the seeds with more than
    ``c`` rows (each seed is copied once per its own row, not the largest subgraph's), at most about
    ``chunk_rows`` rows per pass (at least one copy; None: all copies at once)."""
    copies = int(counts.max()) if len(counts) else 0
    if chunk_rows is None:
        return [(0, copies)] if copies else []
    ordered = torch.sort(counts).values
    rows = ordered.flip(0).cumsum(0).flip(0)  # rows[i]: the rows of the seeds at least as large as ordered[i]
    cost = rows[torch.searchsorted(ordered, torch.arange(copies), right=True).clamp(max=len(ordered) - 1)]
    ranges, first, total = [], 0, 0
    for c, size in enumerate(cost.tolist()):
        if c > first and total + size > chunk_rows:
            ranges.append((first, c))
            first, total = c, 0
        total += size
    ranges.append((first, copies))
    return ranges


def _starts(repeats: Tensor) -> Tensor:
    """Where each node's first copy lands when node ``i`` is repeated ``repeats[i]`` times in place."""
    return torch.cumsum(repeats, 0) - repeats


def _within(repeats: Tensor) -> Tensor:
    """For ``repeat_interleave(repeats)``'s output: each element's number among its own item's repeats."""
    return torch.arange(int(repeats.sum())) - _starts(repeats).repeat_interleave(repeats)


def _repeated_history(
    history: tuple[Tensor, Tensor, Tensor] | None, made: Tensor
) -> tuple[Tensor, Tensor, Tensor] | None:
    """Link prediction's past uses of each seed, once for each of the seed's copies (fixed inputs)."""
    if history is None:
        return None
    row, item, values = history
    repeats = made[row]
    return (
        _starts(made)[row].repeat_interleave(repeats) + _within(repeats),
        item.repeat_interleave(repeats),
        values.repeat_interleave(repeats, dim=0),
    )


def blend(columns: dict[str, Tensor], rows: dict[str, Tensor]) -> dict[str, Tensor]:
    """[rows, columns] scores whose row sums are ``rows`` (occlusion) and whose split over a row's columns is
    that of ``columns`` (integrated gradients' |attribution|); a row with no attribution splits evenly."""
    out = {}
    for t, score in columns.items():
        total = score.sum(dim=1, keepdim=True)
        split = torch.where(total > 0, score / total.clamp(min=1e-30), torch.full_like(score, 1.0 / score.size(1)))
        out[t] = split * rows[t].to(score.dtype).unsqueeze(1)
    return out


FEATURE_CHUNK = 64
"""Seeds per pass of :func:`occlude_features` (each pass holds seeds x features x features values)."""


@torch.no_grad()
def occlude_features(
    model: RelationalModel, frames: dict[str, TensorFrame], batch: HeteroData, features: Tensor, targets: Tensor | None
) -> Tensor:
    """[B, features] the hybrid GNN's auto-feature scores: ``|f - f(feature at its training median)|`` of the
    attributed output, each feature set alone to the middle of its training CDF (rank 0, not missing), in the
    units of a row's occlusion score. The subgraph's embedding is fixed, so only the head runs again."""
    model.eval()
    assert model.features is not None  # only hybrid models have auto-features
    seeds = model.seed_embeddings(frames, batch)
    median = model.features.quantiles[:, model.features.quantiles.size(1) // 2]
    width = features.size(1)
    effects = torch.empty(len(features), width)
    for start in range(0, len(features), FEATURE_CHUNK):
        part = features[start : start + FEATURE_CHUNK]
        chosen = None if targets is None else targets[start : start + FEATURE_CHUNK]
        full = _select(model.head_outputs(seeds[start : start + len(part)], features=part), chosen)
        copies = part.repeat_interleave(width, dim=0).view(len(part), width, width)
        copies[:, torch.arange(width), torch.arange(width)] = median  # copy j has feature j at its median
        repeated = seeds[start : start + len(part)].repeat_interleave(width, dim=0)
        out = model.head_outputs(repeated, features=copies.view(-1, width))
        picked = _select(out, None if chosen is None else chosen.repeat_interleave(width))
        effects[start : start + len(part)] = (picked.view(len(part), width) - full.unsqueeze(1)).abs()
    return effects


def _select(out: Tensor, targets: Tensor | None) -> Tensor:
    """One number per seed: the output itself ([B]) or its ``targets`` column."""
    if out.dim() == 1 or targets is None:
        return out
    return out.gather(1, targets.view(-1, 1)).squeeze(1)


def _owner(batch: HeteroData, node_type: str) -> Tensor:
    store = batch[node_type]
    owner = getattr(store, "batch", None)
    return owner if owner is not None else torch.zeros(store.num_nodes, dtype=torch.long)


def _ranks(owners: dict[str, Tensor], seeds: int) -> dict[str, Tensor]:
    """Node type -> each node's position among its own seed's sampled nodes (node types in order)."""
    owner = torch.cat(list(owners.values()))
    order = torch.argsort(owner, stable=True)
    first = torch.zeros(seeds, dtype=torch.long)
    counts = torch.bincount(owner, minlength=seeds)
    first[1:] = torch.cumsum(counts, 0)[:-1]
    rank = torch.empty_like(owner)
    rank[order] = torch.arange(len(owner)) - first[owner[order]]
    return dict(zip(owners, torch.split(rank, [len(o) for o in owners.values()])))


def _average_row(model: RelationalModel, node_type: str, rows: Background | None) -> Tensor | None:
    """The input vector of ``node_type``'s average row: the mean column and age embeddings of ``rows``."""
    if rows is None or not rows.size:
        return None
    encoder = table_encoder(model, node_type)
    encoded = encoder.columns(rows.frame)
    columns = None if encoded is None else encoded[0].mean(dim=0, keepdim=True)
    age = model.age(rows.age, rows.has_time).mean(dim=0, keepdim=True)
    return (encoder.from_columns(columns, 1) + age)[0]
