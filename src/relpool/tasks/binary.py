"""Binary: a condition (boolean target); the model outputs a logit, predictions are probabilities."""

from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor, nn

from relpool.tasks.base import Predicted, TaskKind, register
from relpool.tasks.metrics import best_f1_threshold, binary_metrics
from relpool.tasks.targets import Targets


@register("binary")
class Binary(TaskKind):
    families = ("boolean",)
    metrics = ("auroc", "average_precision", "f1")
    column = "probability"
    plots = "roc"
    lightgbm = ("binary", "auc")
    undefined = "AUROC and average precision are"

    def encode(self, labels: pd.Series, targets: Targets) -> Tensor:
        return torch.tensor(labels.astype(bool).to_numpy(), dtype=torch.float)

    def loss(self, outputs: Tensor, target: Tensor | list[Tensor]) -> Tensor:
        assert isinstance(target, Tensor)  # this kind encodes its targets as one tensor
        return nn.functional.binary_cross_entropy_with_logits(outputs, target)

    def predictions(self, outputs: Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
        return self.prediction_frame(torch.sigmoid(outputs).numpy())

    def decide(self, labels: pd.Series, predicted: Predicted) -> dict:
        return {"threshold": best_f1_threshold(labels.astype(bool), predicted)}

    def compute_metrics(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float]:
        return binary_metrics(labels.astype(bool), predicted, **(decision or {}))

    def label_stats(self, labels: pd.Series) -> dict:
        values = labels.astype(bool)
        return {"positive_rate": float(values.mean()), "positives": int(values.sum())}

    def one_value(self, labels: pd.Series, name: str, train: bool) -> str | None:
        values = labels.astype(bool)
        if values.all() or not values.any():
            return f"the label is always {str(bool(values.iloc[0])).lower()} in the {name} examples ({len(values):,})"
        return None
