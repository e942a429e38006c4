"""Set Transformer pooling by multihead attention (PMA) with k learned seeds."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import aggr

from relpool.nn.pool.base import Pool, register


@register("pma")
class PMAPool(Pool):
    """PyG's SetTransformerAggregation reduced to its PMA block, k seeds projected to d.

    PyG's version needs a sorted index and, on an empty set, attends over
    nothing: the NaN it then zeroes in the forward pass still poisons the
    gradients. So targets are sorted and only non-empty ones are pooled; empty
    targets get zeros.
    """

    def __init__(self, dim: int, seeds: int = 1, heads: int = 1, layer_norm: bool = False):
        super().__init__(dim)
        self.pma = aggr.SetTransformerAggregation(
            dim,
            num_seed_points=seeds,
            num_encoder_blocks=0,
            num_decoder_blocks=0,
            heads=heads,
            concat=True,
            layer_norm=layer_norm,
        )
        self.proj = torch.nn.Linear(seeds * dim, dim) if seeds > 1 else torch.nn.Identity()

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        out = x.new_zeros(dim_size, self.dim)
        if index.numel() == 0:  # PyG's to_dense_batch cannot size an empty batch
            return out
        index, perm = torch.sort(index, stable=True)
        targets, compact = torch.unique_consecutive(index, return_inverse=True)
        pooled = self.pma(x[perm], compact, dim_size=targets.numel())
        return out.index_copy(0, targets, self.proj(pooled))
