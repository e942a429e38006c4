"""GeM / power-mean pooling that also works on signed inputs."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import aggr

from relpool.nn.pool.base import AggrPool, register


class RangePowerMeanAggregation(aggr.PowerMeanAggregation):
    """``lo + (hi - lo) * M_p(u)`` with ``u = (x - lo) / (hi - lo)`` per group and channel.

    PyG's power mean clamps inputs to [1e-4, 100], which maps every negative
    message to the same value, and clamps the *mean of x^p* to the same range,
    which distorts any p != 1. Rescaling each group to [0, 1] first keeps the
    sign information, is exact for p = 1 (the mean) and tends to the max as
    p grows, whatever the scale of x. ``u`` is clamped to ``[eps, 1]`` and p to
    ``[p_min, p_max]`` so that ``u ** p`` stays a normal float32 number.
    """

    def __init__(
        self,
        p: float = 1.0,
        learn: bool = True,
        channels: int = 1,
        eps: float = 1e-3,
        p_min: float = 0.5,
        p_max: float = 10.0,
    ):
        super().__init__(p=p, learn=learn, channels=channels, clamp_min=eps, clamp_max=1.0)
        self.p_min, self.p_max = p_min, p_max

    def forward(
        self,
        x: Tensor,
        index: Tensor | None = None,
        ptr: Tensor | None = None,
        dim_size: int | None = None,
        dim: int = -2,
    ) -> Tensor:
        self.assert_index_present(index)
        p = self.p.clamp(self.p_min, self.p_max) if self.learn else min(max(self.p, self.p_min), self.p_max)
        lo = self.reduce(x, index, None, dim_size, dim, reduce="min")
        span = self.reduce(x, index, None, dim_size, dim, reduce="max") - lo
        # A zero span (one element, or equal elements) gives u = 0 -> lo, which is exact.
        u = (x - lo.index_select(dim, index)) / span.clamp(min=1e-12).index_select(dim, index)
        u = u.clamp(self.min_value, self.max_value).pow(p)
        m = self.reduce(u, index, None, dim_size, dim, reduce="mean")
        # Empty groups have m = 0; the floor keeps pow(1/p) and its gradient finite there.
        m = m.clamp(min=self.min_value**self.p_max).pow(1.0 / p)
        return lo + span * m


@register("powermean")
class PowerMeanPool(AggrPool):
    """Generalised mean with learnable p: between mean (p = 1) and max (p large)."""

    aggregation = RangePowerMeanAggregation

    def __init__(self, dim: int, p: float = 1.0, learn: bool = True, p_max: float = 10.0):
        super().__init__(dim, p=p, learn=learn, channels=dim if learn else 1, p_max=p_max)
