"""An ensemble's multiclass explanation scores the class the ensemble predicts in every member, even in a
member whose own likeliest class is another."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

import relpool
from relpool.encode import HashingEmbedder
from relpool.nn.attribution import attribute
from relpool.train.data import gather_frames
from relpool.train.explain_background import background as table_background
from relpool.train.explain_rows import entity_row
from relpool.train.split_predictions import EVAL_SEED

QUERY = "PREDICT products.category FOR EACH products.product_id"
AT = "2020-01-20"
KEY = "P003"


@pytest.fixture(scope="module")
def model_dir(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("targets") / "m"
    options = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days")
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), features=False, **options)
    return out


def _one(model, shop_db):
    model.explain(shop_db, KEY, at=AT)
    session = model._sessions.current
    assert session is not None
    loop = session.loop
    seed, _ = entity_row(session.prepared.inspection, "products", KEY)
    cutoff = pd.Timestamp(AT).value // 10**9
    batch = loop.sampler(EVAL_SEED).sample("products", np.array([seed]), np.array([cutoff]))
    background = {t: table_background(loop, t, cutoff) for t in batch.node_types if batch[t].num_nodes}
    return loop, gather_frames(loop.tables, batch), batch, background


def _dissenter(network, logits: torch.Tensor):
    """A copy of ``network`` whose own likeliest class is the runner-up, while the average of the two
    networks' logits keeps ``network``'s: the runner-up's bias raised by 1.5 times the two logits' gap."""
    first, second = torch.topk(logits, 2).indices.tolist()
    other = copy.deepcopy(network)
    with torch.no_grad():
        other.head[-1].bias[second] += 1.5 * float(logits[first] - logits[second])
    return other, first, second


def test_every_member_attributes_the_ensemble_s_class(model_dir, shop_db):
    model = relpool.Model.load(model_dir)
    loop, frames, batch, background = _one(model, shop_db)
    network = loop.members[0]
    with torch.no_grad():
        logits = network(frames, batch)[0]
    other, first, second = _dissenter(network, logits)
    with torch.no_grad():
        assert int(other(frames, batch)[0].argmax()) == second
        assert int(((logits + other(frames, batch)[0]) / 2).argmax()) == first
    own = attribute(other, frames, batch, background=background, delta=False)
    told = attribute(other, frames, batch, background=background, delta=False, targets=torch.tensor([first]))
    mine = attribute(network, frames, batch, background=background, delta=False)
    assert own.target == second and told.target == first
    for table, scores in mine.scores.items():  # only the runner-up's bias moved: class `first` is scored alike
        assert torch.allclose(told.scores[table], scores, atol=1e-6)
    assert any(not torch.allclose(own.scores[t], s, atol=1e-6) for t, s in mine.scores.items())

    alone = model.explain(shop_db, KEY, at=AT, top=50)
    loop.members = [network, other]
    both = model.explain(shop_db, KEY, at=AT, top=50)
    assert both["prediction"] == alone["prediction"]
    for part in ("tables", "columns", "rows"):
        assert [e["score"] for e in both[part]] == pytest.approx([e["score"] for e in alone[part]], abs=1e-6)
