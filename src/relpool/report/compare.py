"""The baselines a trained model is compared with, run on exactly the model's task and written beside it.

DIR/baselines/<kind>/metrics.json, features.json and predictions_test.parquet, the layout
``relpool baseline`` writes.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from relpool.baselines import KINDS, BaselineResult, run_baseline, write_outputs
from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.query.task import Task
from relpool.tasks import metric_text


def run_baselines(inspection: Inspection, task: Task, model_dir: Path, seed: int, console: Console,
                  shown_as: Path | None = None) -> dict[str, BaselineResult]:
    """Every baseline kind in turn; returns kind -> result. Messages name folders under ``shown_as``
    (the final model directory, when ``model_dir`` is the staging folder renamed there afterwards)."""
    results = {}
    for kind in KINDS:
        console.print(f"baseline [bold]{kind}[/]…")
        try:
            result = run_baseline(inspection, task, kind, seed, console=console)
        except RelpoolError as exc:  # e.g. no entity columns: the report goes on without this baseline
            console.print(f"  {kind}: skipped: {exc}", highlight=False, soft_wrap=True)
            continue
        folder = model_dir / "baselines" / kind
        folder.mkdir(parents=True, exist_ok=True)
        write_outputs(result, folder)
        metrics = result.metrics
        score = metrics["test"][metrics["metric"]]
        console.print(f"  {kind}: test {metrics['metric']} " + metric_text(score) +
                      f" ({metrics['seconds']:.1f} s) -> {(shown_as or model_dir) / 'baselines' / kind}",
                      highlight=False, soft_wrap=True)
        results[kind] = result
    return results
