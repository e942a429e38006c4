"""LightGBM on a feature table: seeded, deterministic, two threads, early stopping on validation.

Categories become codes of their most frequent training values, so a category that appears only
in validation or test shares the "other" code instead of getting a code learned from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from relpool.autofeat.table import FeatureTable
from relpool.errors import RelpoolError
from relpool.tasks import TaskKind

if TYPE_CHECKING:
    import lightgbm as lgb

MAX_ROUNDS, PATIENCE = 2000, 50
MAX_CATEGORIES = 50


@dataclass
class Fitted:
    predictions: dict[str, np.ndarray]  # split -> probabilities (binary), values, or class labels
    importances: list[dict]  # per feature: name, gain, split; largest gain first
    best_iteration: int
    contributions: np.ndarray | None = None  # per feature: mean |SHAP value| over (a sample of) the test rows
    booster: lgb.Booster | None = None  # what a served baseline predicts with (:mod:`relpool.baselines.served`)
    vocabularies: dict[str, list[str]] | None = None  # categorical column -> its codes' values, as trained
    classes: list[str] | None = None  # multiclass: the class of each output column


def fit_predict(kind: TaskKind, features: FeatureTable, split: np.ndarray, labels: pd.Series, seed: int) -> Fitted:
    """Train on rows with ``split == 'train'``, stop early on 'val', predict every split."""
    import lightgbm as lgb

    if features.frame.shape[1] == 0:
        raise RelpoolError(
            "there are no columns to learn from: the entity table has only keys and no related "
            "table is reachable; try --kind autofeat or another entity"
        )
    vocabularies = category_codes(features, split == "train")
    matrix, categorical = encode(features, vocabularies)
    train, val = split == "train", split == "val"
    target, classes = kind.lightgbm_target(labels, train)
    if classes is not None:  # class codes: -1, a class never seen in training, cannot guide early stopping
        val = val & (target.to_numpy() >= 0)
    assert kind.lightgbm is not None  # every kind a LightGBM baseline fits names its objective
    objective, metric = kind.lightgbm
    params = {
        "objective": objective,
        "metric": metric,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": 2,
        "deterministic": True,
        "force_row_wise": True,
        "seed": seed,
        "verbose": -1,
        **({"num_class": len(classes)} if classes is not None else {}),
    }
    names = [f"f{i}" for i in range(matrix.shape[1])]  # LightGBM rejects JSON characters in names
    train_set = lgb.Dataset(
        matrix[train],
        target[train].to_numpy(),
        feature_name=names,
        categorical_feature=categorical,
        free_raw_data=False,
    )
    val_set = lgb.Dataset(matrix[val], target[val].to_numpy(), reference=train_set)
    booster = lgb.train(
        params, train_set, MAX_ROUNDS, valid_sets=[val_set], callbacks=[lgb.early_stopping(PATIENCE, verbose=False)]
    )
    raw = np.asarray(booster.predict(matrix, num_iteration=booster.best_iteration))
    values = classes[raw.argmax(axis=1)] if classes is not None else raw
    predictions = {s: values[split == s] for s in np.unique(split)}
    gain, count = booster.feature_importance("gain"), booster.feature_importance("split")
    importances = sorted(
        ({"name": n, "gain": float(g), "split": int(c)} for n, g, c in zip(features.frame.columns, gain, count)),
        key=lambda r: -r["gain"],
    )
    return Fitted(
        predictions,
        importances,
        int(booster.best_iteration),
        _shap(booster, matrix[split == "test"], seed),
        booster,
        vocabularies,
        None if classes is None else [str(c) for c in classes],
    )


SHAP_ROWS = 2000
"""Test rows (a seeded sample) whose SHAP values are averaged: TreeSHAP costs per row and tree."""


def _shap(booster: lgb.Booster, matrix: np.ndarray, seed: int) -> np.ndarray | None:
    """Mean |SHAP value| per feature (``pred_contrib``; summed over the classes of a multiclass model)."""
    if not len(matrix):
        return None
    rows = np.random.default_rng(seed).choice(len(matrix), min(len(matrix), SHAP_ROWS), replace=False)
    contrib = np.asarray(
        booster.predict(matrix[np.sort(rows)], num_iteration=booster.best_iteration, pred_contrib=True)
    )
    features = matrix.shape[1]
    per_class = contrib.reshape(len(rows), -1, features + 1)[:, :, :features]  # the last of each class: the bias
    return np.abs(per_class).sum(axis=1).mean(axis=0)


def category_codes(features: FeatureTable, train: np.ndarray) -> dict[str, list[str]]:
    """Each categorical column's most frequent training values (a code each; every other value shares one)."""
    frame = features.frame
    return {
        column: [str(v) for v in frame[column][train].value_counts().index[:MAX_CATEGORIES]]
        for column in frame.columns
        if column in features.categorical
    }


def encode(features: FeatureTable, vocabularies: dict[str, list[str]]) -> tuple[np.ndarray, list[int]]:
    """A float matrix; categorical columns hold codes 0..k-1, k for any other value, NaN for missing."""
    frame = features.frame.copy()
    categorical = []
    for i, column in enumerate(frame.columns):
        if column not in vocabularies:
            continue
        values, vocabulary = frame[column], vocabularies[column]
        codes = pd.Categorical(values.astype("string"), categories=vocabulary).codes.astype("float64")
        codes[codes < 0] = len(vocabulary)
        codes[values.isna().to_numpy()] = np.nan
        frame[column] = codes
        categorical.append(i)
    return frame.to_numpy(dtype="float64"), categorical
