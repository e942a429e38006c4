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
        return self.mlp(self._ranks(values))

    def each_replaced(self, values: Tensor, replacement: Tensor) -> Tensor:
        """[B, features, channels]: the embedding of ``values`` with feature ``j`` alone set to ``replacement[j]``
        (not missing), for every ``j`` (occlusion's auto-feature scores). A copy differs from ``values`` in two
        inputs of the first linear map, so it adds two of its columns to the shared product rather than
        running that map on B x features copies."""
        first = self.mlp[0]
        assert isinstance(first, nn.Linear)  # what __init__ builds
        ranks = self._ranks(values)
        count = values.size(1)
        new = self._ranks(replacement.view(1, -1))[0, :count]
        rank_change, flag_change = new - ranks[:, :count], -ranks[:, count:]  # [B, features] each
        weight = first.weight.T  # [2 * features, hidden]
        shift = rank_change.unsqueeze(2) * weight[:count] + flag_change.unsqueeze(2) * weight[count:]
        return self.mlp[1:](first(ranks).unsqueeze(1) + shift)

    def _ranks(self, values: Tensor) -> Tensor:
        """[B, 2 * features]: the MLP's input, each value's rank scaled to [-1, 1], then the missing flags."""
        missing = values.isnan()
        filled = torch.where(missing, torch.zeros_like(values), values).T.contiguous()  # [features, B]
        low = torch.searchsorted(self.quantiles, filled, right=False)
        high = torch.searchsorted(self.quantiles, filled, right=True)
        rank = ((low + high).float() / (2 * QUANTILES)).T * 2 - 1  # ties share their middle rank
        rank = torch.where(missing, torch.zeros_like(rank), rank)
        return torch.cat([rank, missing.float()], dim=1)
