"""Vectorised numpy helpers that several layers share (the graph sampler, the training history, stored arrays)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def ragged_arange(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) for every (s, c): the positions of many slices (CSR rows) at once."""
    group_start = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(group_start - starts, counts)


def save_npy(path: Path, array: np.ndarray) -> None:
    """``array`` as a plain .npy file (no pickle), so :func:`load_npy` can map it instead of reading it."""
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def load_npy(path: Path) -> np.ndarray:
    """The array in ``path`` mapped read-only: pages are read on first touch and can be dropped under memory
    pressure, so arrays larger than the memory left to the process still serve."""
    return np.load(path, mmap_mode="r", allow_pickle=False)
