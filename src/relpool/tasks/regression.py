"""Regression: a number; trained with L1 on targets standardised by the training labels."""

from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor, nn

from relpool.tasks.base import Predicted, TaskKind, register
from relpool.tasks.metrics import regression_metrics
from relpool.tasks.targets import Targets


@register("regression")
class Regression(TaskKind):
    families = ("integer", "float")
    metrics = ("mae", "rmse", "r2")
    lower_is_better = frozenset({"mae", "rmse"})
    plots = "residuals"
    lightgbm = ("regression_l1", "l1")  # the main metric is MAE, whose best constant is the median

    def fit_targets(self, labels: pd.Series, item_keys: list | None = None) -> Targets:
        values = labels.astype(float)
        return Targets(self.name, mean=float(values.mean()), std=float(values.std(ddof=0)) or 1.0)

    def encode(self, labels: pd.Series, targets: Targets) -> Tensor:
        return torch.tensor((labels.astype(float).to_numpy() - targets.mean) / targets.std, dtype=torch.float)

    def loss(self, outputs: Tensor, target: Tensor | list[Tensor]) -> Tensor:
        assert isinstance(target, Tensor)  # this kind encodes its targets as one tensor
        return nn.functional.l1_loss(outputs, target)

    def predictions(self, outputs: Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
        return self.prediction_frame((outputs * targets.std + targets.mean).numpy())

    def compute_metrics(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float]:
        return regression_metrics(labels.astype(float), predicted)

    def label_stats(self, labels: pd.Series) -> dict:
        values = labels.astype(float)
        return {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=0)),
            "min": float(values.min()),
            "max": float(values.max()),
        }

    def one_value(self, labels: pd.Series, name: str, train: bool) -> str | None:
        values = labels.astype(float)
        if len(values) and values.nunique(dropna=True) == 1:
            return f"the label is always {values.iloc[0]:g} in the {name} examples ({len(values):,})"
        return None

    def one_value_verdict(self, problem: str, train: bool) -> str:
        """A constant is still a valid (if trivial) regression, so never an error; small test tasks have them."""
        if train:
            return f"{problem}: a model can only learn that constant; check the query"
        return f"{problem}: r2 is not meaningful there (MAE and RMSE still are)"
