"""Model outputs -> predictions in the user's terms -> metrics of the task type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relpool.train.data import Targets
from relpool.train.metrics import binary_metrics, multiclass_metrics, ranking_metrics, regression_metrics

MAIN_METRIC = {"binary": "auroc", "regression": "mae", "multiclass": "accuracy", "link_prediction": "map@k"}
LOWER_IS_BETTER = {"mae", "rmse"}


def main_metric(task_type: str, k: int | None) -> str:
    name = MAIN_METRIC[task_type]
    return name.replace("@k", f"@{k}") if k else name


def is_better(metric: str, value: float, best: float | None) -> bool:
    if best is None or np.isnan(best):
        return not np.isnan(value)
    return value < best if metric in LOWER_IS_BETTER else value > best


def to_predictions(outputs: torch.Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
    """One row per example: probability / prediction / class and class probabilities / top-k items."""
    kind = targets.task_type
    if kind == "binary":
        return pd.DataFrame({"probability": torch.sigmoid(outputs).numpy()})
    if kind == "regression":
        return pd.DataFrame({"prediction": (outputs * targets.std + targets.mean).numpy()})
    if kind == "multiclass":
        probabilities = torch.softmax(outputs, dim=-1)
        best = probabilities.argmax(dim=-1).numpy()
        return pd.DataFrame({"prediction": [targets.classes[i] for i in best],
                             "probability": probabilities.max(dim=-1).values.numpy()})
    top = outputs.topk(min(k, outputs.size(1)), dim=-1).indices.numpy()
    return pd.DataFrame({"top_k": [[targets.item_keys[i] for i in row] for row in top]})


def score(predictions: pd.DataFrame, labels: pd.Series, targets: Targets, k: int | None) -> dict[str, float | None]:
    """The task type's metrics; None where one is undefined (AUROC of a single class), as JSON has no NaN."""
    kind = targets.task_type
    if kind == "binary":
        scores = binary_metrics(labels.astype(bool), predictions["probability"])
    elif kind == "regression":
        scores = regression_metrics(labels.astype(float), predictions["prediction"])
    elif kind == "multiclass":
        scores = multiclass_metrics(labels.astype(str), predictions["prediction"])
    else:
        scores = ranking_metrics(list(labels), list(predictions["top_k"]), k)
    return {name: (None if value is None or np.isnan(value) else value) for name, value in scores.items()}
