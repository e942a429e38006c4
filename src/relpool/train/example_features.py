"""The hybrid GNN's auto-features: computed by :mod:`relpool.autofeat` under the time rule, for the same
examples the network sees, and kept as a float matrix in the model's column order.

Only numeric features are inputs (categorical ones, e.g. the most frequent destination, are the subgraph's
job: the network sees the rows themselves). The columns are chosen on the training examples (constant ones
carry nothing) and stored with the model, so prediction computes and orders exactly those, planned from their
names (:mod:`relpool.autofeat.wanted`) with no profile of whole tables; a column a later database cannot
produce (a table column that vanished) is missing, as a NULL would be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from relpool.autofeat import FeatureTable, FeatureTimes, auto_features, registered
from relpool.db.inspection import Inspection
from relpool.query.bind import BoundQuery


def compute_features(
    inspection: Inspection,
    bound: BoundQuery,
    times: FeatureTimes,
    examples: pd.DataFrame,
    track: Callable[[Iterable, str], Iterable] = lambda items, _: items,
    columns: Sequence[str] | None = None,
) -> FeatureTable:
    """Every auto-feature of ``examples`` (entity, cutoff), one row each, in their order; or, given a model's
    ``columns``, only those (no profile of whole tables: a prediction for one entity needs none)."""
    with registered(inspection.database, examples):
        return auto_features(inspection, bound, times, track=track, wanted=columns)


def input_columns(table: FeatureTable, train: np.ndarray) -> list[str]:
    """The numeric features that vary over the training examples (``train`` masks the table's rows)."""
    numeric = table.frame.drop(columns=list(table.categorical))
    values = numeric[train]
    return [c for c in numeric.columns if values[c].nunique(dropna=True) > 1]


def feature_matrix(table: FeatureTable, columns: list[str]) -> torch.Tensor:
    """[examples, columns] float32, NaN where a value is missing or the column was not produced."""
    frame = table.frame.reindex(columns=columns)
    return torch.as_tensor(frame.to_numpy(dtype=np.float64, na_value=np.nan), dtype=torch.float32)
