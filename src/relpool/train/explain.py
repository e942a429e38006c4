"""One prediction explained: which sampled rows, tables and columns its output was most sensitive to.

The entity's subgraph is sampled once with the evaluation seed (:data:`~.split_predictions.EVAL_SEED`),
as the first batch of a prediction does, so an explanation is reproducible and its prediction is the
one ``predict`` gives the entity in a batch of its own (within a batch of many entities the sampler's
stream for it can differ, and with it the neighbours). Only rows visible at the cutoff can be sampled.
A row's score is its occlusion score (:mod:`relpool.nn.occlusion`: |change of the output| when the row
alone sends no messages; the entity's own row: when its input is the average row of its table), split
over its columns and age as integrated gradients (:mod:`relpool.nn.attribution`, from the average row of
each table visible at the cutoff) splits its absolute attribution. A hybrid GNN's auto-features score
the same way (each alone set to its training median: :func:`~relpool.nn.occlusion.occlude_features`) and
count as columns of their source tables. Shares are of the total, so tables and columns sum to 1 (rows,
without the features, to less). They are not causal: they describe the model on this one sample.
With an attention pool (adaptive) each row also carries its path's ``attention``: the product of the weights
the pools gave the edges from the row to the entity, i.e. where the entity's query looked, which can differ
from what moved the output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from relpool.autofeat.table import source_table
from relpool.errors import RelpoolError
from relpool.nn.attribution import STEPS, Background, attribute, attribute_batch
from relpool.nn.model import RelationalModel
from relpool.nn.occlusion import blend, occlude, occlude_features
from relpool.query.bind import BoundQuery
from relpool.train.config import ModelConfig
from relpool.train.data import cutoff_seconds, gather_frames
from relpool.train.explain_background import background as table_background
from relpool.train.explain_members import averaged
from relpool.train.explain_rows import check_order, find_example, path_attention, plain, read_rows, shares
from relpool.train.history import ItemHistory, item_history
from relpool.train.loop import Loop
from relpool.train.prepare import Prepared
from relpool.train.split_predictions import EVAL_SEED


def explain_entity(
    prepared: Prepared,
    loop: Loop,
    bound: BoundQuery,
    settings: ModelConfig,
    entities: pd.DataFrame,
    key_text: str,
    top: int = 10,
    features: Callable[[pd.DataFrame], torch.Tensor | None] = lambda _: None,
    order: str = "score",
) -> dict:
    """The explanation of the entity keyed ``key_text`` among ``entities`` (entity, cutoff: those existing at the
    cutoff and passing the query's WHERE; ``features``: a hybrid GNN's inputs of one), as ``relpool explain`` prints;
    ``order``: its rows by score, or by attention weight (:data:`~relpool.train.explain_rows.ORDERS`)."""
    if top < 1:
        raise RelpoolError(f"--top must be at least 1, got {top}")
    check_order(order, loop.model.weighs_rows, settings.model.pool)
    inspection, spec, table = prepared.inspection, settings.model, settings.model.entity_table
    example, seed, key = find_example(inspection, table, entities, key_text)
    cutoff = pd.Timestamp(example["cutoff"].iloc[0])
    batch = loop.sampler(EVAL_SEED).sample(table, np.array([seed]), cutoff_seconds(example["cutoff"]))
    item_frame = loop.tables[spec.item_table].tensor_frame if spec.item_table else None
    history = None
    if spec.history_features:
        assert settings.targets.item_keys is not None  # history features are link prediction's
        uses = item_history(inspection, bound, example, settings.targets.item_keys)
        history = uses.rows(np.arange(1))
    at = int(cutoff_seconds(example["cutoff"])[0])
    background = {t: table_background(loop, t, at) for t in batch.node_types if batch[t].num_nodes}
    frames, members = gather_frames(loop.tables, batch), loop.members
    inputs = features(example)
    for member in members:
        member.eval()
    with torch.no_grad():  # the served output first: every member attributes and occludes its class or item
        embedded = [m.seed_embeddings(frames, batch) for m in members]  # also what auto-features are scored from
        output = averaged([m.head_outputs(e, item_frame, history, inputs) for m, e in zip(members, embedded)])
    targets = output.argmax(dim=1) if output.dim() == 2 else None
    attribution = averaged(
        [
            attribute(m, frames, batch, item_frame, history, background, features=inputs, delta=False, targets=targets)
            for m in members
        ]
    )
    rows = averaged(
        [occlude(m, frames, batch, item_frame, history, background, targets, features=inputs) for m in members]
    )
    kind = spec.kind
    predicted = kind.predictions(output, settings.targets, settings.rank_top).iloc[0]
    result: dict = {"entity": key, "cutoff": cutoff.isoformat(), "prediction": plain(predicted[kind.column])}
    if "probability" in predicted.index and kind.column != "probability":  # multiclass: the class and its probability
        result["probability"] = plain(predicted["probability"])
    auto = averaged([_auto_features(m, e, inputs, targets, inspection) for m, e in zip(members, embedded)])
    with torch.no_grad():
        attention = averaged([path_attention(batch, table, m.attention(frames, batch)) for m in members])
    scores = blend(attribution.scores, rows)
    one = [] if auto is None else list(zip(auto.sources, auto.names, auto.scores[0].tolist()))
    return {**result, **shares(inspection, attribution.columns, scores, batch, table, top, one, attention, order)}


@dataclass
class AutoScores:
    """A hybrid GNN's auto-feature occlusion scores, in a row's units (|change of the output|), so rows and
    features share one total; a feature counts as a column of its source table."""

    sources: list[str]  # per feature, its source table
    names: list[str]
    scores: torch.Tensor  # [seeds, features]


def _auto_features(
    model: RelationalModel, seeds: torch.Tensor | None, inputs, targets, inspection
) -> AutoScores | None:
    """Every seed's auto-feature scores from its subgraph embedding ``seeds``; None for a plain GNN."""
    if inputs is None or seeds is None:
        return None
    names = model.spec.entity_features
    sources = [source_table(n, list(inspection.schema.tables)) for n in names]
    return AutoScores(sources, names, occlude_features(model, seeds, inputs, targets))


CHUNK_ROWS = 65_536
"""Sampled rows (over all integration copies) per forward pass of a batch's attribution: bounds its memory."""

OCCLUSION_ROWS = 262_144
"""Sampled rows (over all occluded copies) per forward pass of a batch's occlusion: no gradients, so more."""


@dataclass
class Explained:
    """Many predictions explained together, in the examples' order (see :func:`explain_examples`)."""

    outputs: torch.Tensor  # the model's outputs, exactly as predict computes them
    rows: list[list[dict]]  # per example its top rows, best first: table, key, score (and values when asked)
    tables: pd.DataFrame  # per example (row) and table (column): the table's share of the attribution
    columns: pd.DataFrame  # per example and (table, column): the column's share


def explain_examples(
    prepared: Prepared,
    loop: Loop,
    seeds: np.ndarray,
    cutoffs: np.ndarray,
    history: ItemHistory | None = None,
    top: int = 3,
    values: bool = False,
    steps: int = STEPS,
    features: torch.Tensor | None = None,
    columns: bool = True,
) -> Explained:
    """Explain every example (dense ``seeds`` at int64 ``cutoffs``) while predicting it: predict's batches and
    sampler (:data:`EVAL_SEED`, examples grouped by cutoff, so the subgraphs and outputs of a one-cutoff
    call are predict's), and integrated gradients and occlusion over each whole batch at once
    (:func:`attribute_batch`, :func:`~relpool.nn.occlusion.occlude`).
    An example's shares are of its own subgraph's total, as :func:`explain_entity` computes them.
    ``columns``: False skips integrated gradients, which only split a row's score over its columns (the rows
    and tables are the same; ``Explained.columns`` then has none): ``predict --explain`` lists rows only."""
    if top < 1:
        raise RelpoolError(f"--explain-top must be at least 1, got {top}")
    for member in loop.members:
        member.eval()
    entity, size = loop.entity, loop.options.batch_size * 2
    sampler = loop.sampler(EVAL_SEED)
    item_frame = loop.tables[loop.item_table].tensor_frame if loop.item_table else None
    outputs: list[torch.Tensor | None] = [None] * len(seeds)
    found: list[tuple[np.ndarray, list]] = []  # (example indices, per-node arrays) of each batch
    tables: dict[str, dict[int, float]] = {}
    column_shares: dict[tuple[str, str], dict[int, float]] = {}
    for cutoff in np.unique(cutoffs):
        group = np.flatnonzero(cutoffs == cutoff)
        background: dict[str, Background] = {}
        for start in range(0, len(group), size):
            index = group[start : start + size]
            batch = sampler.sample(entity, seeds[index], cutoffs[index])
            frames = gather_frames(loop.tables, batch)
            uses = history.rows(index) if history is not None else None
            inputs = None if features is None else features[torch.as_tensor(index)]
            with torch.no_grad():  # forward's two halves: the embeddings also serve the auto-features' scores
                embedded = [m.seed_embeddings(frames, batch) for m in loop.members]
                out = averaged([m.head_outputs(e, item_frame, uses, inputs) for m, e in zip(loop.members, embedded)])
            for t in batch.node_types:
                if batch[t].num_nodes and t not in background:
                    background[t] = table_background(loop, t, int(cutoff))
            for i, example in enumerate(index):
                outputs[example] = out[i]
            targets = out.argmax(dim=1) if out.dim() == 2 else None  # the attributed column, as attribution picks it
            rows = averaged(
                [
                    occlude(m, frames, batch, item_frame, uses, background, targets, OCCLUSION_ROWS, inputs)
                    for m in loop.members
                ]
            )
            if columns:
                attribution = averaged(
                    [
                        attribute_batch(
                            m, frames, batch, item_frame, uses, background, steps, CHUNK_ROWS, False, inputs, targets
                        )
                        for m in loop.members
                    ]
                )
                names, scores = attribution.columns, blend(attribution.scores, rows)
            else:  # each row's score whole, in no column
                names, scores = {t: [] for t in rows}, {t: r.unsqueeze(1) for t, r in rows.items()}
            auto = averaged(
                [_auto_features(m, e, inputs, targets, prepared.inspection) for m, e in zip(loop.members, embedded)]
            )
            nodes = _per_seed(names, scores, batch, len(index), index, tables, column_shares, auto)
            found.append((index, nodes))
    return Explained(
        outputs=torch.stack([o for o in outputs if o is not None]) if len(seeds) else torch.empty(0),
        rows=_top_rows(prepared, loop, found, len(seeds), top, values),
        tables=pd.DataFrame(tables).reindex(range(len(seeds))).fillna(0.0),
        columns=pd.DataFrame(column_shares).reindex(range(len(seeds))).fillna(0.0),
    )


def _per_seed(
    names: dict[str, list[str]],
    blended: dict,
    batch,
    seeds: int,
    index: np.ndarray,
    tables: dict,
    columns: dict,
    auto: AutoScores | None,
) -> list:
    """Each example's table and column shares (into ``tables`` / ``columns``: name -> {example: share}), a
    hybrid GNN's ``auto`` features counted as columns of their source tables, and every sampled node's
    (table, dense id, example, share) for ranking rows."""
    scores = {t: s.double() for t, s in blended.items()}
    owner = {t: batch[t].batch for t in scores}
    totals = torch.zeros(seeds, dtype=torch.float64)
    for t, s in scores.items():
        totals.index_add_(0, owner[t], s.sum(dim=1))
    if auto is not None:
        totals += auto.scores.double().sum(dim=1)
    totals[totals == 0] = 1.0  # all zero: every share 0
    nodes = []
    for t, s in scores.items():
        per_column = torch.zeros(seeds, s.size(1), dtype=torch.float64).index_add_(0, owner[t], s) / totals[:, None]
        share = per_column.sum(dim=1).numpy()
        tables.setdefault(t, {}).update(zip(index.tolist(), share.tolist()))
        for c, name in enumerate(names[t]):
            columns.setdefault((t, name), {}).update(zip(index.tolist(), per_column[:, c].tolist()))
        row_share = (s.sum(dim=1) / totals[owner[t]]).numpy()
        nodes.append((t, batch[t].n_id.numpy(), index[owner[t].numpy()], row_share))
    if auto is not None:
        part = auto.scores.double() / totals[:, None]
        examples = index.tolist()
        for source in dict.fromkeys(auto.sources):
            shares = tables.setdefault(source, {})
            extra = part[:, [j for j, s in enumerate(auto.sources) if s == source]].sum(dim=1).tolist()
            shares.update((e, shares.get(e, 0.0) + v) for e, v in zip(examples, extra))
        for j, (source, name) in enumerate(zip(auto.sources, auto.names)):
            columns.setdefault((source, name), {}).update(zip(examples, part[:, j].tolist()))
    return nodes


def _top_rows(prepared: Prepared, loop: Loop, found: list, count: int, top: int, values: bool) -> list[list[dict]]:
    """The ``top`` rows of every example, best first (ties by table name, then dense id, as one explanation
    ranks them), their keys (and values) read back from the store once per table."""
    nodes = [node for _, part in found for node in part]
    names = sorted({t for t, *_ in nodes})

    def joined(position: int, dtype) -> np.ndarray:
        return np.concatenate([np.asarray(node[position], dtype) for node in nodes] or [np.empty(0, dtype)])

    table = np.concatenate([np.full(len(node[1]), names.index(node[0])) for node in nodes] or [np.empty(0, np.int64)])
    ids, example, share = joined(1, np.int64), joined(2, np.int64), joined(3, np.float64)
    order = np.lexsort((ids, table, -share, example))
    table, ids, example, share = table[order], ids[order], example[order], share[order]
    first = np.searchsorted(example, example, side="left")
    keep = np.arange(len(example)) - first < top
    table, ids, example, share = table[keep], ids[keep], example[keep], share[keep]
    inspection = prepared.inspection
    looked_up = {}
    for i, t in enumerate(names):
        wanted = np.unique(ids[table == i]).tolist()
        if not wanted:
            continue
        read: list[str] = []
        if values:
            present = inspection.database.columns(t)
            time_column = inspection.schema.tables[t].time_column
            read = [c for cs in loop.tables[t].tensor_frame.col_names_dict.values() for c in cs if c in present]
            read += [time_column] if time_column else []
        looked_up[t] = read_rows(inspection, t, wanted, read)
    rows: list[list[dict]] = [[] for _ in range(count)]
    for t, n_id, e, s in zip(table.tolist(), ids.tolist(), example.tolist(), share.tolist()):
        key, row_values = looked_up[names[t]][n_id]
        rows[e].append({"table": names[t], "key": key, "score": s, **({"values": row_values} if values else {})})
    return rows
