"""Gated max-mean pooling: each target decides from its own set how max-like to be."""

from __future__ import annotations

import torch
from torch import Tensor

from relpool.nn.pool.base import register
from relpool.nn.pool.mixed import MaxMeanPool


@register("gated")
class GatedPool(MaxMeanPool):
    """``g * max + (1 - g) * mean`` with ``g = sigmoid(w^T [max ; mean] + b)`` per target.

    Unlike :class:`~relpool.nn.pool.mixed.MixedPool`, the mix differs between
    targets: a set whose max stands far from its mean can lean on the max, a
    homogeneous one on the mean.
    """

    def __init__(self, dim: int):
        super().__init__(dim)
        self.gate = torch.nn.Linear(2 * dim, 1)

    def weight(self, mx: Tensor, mean: Tensor) -> Tensor:
        return torch.sigmoid(self.gate(torch.cat([mx, mean], dim=-1)))
