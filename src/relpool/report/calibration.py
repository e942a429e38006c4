"""How far a binary model's probabilities can be taken at face value, and how good its top of the list is.

AUROC says nothing about either: a model can rank well with probabilities twice the true rates, and
a team acting on the 50 highest scores cares about precision there, not over the whole ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = 10
TOP = (10, 50, 100)


def reliability(labels: pd.Series, probability: pd.Series, bins: int = BINS) -> pd.DataFrame:
    """Per equal-width probability bin (the last one closed) holding examples: its bounds, examples, mean
    probability and observed positive rate."""
    p, y = probability.to_numpy(float), labels.astype(bool).to_numpy()
    which = np.clip((p * bins).astype(int), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "probability": p, "positive": y})
    out = frame.groupby("bin").agg(
        examples=("positive", "size"), mean_probability=("probability", "mean"), positive_rate=("positive", "mean")
    )
    return out.reset_index().assign(low=lambda f: f["bin"] / bins, high=lambda f: (f["bin"] + 1) / bins)


def calibration_error(table: pd.DataFrame) -> float:
    """Expected calibration error: the examples-weighted mean gap between probability and positive rate."""
    gaps = (table["mean_probability"] - table["positive_rate"]).abs()
    return float((gaps * table["examples"]).sum() / table["examples"].sum())


def brier(labels: pd.Series, probability: pd.Series) -> float:
    """Mean squared gap between probability and outcome (0 is perfect; the positive rate p scores p(1-p))."""
    return float(np.mean((probability.to_numpy(float) - labels.astype(bool).to_numpy()) ** 2))


def top_sizes(n: int) -> list[int]:
    """The list lengths precision@k is shown for: 10, 50 and 100, capped by the split's size."""
    return sorted({min(k, n) for k in TOP if n})


def precision_at(labels: pd.Series, probability: pd.Series, k: int) -> float:
    """The share of positives among the ``k`` highest probabilities (ties: in the frame's order)."""
    order = np.argsort(-probability.to_numpy(float), kind="stable")[:k]
    return float(labels.astype(bool).to_numpy()[order].mean())
