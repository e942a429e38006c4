"""The baseline rows an explanation's integrated gradients start from: the rows the model could be shown at the
cutoff, i.e. the table's rows visible then and, for a history table of a model with a history window, inside it."""

from __future__ import annotations

import numpy as np
import torch

from relpool.graph.csr import NO_TIME
from relpool.graph.hetero import is_history
from relpool.nn.attribution import Background
from relpool.train.loop import Loop

BACKGROUND_ROWS = 1024
"""Rows per table whose average is the attribution's baseline: evenly spaced over the rows it is drawn from."""


def background(loop: Loop, table: str, cutoff: int) -> Background:
    """The rows of ``table`` visible at ``cutoff`` (at most :data:`BACKGROUND_ROWS`, evenly spaced, so
    the same every time), encoded, with their ages: no row after the cutoff shapes the baseline either.

    With ``--history-window`` a table reached as a history keeps only its rows in (cutoff - window, cutoff]
    (and those without a time), where it has any: the sampler never shows older ones there, so an average
    over all of them, weeks older on average, would be a baseline row the network never meets. The entity
    table keeps all its rows: the seed's own row is shown at any age."""
    times = loop.graph.node_time[table]
    visible = np.flatnonzero(times <= cutoff)
    window = loop.options.history_window
    if (
        window is not None
        and table != loop.entity
        and any(is_history(e) and e[2] == table for e in loop.graph.edge_types)
    ):
        recent = visible[(times[visible] > cutoff - window) | (times[visible] == NO_TIME)]
        visible = recent if len(recent) else visible
    picked = visible[np.unique(np.linspace(0, len(visible) - 1, min(len(visible), BACKGROUND_ROWS)).astype(np.int64))]
    has_time = times[picked] != NO_TIME
    return Background(
        frame=loop.tables[table].tensor_frame[torch.from_numpy(picked)],
        age=torch.from_numpy(np.where(has_time, cutoff - times[picked], 0)),
        has_time=torch.from_numpy(has_time),
    )
