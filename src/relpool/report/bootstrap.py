"""Seeded bootstrap of every model's test metrics: intervals per model and paired differences.

Every model is scored on the same resamples of the same test examples, so the difference between two
models on each resample is a paired draw: the shared luck of an easy or hard resample cancels, and the
interval of the difference is far narrower than two overlapping intervals suggest. Link prediction
resamples entities (all of an entity's rows together), as its rows of one entity are not independent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from relpool.report.weighted import Draws, weighted_metrics

RESAMPLES = 1000
CELLS = 4_000_000  # weights held at once (resamples x examples): 32 MB, whatever the test split's size
MIN_RESAMPLES = 200  # fewer resamples for very large splits keeps the report fast; their intervals are narrow
LEVEL = 0.95


@dataclass
class Bootstrap:
    """Each model's metrics on each resample (models in the order given), and how they were drawn."""

    draws: dict[str, Draws]
    resamples: int
    units: str  # what was resampled: "examples" or "entities"

    def interval(self, model: str, metric: str) -> tuple[float, float] | None:
        return _interval(self.draws[model][metric])

    def difference(self, better: str, other: str, metric: str, lower_is_better: bool) -> tuple[float, float] | None:
        """The paired interval of how much ``better`` beats ``other`` (positive: ``better`` is better)."""
        gap = self.draws[better][metric] - self.draws[other][metric]
        return _interval(-gap if lower_is_better else gap)


def bootstrap(
    kind: str,
    predictions: dict[str, pd.DataFrame],
    k: int | None,
    thresholds: dict[str, float],
    seed: int = 0,
) -> Bootstrap:
    """Draw the same resamples for every model in ``predictions`` (test frames of the same examples, in any
    order); ``thresholds``: a model's binary threshold for F1 where it has one (else 0.5)."""
    frames = _aligned(predictions)
    first = next(iter(frames.values()))
    groups = pd.factorize(first["entity"])[0] if kind == "link_prediction" else np.arange(len(first))
    units = int(groups.max()) + 1 if len(groups) else 0
    resamples = max(MIN_RESAMPLES, min(RESAMPLES, CELLS // max(len(first), 1)))
    rng = np.random.default_rng(seed)
    chunks: dict[str, list[Draws]] = {name: [] for name in frames}
    step = max(1, CELLS // max(len(first), units, 1))
    for start in range(0, resamples, step):
        weights = _weights(rng, groups, units, min(step, resamples - start))
        for name, frame in frames.items():
            chunks[name].append(weighted_metrics(kind, frame, weights, k, thresholds.get(name, 0.5)))
    draws = {name: {m: np.concatenate([c[m] for c in parts]) for m in parts[0]} for name, parts in chunks.items()}
    return Bootstrap(draws, resamples, "entities" if kind == "link_prediction" else "examples")


def _weights(rng: np.random.Generator, groups: np.ndarray, units: int, count: int) -> np.ndarray:
    """``count`` resamples of the units with replacement, as each row's number of draws."""
    picked = rng.integers(0, units, size=(count, units)) + units * np.arange(count)[:, None]
    per_unit = np.bincount(picked.ravel(), minlength=count * units).reshape(count, units)
    return per_unit[:, groups].astype(float)


def _aligned(predictions: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every frame in the first one's row order, matched on (entity, cutoff), so resamples pair up."""
    first = next(iter(predictions.values()))
    keys = pd.MultiIndex.from_frame(first[["entity", "cutoff"]])
    out = {}
    for name, frame in predictions.items():
        if len(frame) != len(first):
            raise ValueError(f"the test predictions of {name} hold {len(frame)} rows, not {len(first)}")
        out[name] = frame.set_index(["entity", "cutoff"]).loc[keys].reset_index()
    return out


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    """The central ``LEVEL`` percentile interval; None when the metric is undefined on most resamples."""
    defined = values[~np.isnan(values)]
    if len(defined) < len(values) / 2:
        return None
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high)
