"""The baselines a trained model is compared with, run on exactly the model's task and written beside it.

DIR/baselines/<kind>/metrics.json, features.json and predictions_test.parquet, the layout
``relpool baseline`` writes.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from relpool.baselines import KINDS, BaselineResult, run_baseline, write_outputs
from relpool.db.inspection import Inspection
from relpool.query.task import Task


def run_baselines(inspection: Inspection, task: Task, model_dir: Path, seed: int,
                  console: Console) -> dict[str, BaselineResult]:
    """Every baseline kind in turn; returns kind -> result."""
    results = {}
    for kind in KINDS:
        console.print(f"baseline [bold]{kind}[/]…")
        result = run_baseline(inspection, task, kind, seed, console=console)
        folder = model_dir / "baselines" / kind
        folder.mkdir(parents=True, exist_ok=True)
        write_outputs(result, folder)
        metrics = result.metrics
        score = metrics["test"][metrics["metric"]]
        console.print(f"  {kind}: test {metrics['metric']} " + ("n/a" if score is None else f"{score:.4f}") +
                      f" ({metrics['seconds']:.1f} s) -> {folder}")
        results[kind] = result
    return results
