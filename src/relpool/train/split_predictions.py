"""A split's examples beside the model's predictions, and their metrics: what fit reports and evaluate repeats.

Predictions use one fixed sampler seed (``EVAL_SEED``), so the same weights on the same database
give the same predictions and metrics at training, after reloading, and in every later call.
"""

from __future__ import annotations

import pandas as pd

from relpool.tasks import Targets, task_kind
from relpool.train.data import SplitData
from relpool.train.loop import Loop

EVAL_SEED = 12345


def predict_split(loop: Loop, data: SplitData, targets: Targets, k: int | None) -> pd.DataFrame:
    """entity, cutoff, label and the prediction columns, one row per example in the split's order."""
    outputs = loop.predict_outputs(data.seeds, data.cutoffs, EVAL_SEED, data.history, data.features)
    predictions = task_kind(targets.task_type).predictions(outputs, targets, k)
    return pd.concat([data.frame.reset_index(drop=True), predictions], axis=1)


def score_split(predicted: pd.DataFrame, targets: Targets, k: int | None) -> dict[str, float | None]:
    kind = task_kind(targets.task_type)
    return kind.score(predicted["label"], predicted[kind.column], k)


def score_splits(predicted: dict[str, pd.DataFrame], targets: Targets, k: int | None) -> dict[str, dict]:
    """Each split's metrics, thresholded ones at the threshold chosen on the "val" split's predictions."""
    kind = task_kind(targets.task_type)
    return kind.score_splits(
        {s: p["label"] for s, p in predicted.items()}, {s: p[kind.column] for s, p in predicted.items()}, k
    )
