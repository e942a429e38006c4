"""What every task kind answers, and the registry that finds a kind by the name config.json stores.

Everything that differs between binary, regression, multiclass and link prediction lives in its
kind, so the rest of relpool asks the kind instead of comparing names, and a new kind is one
subclass plus :func:`register`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import ClassVar, TypeAlias, TypeVar

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from relpool.errors import RelpoolError
from relpool.tasks.targets import Targets

_REGISTRY: dict[str, TaskKind] = {}

K = TypeVar("K", bound=type["TaskKind"])

Predicted: TypeAlias = Sequence | np.ndarray  # one split's predictions: a GNN's or a baseline's column


class TaskKind:
    """One kind of prediction: metrics, targets, loss, predictions, scoring and label checks.

    Kinds hold no state: the registry keeps one instance of each.
    """

    name: ClassVar[str] = ""  # as stored in config.json and metrics.json
    families: ClassVar[tuple[str, ...]] = ()  # type families of a target value this kind predicts
    metrics: ClassVar[tuple[str, ...]] = ()  # the first is the main one; "@k" is the ranking's length
    lower_is_better: ClassVar[frozenset[str]] = frozenset()
    column: ClassVar[str] = "prediction"  # the predictions' column that scoring reads, in every model's files
    plots: ClassVar[str] = ""  # the family of test-set figures the report draws
    lightgbm: ClassVar[tuple[str, str] | None] = None  # LightGBM objective and early-stopping metric
    ranks_items: ClassVar[bool] = False  # outputs score every row of an item table
    undefined: ClassVar[str] = "some metrics are"  # what a split with one label value leaves undefined

    def metric_names(self, k: int | None = None) -> list[str]:
        return [m.replace("@k", f"@{k}") if k else m for m in self.metrics]

    def main_metric(self, k: int | None = None) -> str:
        """What early stopping, the report's bold row and the baselines' ``metric`` use."""
        return self.metric_names(k)[0]

    # ---- training ----
    def fit_targets(self, labels: pd.Series, item_keys: list | None = None) -> Targets:
        """From the training labels; ``item_keys``: the item table's keys by dense id (ranking kinds)."""
        return Targets(self.name)

    def out_dim(self, targets: Targets) -> int:
        """Outputs per example of the model's head (ranking kinds size theirs by the items instead)."""
        return 1

    def encode(self, labels: pd.Series, targets: Targets) -> Tensor | list[Tensor]:
        raise NotImplementedError

    def batch(self, target: Tensor | list[Tensor], index: np.ndarray) -> Tensor | list[Tensor]:
        """The encoded targets of the examples ``index``."""
        return target[torch.from_numpy(index)]

    def loss(self, outputs: Tensor, target: Tensor | list[Tensor]) -> Tensor:
        raise NotImplementedError

    # ---- predictions and scores ----
    def predictions(self, outputs: Tensor, targets: Targets, k: int | None) -> pd.DataFrame:
        """The model's outputs in the user's terms, one row per example."""
        raise NotImplementedError

    def prediction_frame(self, values: Predicted) -> pd.DataFrame:
        """``values`` in the column every model's predictions file holds (the baselines have only it)."""
        return pd.DataFrame({self.column: values})

    def score(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float | None]:
        """The kind's metrics of ``predicted`` (the :attr:`column` values); None where one is undefined
        (AUROC of a single class), as JSON has no NaN. ``decision``: what :meth:`decide` chose on validation."""
        scores = self.compute_metrics(labels, predicted, k, decision)
        return {name: (None if value is None or math.isnan(value) else value) for name, value in scores.items()}

    def score_splits(
        self, labels: dict[str, pd.Series], predicted: dict[str, Predicted], k: int | None
    ) -> dict[str, dict[str, float | None]]:
        """Every split's metrics, thresholded metrics at what :meth:`decide` chose on the "val" split."""
        decision = self.decide(labels["val"], predicted["val"]) if "val" in labels else None
        return {split: self.score(labels[split], predicted[split], k, decision) for split in labels}

    def decide(self, labels: pd.Series, predicted: Predicted) -> dict:
        """Settings of thresholded metrics learned from validation predictions (binary: the F1 threshold)."""
        return {}

    def compute_metrics(
        self, labels: pd.Series, predicted: Predicted, k: int | None, decision: dict | None = None
    ) -> dict[str, float]:
        raise NotImplementedError

    # ---- labels ----
    def label_stats(self, labels: pd.Series) -> dict:
        """What the task summary shows about a split's (non-empty) labels."""
        raise NotImplementedError

    def one_value(self, labels: pd.Series, name: str, train: bool) -> str | None:
        """A sentence when the ``name`` split's labels hold a single value this kind cannot learn or score."""
        return None

    def check_split(self, labels: pd.Series, name: str, train: bool) -> str | None:
        """Raise when the training labels leave nothing to learn; a warning when a split's metrics suffer."""
        problem = self.one_value(labels, name, train)
        return None if problem is None else self.one_value_verdict(problem, train)

    def one_value_verdict(self, problem: str, train: bool) -> str:
        """The warning for ``problem`` (from :meth:`one_value`), or raise it when it is in training."""
        if train:
            raise RelpoolError(f"{problem}: there is nothing to learn; check the query")
        return f"{problem}: {self.undefined} undefined there (n/a)"

    def check_training(self, labels: pd.Series) -> None:
        """Raise for training labels that look like no target (e.g. an id as the class)."""

    def lightgbm_target(self, labels: pd.Series, train: np.ndarray) -> tuple[pd.Series, np.ndarray | None]:
        """LightGBM's label column and, for classes, the class of each code (-1: unseen in training)."""
        return labels.astype(float), None


def register(name: str) -> Callable[[K], K]:
    """Class decorator: make a kind available to :func:`task_kind` under ``name``."""

    def wrap(cls: K) -> K:
        if name in _REGISTRY:
            raise ValueError(f"task kind {name!r} is registered twice")
        cls.name = name
        _REGISTRY[name] = cls()
        return cls

    return wrap


def available_kinds() -> list[str]:
    """Names accepted by :func:`task_kind`, sorted."""
    return sorted(_REGISTRY)


def task_kind(name: str) -> TaskKind:
    """The kind registered as ``name`` (the ``task_type`` of config.json and metrics.json)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown task type {name!r}; choose one of {available_kinds()}") from None


def kind_for_family(family: str) -> TaskKind | None:
    """The kind that predicts a target value of type ``family`` (boolean, integer, …), if any."""
    return next((kind for kind in _REGISTRY.values() if family in kind.families), None)


def is_better(metric: str, value: float, best: float | None) -> bool:
    """Whether ``value`` of ``metric`` beats ``best`` (None or NaN: nothing yet)."""
    if best is None or np.isnan(best):
        return not np.isnan(value)
    lower = any(metric in kind.lower_is_better for kind in _REGISTRY.values())
    return value < best if lower else value > best
