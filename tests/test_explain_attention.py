"""The attention weights an explanation reports: what the adaptive pool's forward pass uses, summing to 1
within each set, multiplied along each row's path, reproducible, and absent for pools that weigh no row."""

from __future__ import annotations

from collections import defaultdict

import pytest
import torch
from torch_geometric.utils import scatter

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.nn.pool import build_pool

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 3), epochs=1, max_steps=2, batch_size=64, step="1 days", features=False)
AT = "2020-01-20"


def _set(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(12, 8, generator=generator)
    index = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3])
    query = torch.randn(5, 8, generator=generator)  # target 4 has an empty set
    return x, index, query


@pytest.mark.parametrize("heads", [1, 2])
def test_the_weights_are_the_ones_the_forward_pass_averages_with(heads):
    torch.manual_seed(0)
    pool = build_pool("adaptive", 8, heads=heads)
    x, index, query = _set()
    with torch.no_grad():
        weights = pool.weights(x, index, 5, query)
    assert weights.shape == (12,)
    assert torch.allclose(scatter(weights, index, 0, 5, reduce="sum")[:4], torch.ones(4), atol=1e-6)
    assert not torch.allclose(weights, scatter(torch.ones(12), index, 0, 5, reduce="sum")[index].reciprocal())
    if heads == 1:  # one head: the output is the weighted mean of the values, projected
        with torch.no_grad():
            expected = pool.out(scatter(weights.unsqueeze(-1) * pool.v(x), index, 0, 5, reduce="sum"))
            assert torch.allclose(pool(x, index, 5, query), expected, atol=1e-6)


def test_pools_that_weigh_no_row_above_another_have_no_weights():
    x, index, query = _set()
    for name in ("mean", "sum", "max"):
        assert build_pool(name, 8).weights(x, index, 5, query) is None


@pytest.fixture(scope="module")
def adaptive_dir(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("attention") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), pool="adaptive", **TINY)
    return out


@pytest.fixture(scope="module")
def explained(adaptive_dir, shop_db):
    return relpool.Model.load(adaptive_dir).explain(shop_db, "5", at=AT, top=10_000)


def test_every_row_but_the_entity_has_its_path_attention(explained):
    for row in explained["rows"]:
        if len(row["path"]) == 1:
            assert "attention" not in row  # the entity's own row: no set it was weighed in
        else:
            assert 0 < row["attention"] <= 1


def test_a_set_shares_its_attention_and_deeper_rows_share_their_parents(explained):
    """The entity's neighbours of one table share one set (weights summing to 1); their own neighbours
    multiply a weight of at most 1 into it, so each deeper table's total is at most 1."""
    totals: dict[tuple, float] = defaultdict(float)
    for row in explained["rows"]:
        if "attention" in row:
            totals[tuple(row["path"])] += row["attention"]
    one_hop = {p: t for p, t in totals.items() if len(p) == 2}
    assert one_hop and all(t == pytest.approx(1, abs=1e-5) for t in one_hop.values()), one_hop
    deeper = {p: t for p, t in totals.items() if len(p) == 3}
    assert deeper and all(0 < t <= 1 + 1e-5 for t in deeper.values()), deeper


def test_the_attention_is_reproducible(explained, shop_db, tmp_path):
    out = tmp_path / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), pool="adaptive", **TINY)
    again = relpool.Model.load(out).explain(shop_db, "5", at=AT, top=10_000)
    assert [r.get("attention") for r in again["rows"]] == [r.get("attention") for r in explained["rows"]]


def _identity(row: dict) -> tuple:
    return row["table"], str(row["key"]), row["score"]


def test_rows_ordered_by_attention_come_by_weight_then_the_rest_by_score(adaptive_dir, shop_db, explained):
    model = relpool.Model.load(adaptive_dir)
    by_attention = model.explain(shop_db, "5", at=AT, top=10_000, order="attention")
    rows = by_attention["rows"]
    weights = [r["attention"] for r in rows if "attention" in r]
    assert weights == sorted(weights, reverse=True)
    by_score = [r["attention"] for r in explained["rows"] if "attention" in r]
    assert by_score != sorted(by_score, reverse=True)  # so the order above is attention's, not the score's
    unweighed = [i for i, r in enumerate(rows) if "attention" not in r]
    assert unweighed == list(range(len(weights), len(rows)))  # the entity's own row, after every weighed one
    assert sorted(map(_identity, rows)) == sorted(map(_identity, explained["rows"]))  # the same rows and scores
    assert by_attention["tables"] == explained["tables"] and by_attention["columns"] == explained["columns"]
    assert model.explain(shop_db, "5", at=AT, top=3, order="attention")["rows"] == rows[:3]


def test_a_mean_pool_reports_no_attention_and_cannot_order_by_it(shop_db, tmp_path, run_cli):
    relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(8), pool="mean", **TINY)
    model = relpool.Model.load(tmp_path / "m")
    rows = model.explain(shop_db, "5", at=AT, top=50)["rows"]
    assert rows and all("attention" not in r for r in rows)
    with pytest.raises(RelpoolError, match="pools with 'mean'"):
        model.explain(shop_db, "5", at=AT, order="attention")
    code, out, err = run_cli("explain", tmp_path / "m", shop_db, "--entity", "5", "--order", "attention")
    assert code != 0 and out == "" and "needs a model whose pool weighs rows" in err and "Traceback" not in err
    code, _, err = run_cli("explain", tmp_path / "m", shop_db, "--entity", "5", "--order", "random")
    assert code != 0 and "--order must be one of score, attention, got 'random'" in err
    with pytest.raises(RelpoolError, match="--order must be one of"):  # before the (missing) database is read
        model.explain(tmp_path / "no-such.sqlite", "5", at=AT, order="random")
