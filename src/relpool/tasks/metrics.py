"""The metric functions of every task kind, computed with scikit-learn where it has them.

Each returns plain floats, NaN where a metric is undefined; :meth:`TaskKind.score` turns NaN into
None once, for every model, because JSON has no NaN.
"""

from __future__ import annotations

import numpy as np


def metric_text(value: float | None, digits: int = 4) -> str:
    """A metric for people: undefined ones (None, NaN: e.g. AUROC of a single class) as n/a."""
    if value is None or value != value:
        return "n/a"
    return f"{value:.{digits}f}"


def binary_metrics(y_true, probability, threshold: float = 0.5) -> dict[str, float]:
    """AUROC, average precision, and F1 of predicting positive at ``probability >= threshold``."""
    from sklearn import metrics as skm

    y_true, probability = np.asarray(y_true, dtype=bool), np.asarray(probability, dtype=float)
    out = {"f1": float(skm.f1_score(y_true, probability >= threshold, zero_division=0)), "threshold": float(threshold)}
    if y_true.all() or not y_true.any():  # one class only: ranking metrics are undefined
        return {"auroc": float("nan"), "average_precision": float("nan"), **out}
    return {
        "auroc": float(skm.roc_auc_score(y_true, probability)),
        "average_precision": float(skm.average_precision_score(y_true, probability)),
        **out,
    }


def best_f1_threshold(y_true, probability) -> float:
    """The probability threshold with the highest F1 on these examples (validation's, so test F1 is honest);
    0.5 when there is no positive to find."""
    from sklearn import metrics as skm

    y_true, probability = np.asarray(y_true, dtype=bool), np.asarray(probability, dtype=float)
    if not y_true.any() or y_true.all():
        return 0.5
    precision, recall, thresholds = skm.precision_recall_curve(y_true, probability)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))[:-1]  # the last point has no threshold
    return float(thresholds[int(np.argmax(f1))])


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    from sklearn import metrics as skm

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return {
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }


def multiclass_metrics(y_true, y_pred) -> dict[str, float]:
    from sklearn import metrics as skm

    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "macro_f1": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def ranking_metrics(true_items: list, ranked_items: list, k: int) -> dict[str, float]:
    """MAP@k and recall@k of ranked predictions against each entity's true item set."""
    average_precisions, recalls = [], []
    for truth, ranked in zip(true_items, ranked_items):
        truth, top = set(truth), list(ranked)[:k]
        hits = np.array([item in truth for item in top], dtype=float)
        precision_at = np.cumsum(hits) / np.arange(1, len(top) + 1) if len(top) else np.array([])
        average_precisions.append(float((precision_at * hits).sum() / min(len(truth), k)) if truth else 0.0)
        recalls.append(float(hits.sum() / len(truth)) if truth else 0.0)
    return {f"map@{k}": float(np.mean(average_precisions)), f"recall@{k}": float(np.mean(recalls))}
