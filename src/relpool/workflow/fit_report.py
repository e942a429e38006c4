"""Train, then compare and report on exactly that run: the baselines get the GNN's own inspection and
task (not a second read of the database), and the report draws the results it is handed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

from relpool.db.inspection import Inspection
from relpool.query.task import Task
from relpool.report.build import write_report
from relpool.train.fit import FitRun, fit
from relpool.train.fit_options import FitOptions
from relpool.workflow.baselines import run_baselines


def fit_and_report(
    db,
    query: str,
    out: str | Path,
    options: FitOptions,
    *,
    schema=None,
    resume: bool = False,
    force: bool = False,
    text_embedder=None,
    baselines: bool = True,
    console: Console | None = None,
    inspection: Inspection | None = None,
    task: Task | None = None,
) -> dict:
    """:func:`relpool.train.fit.fit`, with the baselines (unless ``baselines`` is False) and report.html
    written into the folder being built, so ``out`` appears only once all of it is there; returns the metrics."""
    console = console or Console(stderr=True)

    def finish(folder: Path, run: FitRun) -> None:
        report_run(folder, run, options.loop.seed, console, baselines=baselines, shown_as=Path(out))

    return fit(
        db,
        query,
        out,
        options,
        schema=schema,
        resume=resume,
        console=console,
        text_embedder=text_embedder,
        force=force,
        finish=finish,
        inspection=inspection,
        task=task,
    )


def report_run(
    folder: Path, run: FitRun, seed: int, console: Console, baselines: bool = True, shown_as: Path | None = None
) -> Path:
    """Run the baselines on the run's task into ``folder``/baselines/, then write ``folder``/report.html
    from the run, its test predictions (the file training wrote) and the baselines' results; return its path.
    ``shown_as``: the folder to name in messages, when ``folder`` is a staging folder renamed there later."""
    compared = run_baselines(run.inspection, run.task, folder, seed, console, shown_as or folder) if baselines else {}
    with console.status("Drawing the report…"):
        predictions = {
            "GNN": pd.read_parquet(folder / "predictions_test.parquet"),
            **{f"{kind} baseline": result.test_predictions for kind, result in compared.items()},
        }
        return write_report(
            folder,
            run.inspection,
            run.task,
            run.metrics,
            predictions,
            {kind: result.metrics for kind, result in compared.items()},
        )
