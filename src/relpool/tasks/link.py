"""Link prediction (LIST_DISTINCT … RANK TOP k): rank the rows of the item table for each entity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from relpool.tasks.base import Predicted, TaskKind, register
from relpool.tasks.metrics import ranking_metrics
from relpool.tasks.targets import Targets


@register("link_prediction")
class Link(TaskKind):
    families = ("list",)
    metrics = ("map@k", "recall@k")
    column = "top_k"
    plots = "ranking"
    ranks_items = True

    def fit_targets(self, labels: pd.Series, item_keys: list | None = None) -> Targets:
        """Items are the item table's rows, not the training labels: any of them can be ranked."""
        return Targets(self.name, item_keys=item_keys)

    def encode(self, labels: pd.Series, targets: Targets) -> list[Tensor]:
        """Each example's true items as dense ids; items unknown at training are left out."""
        assert targets.item_keys is not None  # fit_targets always sets them for this kind
        index = {k: i for i, k in enumerate(targets.item_keys)}
        return [torch.tensor([index[k] for k in items if k in index], dtype=torch.long) for items in labels]

    def batch(self, target: Tensor | list[Tensor], index: np.ndarray) -> list[Tensor]:
        assert isinstance(target, list)  # encoded as one tensor of item ids per example
        return [target[i] for i in index]

    def loss(self, outputs: Tensor, target: Tensor | list[Tensor]) -> Tensor:
        assert isinstance(target, list)
        return softmax_link_loss(outputs, target)

    def predictions(self, outputs: Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
        assert k is not None and targets.item_keys is not None  # a ranking query always has RANK TOP k
        item_keys = targets.item_keys
        top = outputs.topk(min(k, outputs.size(1)), dim=-1).indices.numpy()
        return self.prediction_frame([[item_keys[i] for i in row] for row in top])

    def prediction_frame(self, values: Predicted) -> pd.DataFrame:
        return pd.DataFrame({self.column: [list(items) for items in values]})

    def compute_metrics(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float]:
        assert k is not None  # a ranking query always has RANK TOP k
        return ranking_metrics(list(labels), list(predicted), k)

    def label_stats(self, labels: pd.Series) -> dict:
        sizes = labels.map(len)
        return {"mean_items": float(sizes.mean()), "distinct_items": int(len({i for items in labels for i in items}))}


def softmax_link_loss(scores: Tensor, positives: list[Tensor]) -> Tensor:
    """Cross-entropy of each true item against every item (listwise): the true items must outrank all
    others, including the ones the entity used before, which random negatives rarely are."""
    rows = torch.cat([torch.full((len(items),), row) for row, items in enumerate(positives)])
    cols = torch.cat(list(positives))
    if not len(cols):
        return scores.sum() * 0.0
    return -torch.log_softmax(scores, dim=1)[rows, cols].mean()
