"""AdaPool (Brothers, ICML 2025): attention pooling queried by the target itself."""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.utils import scatter, softmax

from relpool.nn.pool.base import Pool, register


@register("adaptive")
class AdaptivePool(Pool):
    """Multi-head attention from the target's embedding to its set.

    Weights are ``softmax_i(<W_q q, W_k x_i> / sqrt(d_head))`` within each
    target's set (per-group max subtracted), outputs ``W_o [sum_i a_i W_v x_i]``.
    A query that knows what the signal looks like can down-weight noise rows,
    which a fixed mean/max cannot; with equal scores it is exactly a projected
    mean. Without a query the set mean is used. An empty set gives ``W_o 0``,
    i.e. the output bias: a learned "empty" embedding. ``residual`` adds the
    query to the output, as in the paper's implementation.

    The paper's AdaPool (``agbrothers/pooling``) is this operator with
    ``bias=False, residual=True, scale="width"``: it scales the logits by
    1/sqrt(d), not 1/sqrt(d_head) (with 8 heads of 2 channels, a temperature
    2x higher), and fuses k and v into one projection (the same map).
    ``keys``, when given, replace ``x`` as what the query is compared with.

    ``init="identity"`` starts the value path (``W_v``, ``W_o``) at the identity with zero biases, so that
    uniform attention is exactly the mean of the rows. With the default initialisation that path shrinks
    and scrambles the pooled rows, and inside the relational GNN an adaptive pool whose attention was held
    uniform did not learn the affinity family where a plain mean did (issue 18, bench/affinity_gnn_probe.py).
    """

    def __init__(
        self,
        dim: int,
        heads: int = 1,
        bias: bool = True,
        residual: bool = False,
        scale: str = "head",
        init: str = "default",
    ):
        super().__init__(dim)
        if dim % heads:
            raise ValueError(f"dim={dim} is not divisible by heads={heads}")
        if scale not in ("head", "width"):
            raise ValueError(f"scale must be 'head' (1/sqrt(d_head)) or 'width' (1/sqrt(d)), got {scale!r}")
        if init not in ("default", "identity"):
            raise ValueError(f"init must be 'default' or 'identity', got {init!r}")
        self.heads = heads
        self.residual = residual
        self.root = math.sqrt(dim // heads if scale == "head" else dim)  # logits divided by it (bit for bit as before)
        self.q = torch.nn.Linear(dim, dim, bias=bias)
        self.k = torch.nn.Linear(dim, dim, bias=bias)
        self.v = torch.nn.Linear(dim, dim, bias=bias)
        self.out = torch.nn.Linear(dim, dim, bias=bias)
        if init == "identity":
            with torch.no_grad():
                for linear in (self.v, self.out):
                    linear.weight.copy_(torch.eye(dim))
                    if linear.bias is not None:
                        linear.bias.zero_()

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        if query is None:
            query = scatter(x, index, 0, dim_size, reduce="mean")
        alpha = self._attention(x if keys is None else keys, index, dim_size, query)
        v = self.v(x).view(-1, self.heads, self.dim // self.heads)
        pooled = scatter(alpha.unsqueeze(-1) * v, index, 0, dim_size, reduce="sum")
        out = self.out(pooled.view(-1, self.dim))
        return out + query if self.residual else out

    def weights(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        """The attention each message gets, averaged over heads: which rows the query picked out of its set."""
        if query is None:
            query = scatter(x, index, 0, dim_size, reduce="mean")
        return self._attention(x if keys is None else keys, index, dim_size, query).mean(dim=-1)

    def _attention(self, keys: Tensor, index: Tensor, dim_size: int, query: Tensor) -> Tensor:
        h, dh = self.heads, self.dim // self.heads
        q = self.q(query).view(-1, h, dh)
        k = self.k(keys).view(-1, h, dh)
        score = (q.index_select(0, index) * k).sum(-1) / self.root  # [E, h]
        return softmax(score, index, num_nodes=dim_size, dim=0)
