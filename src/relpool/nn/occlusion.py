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
from relpool.nn.occluded_states import occluded_seed_states


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
    owner = torch.cat([_owner(batch, t) for t in node_types])
    typical = _average_row(model, seed_type, (background or {}).get(seed_type))
    copies = torch.arange(len(owner))
    if typical is None:  # no average row to replace a seed's own with: it is not scored
        first = sum(batch[t].num_nodes for t in node_types[: node_types.index(seed_type)])
        copies = copies[(copies < first) | (copies >= first + seeds)]
    base, copies, changed = occluded_seed_states(model, x, batch, copies, typical, chunk_rows)
    output = model.head_outputs(base, item_frame, history, features)
    if output.dim() == 2 and targets is None:
        targets = output.argmax(dim=1)
    full = _select(output, targets)
    order = torch.argsort(owner[copies], stable=True)  # the head's inputs repeat per seed, in seed order
    copies, changed = copies[order], changed[order]
    seed_of = owner[copies]
    if model.features is not None:  # a seed's copies share its auto-features: embedded once
        assert features is not None, "a hybrid GNN needs each example's auto-features"
        changed = changed + model.features(features)[seed_of]
    out = model.task_head(changed, item_frame, _repeated_history(history, torch.bincount(seed_of, minlength=seeds)))
    effects = full[owner]  # a copy that changes no seed state keeps the full output
    effects[copies] = _select(out, None if targets is None else targets[seed_of])
    delta = (effects - full[owner]).abs()
    return dict(zip(node_types, torch.split(delta, [batch[t].num_nodes for t in node_types])))


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


FEATURE_CHUNK = 512
"""Seeds per pass of :func:`occlude_features` (each pass holds seeds x features x hidden values)."""


@torch.no_grad()
def occlude_features(model: RelationalModel, seeds: Tensor, features: Tensor, targets: Tensor | None) -> Tensor:
    """[B, features] the hybrid GNN's auto-feature scores: ``|f - f(feature at its training median)|`` of the
    attributed output, each feature set alone to the middle of its training CDF (rank 0, not missing), in the
    units of a row's occlusion score. ``seeds``: the seeds' subgraph embeddings, which stay fixed (only the
    feature input and the head run again)."""
    model.eval()
    assert model.features is not None  # only hybrid models have auto-features
    median = model.features.quantiles[:, model.features.quantiles.size(1) // 2]
    width = features.size(1)
    effects = torch.empty(len(features), width)
    for start in range(0, len(features), FEATURE_CHUNK):
        part = features[start : start + FEATURE_CHUNK]
        chosen = None if targets is None else targets[start : start + FEATURE_CHUNK]
        full = _select(model.head_outputs(seeds[start : start + len(part)], features=part), chosen)
        copies = seeds[start : start + len(part)].unsqueeze(1) + model.features.each_replaced(part, median)
        out = model.task_head(copies.view(-1, copies.size(2)))  # copy j: feature j at its median
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


def _average_row(model: RelationalModel, node_type: str, rows: Background | None) -> Tensor | None:
    """The input vector of ``node_type``'s average row: the mean column and age embeddings of ``rows``."""
    if rows is None or not rows.size:
        return None
    encoder = table_encoder(model, node_type)
    encoded = encoder.columns(rows.frame)
    columns = None if encoded is None else encoded[0].mean(dim=0, keepdim=True)
    age = model.age(rows.age, rows.has_time).mean(dim=0, keepdim=True)
    return (encoder.from_columns(columns, 1) + age)[0]
