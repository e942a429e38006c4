"""The hybrid GNN's second input: each example's auto-features (full-history aggregates), as a vector.

Auto-features are heavy-tailed (counts, sums of delays in minutes, days since) and often missing, and
a network fed raw magnitudes learns slowly and unstably; LightGBM is immune because it only compares
values. So each value becomes its rank among the training examples' values (a 64-point empirical CDF,
kept as buffers and saved with the weights), scaled to [-1, 1], beside a missing flag; an MLP turns the
vector into one embedding the seed's subgraph embedding is added to.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

QUANTILES = 64


class FeatureInput(nn.Module):
    quantiles: Tensor

    def __init__(self, features: int, channels: int, dropout: float = 0.1):
        super().__init__()
        self.register_buffer("quantiles", torch.zeros(features, QUANTILES))
        self.mlp = nn.Sequential(
            nn.Linear(2 * features, 2 * channels), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * channels, channels)
        )

    def fit(self, train: np.ndarray) -> None:
        """Learn each feature's CDF from the training examples' values ([examples, features], NaN missing)."""
        levels = np.linspace(0, 1, QUANTILES)
        with np.errstate(all="ignore"):
            found = np.nanquantile(train, levels, axis=0).T if len(train) else np.zeros((train.shape[1], QUANTILES))
        self.quantiles.copy_(torch.as_tensor(np.nan_to_num(found, nan=0.0), dtype=torch.float32))

    def forward(self, values: Tensor) -> Tensor:
        """[B, features] with NaN for missing -> [B, channels]."""
        missing = values.isnan()
        filled = torch.where(missing, torch.zeros_like(values), values).T.contiguous()  # [features, B]
        low = torch.searchsorted(self.quantiles, filled, right=False)
        high = torch.searchsorted(self.quantiles, filled, right=True)
        rank = ((low + high).float() / (2 * QUANTILES)).T * 2 - 1  # ties share their middle rank
        rank = torch.where(missing, torch.zeros_like(rank), rank)
        return self.mlp(torch.cat([rank, missing.float()], dim=1))
