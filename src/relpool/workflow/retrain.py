"""Another network trained on a finished run's prepared data: what the candidates and the seed ensemble share."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from relpool.train.fit import fit
from relpool.train.fit_options import FitOptions
from relpool.train.training_data import FitRun


@dataclass(frozen=True)
class Fitting:
    """How the run's fit was called, as every retraining repeats it."""

    db: object
    query: str
    console: Console
    text_embedder: object = None
    device: str = "cpu"
    workers: int = 1


def retrain(fitting: Fitting, run: FitRun, out: Path, options: FitOptions) -> dict:
    """Train ``options``' network into ``out`` on ``run``'s database, task, splits and auto-features (nothing is
    read twice); return its metrics. Its checkpoint is removed: a retrained network is never resumed."""
    metrics = fit(
        fitting.db,
        fitting.query,
        out,
        options,
        console=fitting.console,
        text_embedder=fitting.text_embedder,
        device=fitting.device,
        workers=fitting.workers,
        training=run.training,
    )
    shutil.rmtree(out / "checkpoint", ignore_errors=True)
    return metrics
