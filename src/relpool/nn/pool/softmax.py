"""SoftPool: a softmax-weighted mean that slides between mean (t -> 0) and max (t -> inf)."""

from __future__ import annotations

from torch_geometric.nn import aggr

from relpool.nn.pool.base import AggrPool, register


@register("softmax")
class SoftmaxPool(AggrPool):
    """Feature-wise softmax(t * x) weighted sum, via PyG's SoftmaxAggregation.

    ``t`` is an inverse temperature, learnable per channel when ``learn``. PyG's
    ``softmax`` subtracts the per-group max, so large ``t * x`` cannot overflow;
    an empty target sums nothing and gets 0.
    """

    aggregation = aggr.SoftmaxAggregation

    def __init__(self, dim: int, t: float = 1.0, learn: bool = True):
        super().__init__(dim, t=t, learn=learn, channels=dim if learn else 1)
