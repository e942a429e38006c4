"""The baseline rows an explanation's integrated gradients start from: the table's rows visible at the cutoff."""

from __future__ import annotations

import numpy as np
import torch

from relpool.graph.csr import NO_TIME
from relpool.nn.attribution import Background
from relpool.train.loop import Loop

BACKGROUND_ROWS = 1024
"""Rows per table whose average is the attribution's baseline: evenly spaced over the rows visible at the cutoff."""


def background(loop: Loop, table: str, cutoff: int) -> Background:
    """The rows of ``table`` visible at ``cutoff`` (at most :data:`BACKGROUND_ROWS`, evenly spaced, so
    the same every time), encoded, with their ages: no row after the cutoff shapes the baseline either."""
    times = loop.graph.node_time[table]
    visible = np.flatnonzero(times <= cutoff)
    picked = visible[np.unique(np.linspace(0, len(visible) - 1, min(len(visible), BACKGROUND_ROWS)).astype(np.int64))]
    has_time = times[picked] != NO_TIME
    return Background(
        frame=loop.tables[table].tensor_frame[torch.from_numpy(picked)],
        age=torch.from_numpy(np.where(has_time, cutoff - times[picked], 0)),
        has_time=torch.from_numpy(has_time),
    )
