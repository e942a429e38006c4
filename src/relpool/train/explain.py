"""One prediction explained: which sampled rows, tables and columns its output was most sensitive to.

The entity's subgraph is sampled once with the evaluation seed (:data:`~.split_predictions.EVAL_SEED`),
as the first batch of a prediction does, so an explanation is reproducible and its prediction is the
one ``predict`` gives the entity in a batch of its own (within a batch of many entities the sampler's
stream for it can differ, and with it the neighbours). Only rows visible at the cutoff can be sampled.
Integrated gradients (:mod:`relpool.nn.attribution`) scores every sampled row's encoded columns and age,
from the average row of its table (visible at the cutoff) as the baseline;
shares are of the total absolute attribution, so tables sum to 1 and rows and columns are shares of
the same total. They are not causal: they describe the model on this one sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relpool.errors import RelpoolError
from relpool.graph.csr import NO_TIME
from relpool.nn.attribution import Attribution, Background, attribute
from relpool.query.bind import BoundQuery
from relpool.train.config import ModelConfig
from relpool.train.data import cutoff_seconds, gather_frames, key_to_dense_id
from relpool.train.explain_rows import entity_row, paths, plain, read_rows
from relpool.train.history import item_history
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
) -> dict:
    """The explanation of the entity whose key is ``key_text``, among ``entities`` (entity, cutoff: those
    existing at the cutoff and passing the query's WHERE), as the JSON ``relpool explain`` prints."""
    if top < 1:
        raise RelpoolError(f"--top must be at least 1, got {top}")
    inspection, spec = prepared.inspection, settings.model
    table = spec.entity_table
    seed, key = entity_row(inspection, table, key_text)
    existing = key_to_dense_id(inspection, table, entities["entity"])
    where = np.flatnonzero(existing == seed)
    if not len(where):
        cutoff = pd.Timestamp(entities["cutoff"].iloc[0]).isoformat() if len(entities) else "the cutoff"
        raise RelpoolError(
            f"{table} {key_text!r} does not exist at {cutoff} (its row is newer, or it does not pass the query's WHERE)"
        )
    example = entities.iloc[where[:1]].reset_index(drop=True)
    cutoff = pd.Timestamp(example["cutoff"].iloc[0])
    batch = loop.sampler(EVAL_SEED).sample(table, np.array([seed]), cutoff_seconds(example["cutoff"]))
    item_frame = loop.tables[spec.item_table].tensor_frame if spec.item_table else None
    history = None
    if spec.history_features:
        assert settings.targets.item_keys is not None  # history features are link prediction's
        uses = item_history(inspection, bound, example, settings.targets.item_keys)
        history = uses.rows(np.arange(1))
    background = {
        t: _background(loop, t, int(cutoff_seconds(example["cutoff"])[0]))
        for t in batch.node_types
        if batch[t].num_nodes
    }
    attribution = attribute(loop.model, gather_frames(loop.tables, batch), batch, item_frame, history, background)
    kind = spec.kind
    predicted = kind.predictions(attribution.output, settings.targets, settings.rank_top).iloc[0]
    result: dict = {"entity": key, "cutoff": cutoff.isoformat(), "prediction": plain(predicted[kind.column])}
    if "probability" in predicted.index and kind.column != "probability":  # multiclass: the class and its probability
        result["probability"] = plain(predicted["probability"])
    return {**result, **_scores(prepared, attribution, batch, table, top)}


BACKGROUND_ROWS = 1024
"""Rows per table whose average is the attribution's baseline: evenly spaced over the rows visible at the cutoff."""


def _background(loop: Loop, table: str, cutoff: int) -> Background:
    """The rows of ``table`` visible at ``cutoff`` (at most :data:`BACKGROUND_ROWS`, evenly spaced, so
    the same every time), encoded, with their ages: no row after the cutoff shapes the baseline either."""
    times = loop.graph.node_time[table]
    visible = np.flatnonzero(times <= cutoff)
    picked = visible[np.unique(np.linspace(0, len(visible) - 1, min(len(visible), BACKGROUND_ROWS)).astype(np.int64))]
    has_time = times[picked] != NO_TIME
    return Background(
        frame=loop.tables[table].tensor_frame[torch.from_numpy(picked)],
        age=torch.from_numpy(np.where(has_time, cutoff - times[picked], 0)),
        has_time=torch.from_numpy(has_time),
    )


def _scores(prepared: Prepared, attribution: Attribution, batch, seed_type: str, top: int) -> dict:
    """tables, columns and the top rows, as shares of the total absolute attribution."""
    total = float(sum(s.sum() for s in attribution.scores.values())) or 1.0  # all zero: every share 0
    tables = {t: float(s.sum()) / total for t, s in attribution.scores.items()}
    columns = [
        {"table": t, "column": c, "score": float(v) / total}
        for t, s in attribution.scores.items()
        for c, v in zip(attribution.columns[t], s.sum(dim=0).tolist())
    ]
    ranked = sorted(
        (
            (-float(score) / total, t, int(n_id), i)
            for t in attribution.scores
            for i, (n_id, score) in enumerate(zip(batch[t].n_id.tolist(), attribution.row_scores(t).tolist()))
        ),
    )[:top]
    route = paths(batch, seed_type)
    looked_up = {}
    for t in dict.fromkeys(t for _, t, _, _ in ranked):
        ids = [n for _, u, n, _ in ranked if u == t]
        present = prepared.inspection.database.columns(t)
        read = [c for c in attribution.columns[t] if c in present]
        time_column = prepared.inspection.schema.tables[t].time_column
        looked_up[t] = read_rows(prepared.inspection, t, ids, read + ([time_column] if time_column else []))
    rows = []
    for share, t, n_id, i in ranked:
        key, values = looked_up[t][n_id]
        rows.append({"table": t, "key": key, "score": -share, "path": route.get((t, i), [t]), "values": values})
    return {
        "tables": [{"table": t, "score": s} for t, s in sorted(tables.items(), key=lambda x: (-x[1], x[0]))],
        "columns": sorted(columns, key=lambda c: (-c["score"], c["table"], c["column"])),
        "rows": rows,
    }
