"""The adaptive pool's ``init="identity"`` (issue 18): its value path starts as the identity."""

from __future__ import annotations

import pytest
import torch

from relpool.nn.pool import build_pool


def test_identity_init_makes_uniform_attention_the_mean_of_the_rows():
    torch.manual_seed(0)
    x, index = torch.randn(7, 8), torch.tensor([0, 0, 0, 1, 1, 2, 2])
    mean = build_pool("mean", 8)(x, index, dim_size=4)
    pools = {init: build_pool("adaptive", 8, init=init) for init in ("default", "identity")}
    for pool in pools.values():
        pool.root = float("inf")  # every logit 0: uniform attention
    torch.testing.assert_close(pools["identity"](x, index, dim_size=4, query=torch.randn(4, 8)), mean)
    assert (pools["default"](x, index, dim_size=4, query=torch.randn(4, 8)) - mean).abs().max() > 1e-2
    with pytest.raises(ValueError, match="init must be"):
        build_pool("adaptive", 8, init="zeros")


def test_identity_init_leaves_the_attention_and_the_random_stream_alone():
    torch.manual_seed(0)
    default = build_pool("adaptive", 8, heads=2)
    after_default = torch.rand(1)
    torch.manual_seed(0)
    identity = build_pool("adaptive", 8, heads=2, init="identity")
    assert torch.equal(torch.rand(1), after_default)  # the other weights of a model draw what they drew before
    assert torch.equal(identity.q.weight, default.q.weight) and torch.equal(identity.k.weight, default.k.weight)
    assert torch.equal(identity.v.weight, torch.eye(8)) and not identity.out.bias.any()
