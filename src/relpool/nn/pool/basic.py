"""Fixed reductions, wrapping ``torch_geometric.nn.aggr``.

PyG's scatter already gives 0 for empty targets of sum/mean/max/min. Its std
uses E[x^2] - E[x]^2, which cancels catastrophically in float32 once values are
large (|x| ~ 1e4 loses the whole variance), so :class:`StdPool` centres first.
"""

from __future__ import annotations

import math

from torch import Tensor
from torch_geometric.nn import aggr

from relpool.nn.pool.base import AggrPool, register


@register("sum")
class SumPool(AggrPool):
    """Sum: keeps set size in the output (counts)."""

    aggregation = aggr.SumAggregation


@register("mean")
class MeanPool(AggrPool):
    """Mean: size-invariant; the optimal summary when every row is signal."""

    aggregation = aggr.MeanAggregation


@register("max")
class MaxPool(AggrPool):
    """Feature-wise max: keeps extremes, the optimum when one row matters."""

    aggregation = aggr.MaxAggregation


@register("min")
class MinPool(AggrPool):
    """Feature-wise min."""

    aggregation = aggr.MinAggregation


class CenteredStdAggregation(aggr.StdAggregation):
    """PyG's std computed as sqrt(E[(x - E[x])^2]): stable for large values."""

    def forward(
        self,
        x: Tensor,
        index: Tensor | None = None,
        ptr: Tensor | None = None,
        dim_size: int | None = None,
        dim: int = -2,
    ) -> Tensor:
        self.assert_index_present(index)
        mean = self.reduce(x, index, ptr, dim_size, dim, reduce="mean")
        centred = x - mean.index_select(dim, index)
        var = self.reduce(centred * centred, index, ptr, dim_size, dim, reduce="mean")
        # Same floor as PyG: sqrt has an infinite slope at 0, so tiny variances give 0.
        out = var.clamp(min=1e-5).sqrt()
        return out.masked_fill(out <= math.sqrt(1e-5), 0.0)


@register("std")
class StdPool(AggrPool):
    """Feature-wise standard deviation: the spread of the set."""

    aggregation = CenteredStdAggregation
