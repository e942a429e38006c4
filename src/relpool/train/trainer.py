"""Epochs of training with early stopping on validation: the state ``--resume`` continues from, and callbacks.

The trainer knows nothing of files or terminals: a checkpoint hook saves after every epoch and
:class:`Callbacks` report progress (``relpool fit`` draws rich progress bars with them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from relpool.train.data import SplitData
from relpool.train.loop import Loop

Weights = dict[str, torch.Tensor]


@dataclass
class EarlyStopping:
    """The best validation score so far, at which epoch, and how many epochs since it improved."""

    metric: str
    lower_is_better: bool
    patience: int
    epoch: int = 0
    best: float | None = None
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)  # per epoch: epoch, mean training loss, validation metrics

    SAVED = ("epoch", "best", "best_epoch", "bad_epochs", "history")

    @property
    def stopped(self) -> bool:
        return self.bad_epochs >= self.patience

    def record(self, epoch: int, loss: float, val: dict[str, float | None]) -> bool:
        """Record an epoch; True when its weights are the ones to keep.

        A metric undefined on validation (None: e.g. AUROC of one class) gives nothing to stop early on:
        until some epoch has a score, the latest epoch is kept."""
        self.history.append({"epoch": epoch, "loss": loss, "val": val})
        self.epoch = epoch
        value = val[self.metric]
        if value is None and self.best is None:
            self.best_epoch, self.bad_epochs = epoch, 0
            return True
        if value is not None and self._better(value):
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best if self.lower_is_better else value > self.best

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in self.SAVED}

    def restore(self, saved: dict) -> None:
        for key in self.SAVED:
            setattr(self, key, saved[key])


class Callbacks:
    """Progress hooks; every one does nothing unless overridden."""

    def start(self, epochs: int, done: int, steps: int) -> None: ...

    def epoch_start(self, epoch: int) -> None: ...

    def step(self, loss: float) -> None: ...

    def epoch_end(self, stopping: EarlyStopping) -> None: ...

    def close(self) -> None: ...


@dataclass
class Trainer:
    loop: Loop
    train: SplitData
    validate: Callable[[], dict[str, float | None]]  # the current weights' validation metrics
    stopping: EarlyStopping
    save: Callable[[EarlyStopping, Weights | None], None]  # a checkpoint after every epoch
    callbacks: Callbacks = field(default_factory=Callbacks)

    def run(self, epochs: int, best: Weights | None) -> Weights | None:
        """Train epochs after the last one recorded up to ``epochs`` or an early stop; return the best weights."""
        model = self.loop.model
        self.callbacks.start(epochs, self.stopping.epoch, len(self.loop.steps(self.train, 0)))
        try:
            for epoch in range(self.stopping.epoch + 1, epochs + 1):
                if self.stopping.stopped:
                    break
                self.callbacks.epoch_start(epoch)
                loss = self.loop.train_epoch(self.train, epoch, on_step=self.callbacks.step)
                if self.stopping.record(epoch, loss, self.validate()):
                    best = {k: v.clone() for k, v in model.state_dict().items()}
                self.save(self.stopping, best)
                self.callbacks.epoch_end(self.stopping)
        finally:
            self.callbacks.close()
        return best
