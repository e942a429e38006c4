"""Mixed max-mean pooling (Lee et al., 2016): a learned convex mix of max and mean."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import aggr

from relpool.nn.pool.base import Pool, register


class MaxMeanPool(Pool):
    """``w * max + (1 - w) * mean``; subclasses say how ``w`` is chosen."""

    def __init__(self, dim: int):
        super().__init__(dim)
        self.max = aggr.MaxAggregation()
        self.mean = aggr.MeanAggregation()

    def weight(self, mx: Tensor, mean: Tensor) -> Tensor:
        """Weight of the max in [0, 1], broadcastable to [N, d]."""
        raise NotImplementedError

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        mx = self.max(x, index, dim_size=dim_size)
        mean = self.mean(x, index, dim_size=dim_size)
        w = self.weight(mx, mean)
        return w * mx + (1 - w) * mean


@register("mixed")
class MixedPool(MaxMeanPool):
    """One learnable mix ``w = sigmoid(a)`` per channel, shared by all targets."""

    def __init__(self, dim: int, init: float = 0.0):
        super().__init__(dim)
        self.logit = torch.nn.Parameter(torch.full((dim,), float(init)))

    def weight(self, mx: Tensor, mean: Tensor) -> Tensor:
        return torch.sigmoid(self.logit)
