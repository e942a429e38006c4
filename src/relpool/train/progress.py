"""``relpool fit``'s progress bars: epochs (with the validation score) and the batches of the current epoch."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from relpool.tasks import metric_text
from relpool.train.trainer import Callbacks, EarlyStopping


class ProgressBars(Callbacks):
    def __init__(self, console: Console):
        self.progress = Progress(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.epochs: TaskID | None = None  # set by start()
        self.batches: TaskID | None = None
        self.steps = 0

    def start(self, epochs: int, done: int, steps: int) -> None:
        self.progress.start()
        self.steps = steps
        self.epochs = self.progress.add_task("epochs", total=epochs, completed=done, info="")
        self.batches = self.progress.add_task("batches", total=steps, info="")

    def epoch_start(self, epoch: int) -> None:
        assert self.batches is not None
        self.progress.reset(self.batches, total=self.steps)

    def step(self, loss: float) -> None:
        assert self.batches is not None
        self.progress.update(self.batches, advance=1, info=f"loss {loss:.4f}")

    def epoch_end(self, stopping: EarlyStopping) -> None:
        assert self.epochs is not None
        latest = stopping.history[-1]["val"][stopping.metric]
        self.progress.update(
            self.epochs,
            advance=1,
            info=f"val {stopping.metric} {metric_text(latest)} (best {metric_text(stopping.best)})",
        )

    def close(self) -> None:
        self.progress.stop()
