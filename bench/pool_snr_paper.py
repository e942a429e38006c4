"""The set model of Brothers (ICML 2025) as its public code builds it for the kNN-centroid task
(``agbrothers/pooling``: ``models/attenuator.py``, ``nn/transformer.py``, ``nn/attention.py``,
``nn/pool.py``, ``experiments/noise-robustness/knn*/``), written anew for ``bench/pool_snr.py --paper``.

No input or output projection (inputs and targets are 16-d, the width is 16): a learned embedding
marks token 0 (the CLS token when there is one), a pre-LN encoder of ``layers`` blocks (attention
without biases, 1/sqrt(width) logit scale; FFN 4 x width with biases, GELU, dropout 0.1), an optional
final LayerNorm (the code's default is none: "Norm hurts regression performance for all methods"),
then the pool's output *is* the prediction. AdaPool is relpool's ``adaptive`` operator configured as
the paper's (no biases, ``pool + query``, 1/sqrt(width)). Every linear layer and embedding starts at
N(0, 0.02), biases at 0; ``scale_out`` also scales the attention output projections by
1/sqrt(2 x layers), which the paper's Transformer defines but its Attenuator never enables.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from relpool.nn import build_pool


class Attention(torch.nn.Module):
    """Multi-head self-attention without biases, logits scaled by 1/sqrt(width) as in the paper."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads, self.scale = heads, 1 / math.sqrt(width)
        self.qkv = torch.nn.Linear(width, 3 * width, bias=False)
        self.out = torch.nn.Linear(width, width, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        q, k, v = (t.view(b, n, self.heads, -1).transpose(1, 2) for t in self.qkv(x).split(d, dim=-1))
        e = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.out(e.transpose(1, 2).reshape(b, n, d))


class Block(torch.nn.Module):
    """Pre-LN: x + attn(LN(x)), then x + FFN(LN(x))."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.norm_attn, self.norm_ff = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ff = torch.nn.Sequential(
            torch.nn.Linear(width, 4 * width),
            torch.nn.GELU(),
            torch.nn.Linear(4 * width, width),
            torch.nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm_attn(x))
        return x + self.ff(self.norm_ff(x))


class PaperSetRegressor(torch.nn.Module):
    def __init__(
        self, pool: str, width: int, layers: int, heads: int, final_norm: bool = False, scale_out: bool = False
    ):
        super().__init__()
        self.marker = torch.nn.Embedding(2, width)
        self.cls = torch.nn.Parameter(torch.rand(1, 1, width)) if pool == "cls" else None  # as the paper's
        self.blocks = torch.nn.ModuleList(Block(width, heads, dropout=0.1) for _ in range(layers))
        self.norm = torch.nn.LayerNorm(width) if final_norm else None
        kwargs = {"adaptive": {"heads": heads, "bias": False, "residual": True, "scale": "width"}}.get(pool, {})
        self.pool = None if pool == "cls" else build_pool(pool, width, **kwargs)
        self.apply(_init)
        if scale_out:
            for block in self.blocks:
                torch.nn.init.normal_(block.attn.out.weight, std=0.02 / math.sqrt(2 * layers))

    def forward(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        if self.cls is not None:
            x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1)
        marks = torch.ones(x.shape[:2], dtype=torch.long, device=x.device)
        marks[:, 0] = 0
        h = x + self.marker(marks)
        for block in self.blocks:
            h = block(h)
        if self.norm is not None:
            h = self.norm(h)
        if self.pool is None:
            return h[:, 0]
        index = torch.arange(b, device=x.device).repeat_interleave(h.shape[1])
        return self.pool(h.reshape(-1, h.shape[-1]), index, b, query=h[:, 0])


def _init(module: torch.nn.Module) -> None:
    if isinstance(module, torch.nn.Linear | torch.nn.Embedding):
        torch.nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, torch.nn.Linear) and module.bias is not None:
        torch.nn.init.zeros_(module.bias)
