"""Several pooling operators side by side, concatenated and projected back to d."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from relpool.nn.pool.base import Pool, build_pool, register


@register("multi")
class MultiPool(Pool):
    """``W [pool_1(x) ; ... ; pool_m(x)] + b`` (PNA-style multiple aggregators).

    Built on relpool operators rather than PyG's MultiAggregation so that each
    member sees the ``query`` (and ``keys``) and keeps its empty-set / stability fixes.
    ``options`` maps a member's name to its keyword arguments.
    """

    def __init__(
        self, dim: int, pools: Sequence[str] = ("mean", "max", "std"), options: Mapping[str, dict] | None = None
    ):
        super().__init__(dim)
        if not pools or "multi" in pools:
            raise ValueError("multi needs a non-empty list of other pools")
        self.pools = torch.nn.ModuleList(build_pool(name, dim, **(options or {}).get(name, {})) for name in pools)
        self.proj = torch.nn.Linear(len(pools) * dim, dim)

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        return self.proj(torch.cat([p(x, index, dim_size, query, keys) for p in self.pools], dim=-1))
