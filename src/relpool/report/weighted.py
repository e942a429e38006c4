"""The task kinds' test metrics on many bootstrap resamples at once, for the report's intervals.

A resample is a row of integer weights (how often each example was drawn), so one matrix product
scores a thousand resamples where calling :meth:`~relpool.tasks.TaskKind.score` a thousand times per
model took tens of seconds. Each function equals the kind's metric on the resample itself (pinned by
tests against ``score``); link prediction reuses :func:`~relpool.tasks.metrics.ranking_metrics` per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from relpool.tasks.metrics import ranking_metrics

Draws = dict[str, np.ndarray]  # metric -> its value on each resample (NaN where undefined)


def weighted_metrics(kind: str, frame: pd.DataFrame, weights: np.ndarray, k: int | None, threshold: float) -> Draws:
    """The ``kind`` metrics of ``frame`` (label and the kind's prediction column) under each row of
    ``weights`` ([resamples, examples]); ``threshold``: where a binary probability counts as positive (F1)."""
    if kind == "binary":
        return _binary(frame["label"].astype(bool).to_numpy(), frame["probability"].to_numpy(float), weights, threshold)
    if kind == "regression":
        return _regression(frame["label"].astype(float).to_numpy(), frame["prediction"].to_numpy(float), weights)
    if kind == "multiclass":
        return _multiclass(frame["label"].astype(str).to_numpy(), frame["prediction"].astype(str).to_numpy(), weights)
    assert k is not None  # link prediction: a ranking query always has RANK TOP k
    rows = [ranking_metrics([truth], [ranked], k) for truth, ranked in zip(frame["label"], frame["top_k"])]
    total = weights.sum(axis=1)
    return {name: weights @ np.array([r[name] for r in rows]) / total for name in (f"map@{k}", f"recall@{k}")}


def _binary(y: np.ndarray, p: np.ndarray, w: np.ndarray, threshold: float) -> Draws:
    """AUROC and average precision as scikit-learn computes them (ties share a threshold), and F1."""
    order = np.argsort(-p, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(p[order]) != 0])  # one group per distinct score, highest first
    positives = np.add.reduceat(w[:, order] * y[order], starts, axis=1)
    negatives = np.add.reduceat(w[:, order] * ~y[order], starts, axis=1)
    tp, fp = positives.cumsum(axis=1), negatives.cumsum(axis=1)
    all_p, all_n = tp[:, -1], fp[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        higher_negatives = fp - negatives  # negatives scored above each group
        auroc = 1 - (positives * (higher_negatives + negatives / 2)).sum(axis=1) / (all_p * all_n)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        average_precision = (positives * precision).sum(axis=1) / all_p
        defined = (all_p > 0) & (all_n > 0)
        predicted = p >= threshold
        hits, called = w @ (y & predicted), w @ predicted
        f1 = np.where(called + all_p > 0, 2 * hits / (called + all_p), 0.0)
    return {
        "auroc": np.where(defined, auroc, np.nan),
        "average_precision": np.where(defined, average_precision, np.nan),
        "f1": f1,
    }


def _regression(y: np.ndarray, predicted: np.ndarray, w: np.ndarray) -> Draws:
    error, total = y - predicted, w.sum(axis=1)
    centred = y - y.mean()  # keeps the total sum of squares exact to rounding
    mean = w @ centred / total
    residual, spread = w @ error**2, w @ centred**2 - total * mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(spread > 0, 1 - residual / spread, np.where(residual == 0, 1.0, 0.0))
    return {"mae": w @ np.abs(error) / total, "rmse": np.sqrt(residual / total), "r2": r2}


def _multiclass(y: np.ndarray, predicted: np.ndarray, w: np.ndarray) -> Draws:
    """Accuracy, and macro F1 over the classes each resample holds (as labels or predictions), as scikit-learn."""
    classes, codes = np.unique(np.concatenate([y, predicted]), return_inverse=True)
    truth, guess = codes[: len(y)], codes[len(y) :]
    rows, shape = np.arange(len(y)), (len(y), len(classes))
    true_of = sparse.csr_matrix((np.ones(len(y)), (rows, truth)), shape=shape)
    guessed_of = sparse.csr_matrix((np.ones(len(y)), (rows, guess)), shape=shape)
    right = truth == guess
    hit_of = sparse.csr_matrix((right.astype(float), (rows, truth)), shape=shape)
    hits, support = (hit_of.T @ w.T).T, (true_of.T @ w.T).T + (guessed_of.T @ w.T).T
    present = support > 0
    per_class = np.divide(2 * hits, support, out=np.zeros_like(support), where=present)
    return {
        "accuracy": w @ right / w.sum(axis=1),
        "macro_f1": per_class.sum(axis=1) / present.sum(axis=1),
    }
