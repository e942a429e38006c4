"""Occlusion recomputes only the rows a removal changes: its scores must be those of one whole forward pass per
row taken out (leave-one-out by hand), for every pool, deeper networks than the sample, and a hybrid GNN's
auto-features."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

import relpool
from relpool.encode import HashingEmbedder
from relpool.nn.model import RelationalModel
from relpool.nn.occlusion import _average_row, occlude, occlude_features
from relpool.train.data import gather_frames
from relpool.train.explain_background import background as _background
from relpool.train.explain_rows import entity_row
from relpool.train.split_predictions import EVAL_SEED

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days")
AT = "2020-01-20"


@pytest.fixture(scope="module")
def sampled(shop_db, tmp_path_factory):
    """A tiny hybrid GNN's prepared loop and a sampled batch of five customers with its background rows."""
    out = tmp_path_factory.mktemp("occlusion") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY)
    model = relpool.Model.load(out)
    model.explain(shop_db, "5", at=AT)
    session = model._sessions.current
    assert session is not None
    loop, prepared = session.loop, session.prepared
    seeds = np.array([entity_row(prepared.inspection, "customers", str(k))[0] for k in (1, 2, 3, 5, 8)])
    cutoff = pd.Timestamp(AT).value // 10**9
    batch = loop.sampler(EVAL_SEED).sample("customers", seeds, np.full(len(seeds), cutoff))
    background = {t: _background(loop, t, cutoff) for t in batch.node_types if batch[t].num_nodes}
    features = torch.randn(len(seeds), len(loop.model.spec.entity_features))
    return loop, prepared, batch, gather_frames(loop.tables, batch), background, features


def variant(loop, prepared, **changes) -> RelationalModel:
    """A freshly initialised network of the trained one's shape with ``changes`` (seeded weights); another pool
    drops the trained pool's options (the adaptive pool's heads)."""
    torch.manual_seed(0)
    spec = loop.model.spec
    options = spec.pool_options if changes.get("pool", spec.pool) == spec.pool else {}
    model = RelationalModel(replace(spec, pool_options=options, **changes), prepared.col_stats, prepared.col_names)
    if model.features is not None:
        model.features.quantiles.copy_(loop.model.features.quantiles)
    return model.eval()


def leave_one_out(model, frames, batch, background, features) -> dict[str, torch.Tensor]:
    """Each sampled row's score by hand: a whole forward pass with that row's out-edges dropped (the seed's own
    row: also its input replaced by its table's average row)."""
    types = [t for t in batch.node_types if batch[t].num_nodes]
    seed_type, seeds = model.spec.entity_table, batch[model.spec.entity_table].batch_size
    typical = _average_row(model, seed_type, background[seed_type])
    with torch.no_grad():
        x = model._inputs(frames, batch)
        full = model.head_outputs(model.propagate(x, batch), features=features)
        scores = {}
        for t in types:
            scores[t] = torch.empty(batch[t].num_nodes)
            for i in range(batch[t].num_nodes):
                cut, inputs = batch.clone(), {k: v.clone() for k, v in x.items()}
                for e in cut.edge_types:
                    if e[0] == t:
                        cut[e].edge_index = cut[e].edge_index[:, cut[e].edge_index[0] != i]
                if t == seed_type and i < seeds:
                    inputs[t][i] = typical
                owner = int(batch[t].batch[i])
                out = model.head_outputs(model.propagate(inputs, cut), features=features)
                scores[t][i] = (out[owner] - full[owner]).abs()
    return scores


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"pool": "sum"},
        {"pool": "mean", "layers": 3},
        {"pool": "adaptive", "layers": 1},
        {"pool": "pma"},
        {"pool_query": "input"},
        {"pool_query": "both", "layers": 3},
    ],
    ids=["trained", "sum", "mean-3-layers", "adaptive-1-layer", "pma", "query-input", "query-both-3-layers"],
)
def test_every_row_s_score_is_its_own_leave_one_out_change(sampled, changes):
    loop, prepared, batch, frames, background, features = sampled
    model = variant(loop, prepared, **changes) if changes else loop.model.eval()
    expected = leave_one_out(model, frames, batch, background, features)
    for chunk_rows in (None, 30):  # one pass, and passes of a few copies each
        found = occlude(model, frames, batch, background=background, chunk_rows=chunk_rows, features=features)
        assert set(found) == set(expected)
        for t in expected:
            assert torch.allclose(found[t], expected[t], rtol=1e-4, atol=1e-6), t
    assert sum(float(s.sum()) for s in expected.values()) > 0


def test_rows_out_of_reach_of_the_seed_score_zero(sampled):
    """With one layer, only the seed's direct neighbours (and itself) can move its output."""
    loop, prepared, batch, frames, background, features = sampled
    model = variant(loop, prepared, layers=1)
    found = occlude(model, frames, batch, background=background, features=features)
    direct = torch.zeros(batch["transactions"].num_nodes, dtype=torch.bool)
    for e in batch.edge_types:
        if e[0] == "transactions" and e[2] == "customers":
            index = batch[e].edge_index
            direct[index[0][index[1] < batch["customers"].batch_size]] = True
    assert (found["transactions"][~direct] == 0).all() and (found["transactions"][direct] > 0).any()


def test_the_auto_feature_scores_are_each_feature_at_its_median(sampled):
    loop, _, batch, frames, _, features = sampled
    model = loop.model.eval()
    with torch.no_grad():
        seeds = model.seed_embeddings(frames, batch)
    found = occlude_features(model, seeds, features, None)
    median = model.features.quantiles[:, model.features.quantiles.size(1) // 2]
    with torch.no_grad():
        full = model.head_outputs(seeds, features=features)
        for j in range(features.size(1)):
            changed = features.clone()
            changed[:, j] = median[j]
            expected = (model.head_outputs(seeds, features=changed) - full).abs()
            assert torch.allclose(found[:, j], expected, rtol=1e-4, atol=1e-6)
    assert float(found.sum()) > 0
