"""Contract and numerics of the pooling operators in relpool.nn.pool."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from relpool.nn import Pool, available_pools, build_pool
from relpool.nn.pool import AdaptivePool

ALL = available_pools()
D = 4


def _data(seed=0, e=12, n=5, dtype=torch.float32, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(e, D, generator=g, dtype=dtype) * scale
    index = torch.randint(0, n - 1, (e,), generator=g)  # target n-1 stays empty
    query = torch.randn(n, D, generator=g, dtype=dtype) * scale
    return x, index, n, query


def _pool(name, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return build_pool(name, D).to(dtype).eval()


def test_registry_lists_every_operator_of_the_issue():
    assert set(ALL) == {
        "sum",
        "mean",
        "max",
        "min",
        "std",
        "softmax",
        "powermean",
        "mixed",
        "gated",
        "adaptive",
        "pma",
        "multi",
    }
    with pytest.raises(ValueError, match="unknown pool 'avg'"):
        build_pool("avg", D)


@pytest.mark.parametrize("name", ALL)
def test_shape_and_permutation_invariance(name):
    pool = _pool(name)
    x, index, n, query = _data()
    out = pool(x, index, n, query)
    assert isinstance(pool, Pool) and out.shape == (n, D)
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(pool(x[perm], index[perm], n, query), out)


@pytest.mark.parametrize("name", ALL)
def test_empty_sets_are_finite_and_trailing_targets_keep_their_rows(name):
    pool = _pool(name)
    x, index, n, query = _data()
    out = pool(x, index, n + 3, torch.cat([query, torch.randn(3, D)]))
    assert out.shape == (n + 3, D) and torch.isfinite(out).all()
    torch.testing.assert_close(out[:n], pool(x, index, n, query))
    # no message at all
    none = pool(x[:0], index[:0], n, query)
    assert none.shape == (n, D) and torch.isfinite(none).all()


@pytest.mark.parametrize("name", ALL)
def test_large_float32_inputs_stay_finite_with_gradients(name):
    pool = _pool(name)
    x, index, n, query = _data(scale=1e4)
    x.requires_grad_()
    out = pool(x, index, n, query)
    out.square().mean().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in pool.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", ALL)
def test_gradcheck(name):
    pool = _pool(name, torch.float64)
    x, index, n, query = _data(e=8, n=4, dtype=torch.float64)
    x.requires_grad_()
    query.requires_grad_()
    inputs = (x, query) if name in ("adaptive", "multi") else (x,)
    fn = (lambda x, q: pool(x, index, n, q)) if len(inputs) == 2 else (lambda x: pool(x, index, n, query))
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


def _loop_reference(x, index, n, fn):
    return torch.stack([fn(x[index == i]) if (index == i).any() else x.new_zeros(D) for i in range(n)])


@pytest.mark.parametrize(
    "name, fn",
    [
        ("sum", lambda s: s.sum(0)),
        ("mean", lambda s: s.mean(0)),
        ("max", lambda s: s.max(0).values),
        ("min", lambda s: s.min(0).values),
        ("std", lambda s: s.std(0, unbiased=False)),
    ],
)
def test_fixed_reductions_match_a_loop_on_unsorted_index(name, fn):
    x, index, n, _ = _data(seed=3, e=20, n=6, dtype=torch.float64)
    assert not bool((index[:-1] <= index[1:]).all())
    torch.testing.assert_close(_pool(name, torch.float64)(x, index, n), _loop_reference(x, index, n, fn))


def test_std_is_accurate_far_from_zero():
    # E[x^2] - E[x]^2 in float32 loses a spread of 0.5 around 1e4 entirely.
    x = torch.tensor([[1e4], [1e4 + 1.0]]).expand(2, D).contiguous()
    out = build_pool("std", D)(x, torch.tensor([0, 0]), 1)
    torch.testing.assert_close(out, torch.full((1, D), 0.5))


def test_adaptive_with_equal_scores_is_the_mean():
    pool = AdaptivePool(D, heads=2)
    with torch.no_grad():
        pool.k.weight.zero_()
        pool.k.bias.zero_()
        for lin in (pool.v, pool.out):
            lin.weight.copy_(torch.eye(D))
            lin.bias.zero_()
    x, index, n, query = _data(seed=4)
    torch.testing.assert_close(pool(x, index, n, query), build_pool("mean", D)(x, index, n))


def test_adaptive_query_selects_the_matching_row():
    pool = AdaptivePool(D)
    with torch.no_grad():
        for lin in (pool.q, pool.k, pool.v, pool.out):
            lin.weight.copy_(torch.eye(D) * (10.0 if lin is pool.q else 1.0))
            lin.bias.zero_()
    x = torch.eye(D)
    out = pool(x, torch.zeros(D, dtype=torch.long), 1, query=x[2:3])
    assert out.argmax().item() == 2 and out[0, 2] > 0.9


def test_adaptive_keys_pick_the_row_the_values_do_not_show():
    """With keys, attention follows them: the query matches row 2's key, and row 2's value (e_1) comes out."""
    pool = AdaptivePool(D)
    with torch.no_grad():
        for lin in (pool.q, pool.k, pool.v, pool.out):
            lin.weight.copy_(torch.eye(D) * (10.0 if lin is pool.q else 1.0))
            lin.bias.zero_()
    keys, values = torch.eye(D), torch.eye(D).roll(1, dims=0)  # row 2's value is e_1
    out = pool(values, torch.zeros(D, dtype=torch.long), 1, query=keys[2:3], keys=keys)
    assert out.argmax().item() == 1 and out[0, 1] > 0.9
    weights = pool.weights(values, torch.zeros(D, dtype=torch.long), 1, query=keys[2:3], keys=keys)
    assert weights.argmax().item() == 2


@pytest.mark.parametrize("name", ["mean", "sum", "max", "mixed", "multi", "pma"])
def test_pools_that_do_not_attend_ignore_keys(name):
    x, index, n, query = _data(seed=6)
    pool = _pool(name)
    torch.testing.assert_close(pool(x, index, n, query, keys=torch.randn_like(x)), pool(x, index, n, query))


def test_softmax_with_large_temperature_approaches_max():
    x, index, n, _ = _data(seed=5)
    pool = build_pool("softmax", D, t=1e3, learn=False)
    torch.testing.assert_close(pool(x, index, n), build_pool("max", D)(x, index, n), atol=1e-4, rtol=0)
    soft = build_pool("softmax", D, t=1e-6, learn=False)(x, index, n)
    torch.testing.assert_close(soft, build_pool("mean", D)(x, index, n), atol=1e-4, rtol=0)


def test_powermean_handles_negative_inputs_between_mean_and_max():
    x, index, n, _ = _data(seed=6)
    x = x - 3.0  # mostly negative: PyG's clamp to [1e-4, 100] would flatten them all
    mean = build_pool("mean", D)(x, index, n)
    mx = build_pool("max", D)(x, index, n)
    p1 = build_pool("powermean", D, p=1.0, learn=False)(x, index, n)
    p10 = build_pool("powermean", D, p=10.0, learn=False)(x, index, n)
    torch.testing.assert_close(p1, mean, atol=1e-2, rtol=0)
    assert ((p10 - mean) > 0.5 * (mx - mean) - 1e-6).all() and (p10 <= mx + 1e-5).all()


def test_powermean_exponent_is_clamped():
    pool = build_pool("powermean", D, p=1e3)
    x, index, n, _ = _data(seed=7)
    out = pool(x, index, n)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, build_pool("powermean", D, p=10.0, learn=False)(x, index, n))


def test_gated_uses_a_per_target_gate():
    pool = build_pool("gated", D)
    with torch.no_grad():
        pool.gate.weight.zero_()
        pool.gate.weight[0, 0] = 50.0  # gate on the first channel of the max
        pool.gate.bias.zero_()
    x = torch.tensor([[1.0] * D, [3.0] * D, [-1.0] * D, [-3.0] * D])
    out = pool(x, torch.tensor([0, 0, 1, 1]), 2)
    torch.testing.assert_close(out, torch.tensor([[3.0] * D, [-2.0] * D]), atol=1e-4, rtol=0)


def test_pma_gradients_are_finite_with_empty_targets():
    pool = build_pool("pma", D, seeds=2, heads=2)
    x, index, n, _ = _data(seed=8)
    out = pool(x, index, n + 2)
    out.sum().backward()
    assert (out[n - 1 :] == 0).all()
    assert all(torch.isfinite(p.grad).all() for p in pool.parameters())


def test_multi_concatenates_its_members():
    pool = build_pool("multi", D, pools=("mean", "adaptive"), options={"adaptive": {"heads": 2}})
    assert [p.name for p in pool.pools] == ["mean", "adaptive"] and pool.pools[1].heads == 2
    with pytest.raises(ValueError):
        build_pool("multi", D, pools=("multi",))


@pytest.fixture(scope="module")
def snr_data():
    path = Path(__file__).resolve().parents[1] / "bench" / "pool_snr_data.py"
    spec = importlib.util.spec_from_file_location("pool_snr_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def snr_sample(snr_data):
    return snr_data.sample_sets(3000, np.random.default_rng(0))


# (mean-of-all, x0) reference losses reported by Brothers (ICML 2025).
PAPER = {1: (0.0934, 0.0583), 4: (0.0554, 0.0397), 32: (0.0195, 0.0596)}


@pytest.mark.parametrize("k", sorted(PAPER))
def test_knn_centroid_generator_reproduces_the_paper_reference_losses(k, snr_data, snr_sample):
    assert snr_sample.shape == (3000, 128, 16) and snr_sample.dtype == np.float32
    ref = snr_data.reference_losses(snr_sample, snr_data.knn_centroid(snr_sample, k))
    assert ref["mean_of_all"] == pytest.approx(PAPER[k][0], rel=0.04)
    assert ref["x0"] == pytest.approx(PAPER[k][1], rel=0.04)


def test_knn_centroid_excludes_x0_and_averages_neighbours(snr_data):
    x = np.array([[[0.0, 0.0], [5.0, 5.0], [1.0, 0.0], [0.0, 2.0]]])
    np.testing.assert_allclose(snr_data.knn_centroid(x, 1), [[1.0, 0.0]])
    np.testing.assert_allclose(snr_data.knn_centroid(x, 2), [[0.5, 1.0]])


def test_adaptive_configured_as_the_paper_is_its_adapool():
    # agbrothers/pooling's AdaPool on one set: query + W_o softmax(q k^T / sqrt(d)) v, heads split, no biases.
    heads, n = 2, 7
    torch.manual_seed(3)
    pool = AdaptivePool(D, heads=heads, bias=False, residual=True, scale="width")
    x = torch.randn(1, n, D)
    q, k, v = pool.q(x[:, 0]), pool.k(x[0]), pool.v(x[0])
    split = [t.view(-1, heads, D // heads).transpose(0, 1) for t in (q, k, v)]
    w = torch.softmax(split[0] @ split[1].transpose(1, 2) / D**0.5, dim=-1)  # [heads, 1, n]
    expected = x[:, 0] + pool.out((w @ split[2]).transpose(0, 1).reshape(1, D))
    got = pool(x[0], torch.zeros(n, dtype=torch.long), 1, query=x[:, 0])
    torch.testing.assert_close(got, expected)
    assert pool.q.bias is None and pool.out.bias is None
    with pytest.raises(ValueError, match="scale must be"):
        AdaptivePool(D, scale="sqrt")
