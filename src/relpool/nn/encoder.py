"""Row encoders: a table's columns (pytorch-frame) plus the row's age relative to its seed's cutoff."""

from __future__ import annotations

import math

import torch
import torch_frame
from torch import Tensor, nn
from torch_frame import TensorFrame
from torch_frame.nn import encoder as frame_encoder
from torch_frame.nn.models import ResNet

SECONDS_PER_DAY = 86_400.0
# pytorch-frame's LinearEncoder starts at N(0, 0.01): a standardised numerical column then reaches the
# ResNet 100x weaker than an embedded category and is learned last, if at all. At std 1 the plain GNN
# learns the affinity family (bench/affinity_fit_probe.py; docs/benchmarks.md, issue 18).
NUMERICAL_INIT_STD = 1.0


def stype_encoders() -> dict:
    """One encoder per stype (pytorch-frame's defaults leave multicategorical and timestamp out).

    Missing values are imputed before encoding: an encoder that only zeroes NaN outputs still
    multiplies NaN inputs in its backward pass, and one missing value turns every weight to NaN.
    """
    na = torch_frame.NAStrategy
    return {
        torch_frame.categorical: frame_encoder.EmbeddingEncoder(na_strategy=na.MOST_FREQUENT),
        torch_frame.numerical: frame_encoder.LinearEncoder(na_strategy=na.MEAN),
        torch_frame.multicategorical: frame_encoder.MultiCategoricalEmbeddingEncoder(na_strategy=na.ZEROS),
        torch_frame.embedding: frame_encoder.LinearEmbeddingEncoder(),
        torch_frame.timestamp: frame_encoder.TimestampEncoder(na_strategy=na.MEDIAN_TIMESTAMP),
    }


class TableEncoder(nn.Module):
    """A table's encoded columns -> one vector per row (a ResNet over columns, as RelBench does).

    A table with no encoded column (only keys) still needs a starting vector: a learned constant.
    """

    def __init__(self, channels: int, col_stats: dict, col_names_dict: dict, num_layers: int = 2, dropout: float = 0.1):
        super().__init__()
        self.channels = channels
        self.resnet: ResNet | None = None
        self.constant: nn.Parameter | None = None
        if col_names_dict:
            self.resnet = ResNet(
                channels,
                channels,
                num_layers,
                col_stats,
                col_names_dict,
                stype_encoder_dict=stype_encoders(),
                dropout_prob=dropout,
            )
            for module in self.resnet.modules():
                if isinstance(module, frame_encoder.LinearEncoder):
                    nn.init.normal_(module.weight, std=NUMERICAL_INIT_STD)
        else:
            self.constant = nn.Parameter(torch.zeros(channels))

    def forward(self, frame: TensorFrame, num_rows: int) -> Tensor:
        if self.resnet is None:
            assert self.constant is not None  # the table has no encoded column
            return self.constant.expand(num_rows, -1)
        return self.resnet(frame)

    def columns(self, frame: TensorFrame) -> tuple[Tensor, list[str]] | None:
        """The per-column embeddings the stype encoders produce, [rows, columns, channels], and the
        columns' names in that order; None for a table with no encoded column. ``from_columns`` of
        them is ``forward`` (explanations attribute to these inputs)."""
        if self.resnet is None:
            return None
        x, names = self.resnet.encoder(frame)
        return x, list(names)

    def from_columns(self, x: Tensor | None, num_rows: int) -> Tensor:
        """The rest of ``forward`` after :meth:`columns`: ResNet's backbone and decoder, as its forward runs them."""
        if self.resnet is None or x is None:
            assert self.constant is not None  # the table has no encoded column
            return self.constant.expand(num_rows, -1)
        x = x.reshape(x.size(0), math.prod(x.shape[1:]))
        return self.resnet.decoder(self.resnet.backbone(x))


class AgeEncoder(nn.Module):
    """How old a row is at its seed's cutoff, in days, as sinusoids of several periods + log-age.

    Rows of tables without a time have no age: they get a learned vector instead.
    """

    frequencies: Tensor  # a buffer (saved with the model, not trained)

    def __init__(self, channels: int, periods_days: tuple[float, ...] = (1, 7, 30, 365, 3650)):
        super().__init__()
        self.register_buffer("frequencies", 2 * math.pi / torch.tensor(periods_days, dtype=torch.float))
        self.project = nn.Linear(2 * len(periods_days) + 1, channels)
        self.timeless = nn.Parameter(torch.zeros(channels))

    def forward(self, age_seconds: Tensor, has_time: Tensor) -> Tensor:
        days = age_seconds.float().clamp(min=0) / SECONDS_PER_DAY
        angles = days.unsqueeze(-1) * self.frequencies
        features = torch.cat([angles.sin(), angles.cos(), torch.log1p(days).unsqueeze(-1)], dim=-1)
        return torch.where(has_time.unsqueeze(-1), self.project(features), self.timeless)
