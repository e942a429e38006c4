"""First contact with real databases: sparse tables, output folders, permissions, edited or drifted
model directories, absurd options, Ctrl-C, and the Python API's argument checks."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import relpool
from conftest import shop_frames
from relpool.encode import HashingEmbedder
from relpool.nn.gnn import RelationalLayer

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=16, fanout=(8, 4), epochs=1, max_steps=3, batch_size=8, step="1 days",
            text_embedder=HashingEmbedder(8))


def sparse_frames() -> dict[str, pd.DataFrame]:
    """The shop, plus complaints filed by one customer only: almost no mini-batch holds a complaint."""
    frames = shop_frames()
    frames["complaints"] = pd.DataFrame({"complaint_id": [1, 2], "customer_id": [1, 1],
                                         "filed": ["2020-01-03", "2020-01-05"], "severity": [1.0, 3.0]})
    return frames


# ---- 1. Node types missing from a mini-batch ----

def test_a_table_with_rows_for_few_entities_trains_and_predicts(tmp_path):
    frames = sparse_frames()
    model = relpool.fit(frames, QUERY, tmp_path / "m", **{**TINY, "epochs": 2})
    assert ["complaints", "fk_customer_id", "customers"] in model.config["model"]["edge_types"]
    assert all(pd.notna(v) for v in model.metrics["test"].values())
    for at in ("2020-01-02", None):  # before any complaint exists, and after
        predictions = model.predict(frames, at=at)
        assert len(predictions) > 0 and predictions["probability"].between(0, 1).all()


def test_message_passing_skips_edge_types_whose_source_or_target_is_absent():
    layer = RelationalLayer(["a", "b", "c"], [("b", "to", "a"), ("c", "to", "a"), ("a", "to", "c")], 8, "adaptive")
    x = {"a": torch.randn(3, 8), "b": torch.randn(2, 8)}  # no "c" rows in this batch
    edges = {("b", "to", "a"): torch.tensor([[0, 1], [0, 2]]),
             ("c", "to", "a"): torch.empty(2, 0, dtype=torch.long),
             ("a", "to", "c"): torch.empty(2, 0, dtype=torch.long)}
    out = layer(x, edges)
    assert set(out) == {"a", "b"} and all(torch.isfinite(v).all() for v in out.values())
