"""Multiclass: a text value; one logit per class seen in training, cross-entropy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from relpool.errors import RelpoolError
from relpool.tasks.base import Predicted, TaskKind, register
from relpool.tasks.metrics import multiclass_metrics
from relpool.tasks.targets import Targets

MIN_CLASSES_FOR_ID_CHECK = 10  # a handful of classes in a tiny task is no sign of an id


@register("multiclass")
class Multiclass(TaskKind):
    families = ("string",)
    metrics = ("accuracy", "macro_f1")
    plots = "confusion"
    lightgbm = ("multiclass", "multi_logloss")

    def fit_targets(self, labels: pd.Series, item_keys: list | None = None) -> Targets:
        return Targets(self.name, classes=sorted(labels.astype(str).unique().tolist()))

    def out_dim(self, targets: Targets) -> int:
        return len(_classes(targets))

    def encode(self, labels: pd.Series, targets: Targets) -> Tensor:
        index = {c: i for i, c in enumerate(_classes(targets))}
        return torch.tensor([index.get(str(v), -1) for v in labels], dtype=torch.long)  # -1: unseen class

    def loss(self, outputs: Tensor, target: Tensor | list[Tensor]) -> Tensor:
        assert isinstance(target, Tensor)  # this kind encodes its targets as one tensor
        return nn.functional.cross_entropy(outputs, target, ignore_index=-1)

    def predictions(self, outputs: Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
        """The likeliest class and its probability."""
        probabilities = torch.softmax(outputs, dim=-1)
        best = probabilities.argmax(dim=-1).numpy()
        classes = _classes(targets)
        return self.prediction_frame([classes[i] for i in best]).assign(
            probability=probabilities.max(dim=-1).values.numpy()
        )

    def compute_metrics(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float]:
        return multiclass_metrics(labels.astype(str), predicted)

    def label_stats(self, labels: pd.Series) -> dict:
        counts = labels.astype(str).value_counts()
        return {"classes": int(len(counts)), "class_counts": {k: int(v) for k, v in counts.head(20).items()}}

    def one_value(self, labels: pd.Series, name: str, train: bool) -> str | None:
        """Only training matters: accuracy is still defined on a split of one class."""
        if not train:
            return None
        classes = labels.astype(str).unique()
        if len(classes) == 1:
            return f"the target has only one class ({classes[0]!r}) in the {name} examples ({len(labels):,})"
        return None

    def check_training(self, labels: pd.Series) -> None:
        labels = labels.astype(str)
        classes = labels.nunique()
        if classes > MIN_CLASSES_FOR_ID_CHECK and classes > len(labels) / 2:
            raise RelpoolError(
                f"the target has {classes:,} classes among {len(labels):,} training examples: most "
                f"values occur once, as an id or a time would; predict something with fewer "
                f"distinct values (or a count or condition on it)"
            )

    def lightgbm_target(self, labels: pd.Series, train: np.ndarray) -> tuple[pd.Series, np.ndarray | None]:
        classes = np.array(sorted(labels[train].astype(str).unique()))
        codes = pd.Categorical(labels.astype(str), categories=classes).codes
        return pd.Series(codes, index=labels.index), classes


def _classes(targets: Targets) -> list[str]:
    """The classes seen in training (:meth:`Multiclass.fit_targets` always sets them)."""
    assert targets.classes is not None
    return targets.classes
