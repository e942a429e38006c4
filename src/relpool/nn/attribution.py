"""Gradient attribution of one seed's output to every sampled row's encoded input (integrated gradients).

The inputs attributed are what each row enters the network with: the per-column embeddings the
pytorch-frame stype encoders produce inside :class:`~relpool.nn.encoder.TableEncoder` ([rows,
columns, channels], before the ResNet backbone) and the row's age embedding. Integrated gradients
from a baseline gives each of them a share of ``f(inputs) - f(baseline)``; a row's score is the sum
of the absolute attributions over its columns and its age, so scores add up from columns to rows to
tables. The baseline of a row is the average row of its table (the mean column and age embeddings
of a background sample of the table's rows, as SHAP's background): what a row has in common with
every row of its table (a constant column, the same signup date) gets no credit; with no background
the baseline is zero, which credits the entity's own row with the network's intercept. The subgraph is the one given
(sampled once, by the caller): the scores explain that sample, not the model in general, and they
say what the output is sensitive to, not what causes the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch_frame import TensorFrame
from torch_geometric.data import HeteroData

from relpool.nn.encoder import TableEncoder
from relpool.nn.integrated_gradients import completeness_gap, integrated_gradients
from relpool.nn.model import RelationalModel

AGE_COLUMN = "_age"
"""The pseudo-column of a row's age embedding (for a table without time: its learned timeless vector)."""

STEPS = 16
"""Integration steps: enough for the completeness gap of small relational models to stay within a few percent."""


@dataclass
class Background:
    """Rows of one table whose average is the baseline of its rows: their encoded columns and ages."""

    frame: TensorFrame
    age: Tensor  # seconds before the seed's cutoff
    has_time: Tensor

    @property
    def size(self) -> int:
        return len(self.age)


@dataclass
class Attribution:
    """The seeds' outputs and their attributions, per sampled node type of the batch (one seed: :func:`attribute`)."""

    output: Tensor  # the model's output for the seeds, as forward gives it ([B] or [B, C])
    target: int | None  # the output column attributed (multiclass: the likeliest class; link: the top item)
    columns: dict[str, list[str]]  # node type -> column names, AGE_COLUMN last
    scores: dict[str, Tensor]  # node type -> [rows, columns] sum of |attribution| over the channels
    signed_total: float = 0.0  # the attributions' sum: f(inputs) - f(baseline), up to ``gap``
    gap: float = 0.0  # |f(inputs) - f(baseline) - signed_total|: integrated gradients' completeness error
    targets: Tensor | None = None  # every seed's attributed column ([B]; None for one-output kinds)

    def row_scores(self, node_type: str) -> Tensor:
        return self.scores[node_type].sum(dim=1)


def attribute(
    model: RelationalModel,
    frames: dict[str, TensorFrame],
    batch: HeteroData,
    item_frame: TensorFrame | None = None,
    history: tuple[Tensor, Tensor, Tensor] | None = None,
    background: dict[str, Background] | None = None,
    steps: int = STEPS,
    features: Tensor | None = None,
    delta: bool = True,
    targets: Tensor | None = None,
) -> Attribution:
    """Integrated gradients of the seed's output in a one-seed ``batch``, from the average row of each
    table's ``background`` (zero for a table without one). ``delta``: False skips measuring ``gap``.

    Binary and regression attribute the logit / standardised value; multiclass the likeliest class's
    logit; link prediction the score of the top-ranked item. ``targets`` ([1]) names that column instead:
    an ensemble's members attribute the ensemble's class, not each its own."""
    if batch[model.spec.entity_table].batch_size != 1:
        raise ValueError("attribute() explains one seed: sample a batch of one")
    return attribute_batch(model, frames, batch, item_frame, history, background, steps, None, delta, features, targets)


def attribute_batch(
    model: RelationalModel,
    frames: dict[str, TensorFrame],
    batch: HeteroData,
    item_frame: TensorFrame | None = None,
    history: tuple[Tensor, Tensor, Tensor] | None = None,
    background: dict[str, Background] | None = None,
    steps: int = STEPS,
    chunk_rows: int | None = None,
    delta: bool = True,
    features: Tensor | None = None,
    targets: Tensor | None = None,
) -> Attribution:
    """:func:`attribute` for every seed of ``batch`` at once: integrated gradients of the sum of the seeds'
    outputs. The sampler is disjoint (a node belongs to one seed's subgraph, ``batch[t].batch`` says whose),
    so each row's gradient is that of its own seed's output alone. ``output`` is [B] or [B, C], ``target``
    the first seed's column (``targets`` all of them), ``gap`` the summed completeness error.
    ``chunk_rows``: at most about this many sampled rows (over all copies) per forward pass, the integration
    steps split into chunks to bound memory (None: all steps at once). ``delta``: False skips measuring
    ``gap`` (two more forward passes; it is then 0). ``targets``: each seed's attributed column of a [B, C]
    output (None: the likeliest / top-ranked one)."""
    model.eval()
    seed_type = model.spec.entity_table
    seeds = batch[seed_type].batch_size
    encoders = {t: table_encoder(model, t) for t in batch.node_types}
    node_types = [t for t in batch.node_types if batch[t].num_nodes]
    slots: list[tuple[str, str]] = []  # (node type, "columns" | "age") of each input
    inputs: list[Tensor] = []
    baselines: list[Tensor] = []
    names: dict[str, list[str]] = {}
    with torch.no_grad():
        for node_type in node_types:
            store = batch[node_type]
            encoded = encoders[node_type].columns(frames[node_type])
            names[node_type] = (encoded[1] if encoded is not None else []) + [AGE_COLUMN]
            rows = (background or {}).get(node_type)
            if encoded is not None:
                slots.append((node_type, "columns"))
                inputs.append(encoded[0].unsqueeze(0))
                typical = encoders[node_type].columns(rows.frame) if rows is not None and rows.size else None
                baselines.append(_average(typical[0] if typical else None, inputs[-1]))
            slots.append((node_type, "age"))
            inputs.append(model.age(store.age, store.has_time).unsqueeze(0))
            typical_age = model.age(rows.age, rows.has_time) if rows is not None and rows.size else None
            baselines.append(_average(typical_age, inputs[-1]))

    def outputs(*scaled: Tensor) -> Tensor:
        """Every seed's output per integration step (dim 0 of every input), [steps, B] or [steps, B, C]: the
        steps' copies of the subgraph run as one batch, node ``i`` of step ``s`` at ``i * steps + s``, so the
        seeds come first (seed ``b`` of step ``s`` at ``b * steps + s``)."""
        copies = scaled[0].size(0)
        parts: dict[str, dict[str, Tensor]] = {t: {} for t in node_types}
        for (node_type, what), tensor in zip(slots, scaled):
            parts[node_type][what] = tensor.transpose(0, 1).reshape(-1, *tensor.shape[2:])
        x = {
            t: encoders[t].from_columns(parts[t].get("columns"), batch[t].num_nodes * copies) + parts[t]["age"]
            for t in node_types
        }
        embedded = model.propagate(x, _copies(batch, seed_type, copies, seeds))
        out = model.head_outputs(
            embedded, item_frame, copied_history(history, copies), copied_features(features, copies)
        )
        return out.reshape(seeds, copies, *out.shape[1:]).transpose(0, 1)

    with torch.no_grad():
        output = outputs(*inputs)[0]  # [B] or [B, C]: the unscaled inputs give the prediction, as forward does
    if targets is None and output.dim() == 2:
        targets = output.argmax(dim=1)

    def forward(*scaled: Tensor) -> Tensor:
        """One number per integration step: the sum of the seeds' attributed outputs."""
        out = outputs(*scaled)
        if targets is not None:
            out = out.gather(2, targets.view(1, -1, 1).expand(out.size(0), -1, 1)).squeeze(2)
        return out.sum(dim=1)

    rows_per_copy = sum(batch[t].num_nodes for t in node_types)
    chunk = None if chunk_rows is None else max(1, min(steps, chunk_rows // max(1, rows_per_copy)))
    frozen = [p for p in model.parameters() if p.requires_grad]
    for parameter in frozen:  # gradients of the inputs only: the weights' are never needed here
        parameter.requires_grad_(False)
    try:
        attributions = integrated_gradients(forward, inputs, baselines, steps, chunk)
        gap = completeness_gap(forward, inputs, baselines, attributions) if delta else torch.zeros(1)
    finally:
        for parameter in frozen:
            parameter.requires_grad_(True)
    scores: dict[str, list[Tensor]] = {t: [] for t in node_types}
    for (node_type, what), values in zip(slots, attributions):
        magnitude = values[0].detach().abs()
        scores[node_type].append(magnitude.sum(dim=-1) if what == "columns" else magnitude.sum(dim=-1, keepdim=True))
    return Attribution(
        output=output.detach(),
        target=None if targets is None else int(targets[0]),
        columns=names,
        scores={t: torch.cat(parts, dim=1) for t, parts in scores.items()},
        signed_total=float(sum(float(values.sum()) for values in attributions)),
        gap=float(gap.abs().sum()),
        targets=targets,
    )


def table_encoder(model: RelationalModel, node_type: str) -> TableEncoder:
    encoder = model.tables[node_type]
    assert isinstance(encoder, TableEncoder)  # every node type has one
    return encoder


def _average(rows: Tensor | None, like: Tensor) -> Tensor:
    """The mean of ``rows`` over dim 0, repeated for every row of ``like`` ([1, rows, ...]); zeros without rows."""
    if rows is None:
        return torch.zeros_like(like)
    return rows.mean(dim=0).expand_as(like[0]).unsqueeze(0).contiguous()


def _copies(batch: HeteroData, seed_type: str, copies: int, seeds: int = 1) -> HeteroData:
    """The batch's edges ``copies`` times over, interleaved (node ``i`` of copy ``s`` at ``i * copies + s``)."""
    data = HeteroData()
    step = torch.arange(copies).unsqueeze(1)
    for edge_type in batch.edge_types:
        index = batch[edge_type].edge_index
        data[edge_type].edge_index = torch.stack([(row.unsqueeze(0) * copies + step).reshape(-1) for row in index])
    data[seed_type].batch_size = copies * seeds
    return data


def copied_features(features: Tensor | None, copies: int) -> Tensor | None:
    """The hybrid GNN's auto-features of each seed, once for each of its interleaved copies (fixed inputs:
    explanations score the sampled rows, not the aggregates)."""
    return None if features is None else features.repeat_interleave(copies, dim=0)


def copied_history(history: tuple[Tensor, Tensor, Tensor] | None, copies: int) -> tuple[Tensor, Tensor, Tensor] | None:
    """Link prediction's past uses of the one example, once for each copy."""
    if history is None:
        return None
    row, item, features = history
    step = torch.arange(copies).repeat_interleave(len(row))
    return row.repeat(copies) * copies + step, item.repeat(copies), features.repeat(copies, 1)
