"""The Python API, mirroring the CLI: ``relpool.fit(db, query, out, ...)`` and ``relpool.Model``."""

from __future__ import annotations

from pathlib import Path

from relpool.train.fit import FitOptions, fit as fit_run
from relpool.train.loop import LoopOptions
from relpool.train.predict import Model


def fit(db, query: str, out: str | Path, *, pool: str = "adaptive", layers: int = 2, channels: int = 32,
        fanout: tuple[int, ...] = (16, 8), strategy: str = "uniform", epochs: int = 10, patience: int = 3,
        batch_size: int = 512, max_steps: int = 40, lr: float = 3e-3, seed: int = 0, schema=None,
        step: str | None = None, val_at: str | None = None, test_at: str | None = None, resume: bool = False,
        text_embedder=None, console=None) -> Model:
    """Train a relational GNN for ``query`` on ``db``; write the model directory ``out``; return the model."""
    loop = LoopOptions(fanout=tuple(fanout), strategy=strategy, batch_size=batch_size, max_steps_per_epoch=max_steps,
                       lr=lr, seed=seed)
    options = FitOptions(pool=pool, layers=layers, channels=channels, epochs=epochs, patience=patience, loop=loop,
                         step=step, val_at=val_at, test_at=test_at)
    fit_run(db, query, out, options, schema=schema, resume=resume, console=console, text_embedder=text_embedder)
    return Model.load(out)
