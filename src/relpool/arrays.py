"""Vectorised numpy helpers that several layers share (the graph sampler, the training history)."""

from __future__ import annotations

import numpy as np


def ragged_arange(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) for every (s, c): the positions of many slices (CSR rows) at once."""
    group_start = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(group_start - starts, counts)
