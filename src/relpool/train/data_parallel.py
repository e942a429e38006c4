"""One worker's training run, alone or as a rank of a data-parallel group.

Every rank starts from rank 0's state (weights, optimiser, early stopping: what ``--resume`` restored
there), trains its part of every batch with gradients all-reduced, and takes rank 0's validation
metrics, so every rank stops early at the same epoch. Only rank 0 writes checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from relpool.tasks import Targets
from relpool.train.data import SplitData
from relpool.train.distributed import Group, broadcast, parallelise
from relpool.train.loop import Loop
from relpool.train.resume import save_checkpoint
from relpool.train.split_predictions import predict_split, score_split
from relpool.train.trainer import Callbacks, EarlyStopping, Trainer, Weights


@dataclass
class Schedule:
    """What to train on and validate with, from which state, for how long, and where checkpoints go."""

    train: SplitData
    val: SplitData
    targets: Targets
    k: int | None
    stopping: EarlyStopping
    best: Weights | None
    epochs: int
    checkpoint: Path
    run_id: dict


def train_ranks(
    loop: Loop,
    schedule: Schedule,
    group: Group | None,
    callbacks: Callbacks,
    check: Callable[[], None] = lambda: None,
) -> Weights | None:
    """Train ``loop`` (as ``group``'s rank, or alone when None); return the best weights. ``check`` runs
    before each checkpoint (fit: is the output folder still there?)."""
    main = group is None or group.main
    if group is not None:
        _take_state_of_rank_0(loop, schedule, group)
        parallelise(loop, group)

    def validate() -> dict:
        scores = score_split(
            predict_split(loop, schedule.val, schedule.targets, schedule.k), schedule.targets, schedule.k
        )
        return scores if group is None else broadcast(scores if main else None, group)

    def save(state: EarlyStopping, weights: Weights | None) -> None:
        if main:
            check()
            save_checkpoint(schedule.checkpoint, loop, state, schedule.run_id, weights)

    trainer = Trainer(loop, schedule.train, validate, schedule.stopping, save, callbacks if main else Callbacks())
    return trainer.run(schedule.epochs, schedule.best)


def _take_state_of_rank_0(loop: Loop, schedule: Schedule, group: Group) -> None:
    state = None
    if group.main:
        state = _on_cpu(
            (loop.model.state_dict(), loop.optimizer.state_dict(), schedule.stopping.to_json(), schedule.best)
        )
    state = broadcast(state, group)
    if not group.main:
        weights, optimizer, stopping, best = state
        loop.model.load_state_dict(weights)
        loop.optimizer.load_state_dict(optimizer)
        schedule.stopping.restore(stopping)
        schedule.best = best


def _on_cpu(value):
    """Tensors (in dicts, lists, tuples) on the CPU, so they unpickle on any rank whatever its device."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_on_cpu(v) for v in value)
    return value
