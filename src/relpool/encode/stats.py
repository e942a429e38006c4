"""Column statistics learned from the rows visible at the stats cutoff, applied to every row.

pytorch-frame computes the statistics (category counts, year ranges, …); this module chooses which
rows it sees and adds one "unknown" category per categorical column, so a category first seen
after the cutoff gets a learned embedding of its own instead of sharing the missing-value (-1)
slot, and cannot reveal which category it was.

Numerical statistics are the exception: pytorch-frame 0.3.0 flattens a numerical column with
``np.hstack`` over every value (2.6 s per 250,000 rows), so :func:`numerical_stats` computes the
same three figures, by the same definitions, vectorised; a test holds them equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch_frame
from torch_frame.data.stats import StatType, compute_col_stats

UNKNOWN = "<unknown>"
"""The category every value unseen in the visible rows maps to; always the last index."""

_VOCABULARY = {torch_frame.categorical: StatType.COUNT, torch_frame.multicategorical: StatType.MULTI_COUNT}


def visible_col_stats(frame: pd.DataFrame, visible: np.ndarray,
                      col_to_stype: dict[str, torch_frame.stype]) -> dict[str, dict[StatType, Any]]:
    """pytorch-frame's col_stats over ``frame[visible]``, each vocabulary ending in :data:`UNKNOWN`."""
    seen = frame[visible]
    stats = {col: numerical_stats(seen[col].to_numpy(dtype=np.float64)) if stype == torch_frame.numerical
             else compute_col_stats(seen[col], stype) for col, stype in col_to_stype.items()}
    for col, stype in col_to_stype.items():
        if stype in _VOCABULARY:
            categories, counts = stats[col][_VOCABULARY[stype]]
            stats[col][_VOCABULARY[stype]] = ([*categories, UNKNOWN], [*counts, 0])
    return stats


def numerical_stats(values: np.ndarray) -> dict[StatType, Any]:
    """MEAN, STD and QUANTILES over the finite values, as ``compute_col_stats`` defines them."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return {StatType.MEAN: np.nan, StatType.STD: np.nan, StatType.QUANTILES: [np.nan] * 5}
    return {StatType.MEAN: np.mean(finite).item(), StatType.STD: np.std(finite).item(),
            StatType.QUANTILES: np.quantile(finite, q=[0, 0.25, 0.5, 0.75, 1]).tolist()}


def map_unseen(frame: pd.DataFrame, col_stats: dict[str, dict[StatType, Any]],
               col_to_stype: dict[str, torch_frame.stype]) -> pd.DataFrame:
    """A copy of ``frame`` where categories missing from the vocabularies read :data:`UNKNOWN`."""
    out = frame.copy()
    for col, stype in col_to_stype.items():
        if stype not in _VOCABULARY:
            continue
        vocabulary = set(col_stats[col][_VOCABULARY[stype]][0])
        if stype == torch_frame.categorical:
            out[col] = out[col].where(out[col].isna() | out[col].isin(vocabulary), UNKNOWN)
        else:
            out[col] = pd.Series([[x if x in vocabulary else UNKNOWN for x in items]
                                  if isinstance(items, np.ndarray | list) else None for items in out[col]],
                                 index=out.index, dtype=object)
    return out
