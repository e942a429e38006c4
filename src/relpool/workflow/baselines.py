"""Baselines run on a task already built: all of them beside a trained model, or one for ``relpool baseline``.

Each writes DIR/metrics.json, features.json and predictions_test.parquet (the layout ``relpool baseline``
writes; beside a model, under DIR/baselines/<kind>/).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from relpool.autofeat import FeatureTable
from relpool.baselines import KINDS, BaselineResult, run_baseline, write_outputs
from relpool.db import inspect_database
from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.files import check_output_path
from relpool.query.task import Task, build_task
from relpool.tasks import metric_text


def run_baselines(
    inspection: Inspection,
    task: Task,
    model_dir: Path,
    seed: int,
    console: Console,
    shown_as: Path | None = None,
    features: FeatureTable | None = None,
) -> dict[str, BaselineResult]:
    """Every baseline kind in turn; returns kind -> result. Messages name folders under ``shown_as``
    (the final model directory, when ``model_dir`` is the staging folder renamed there afterwards);
    ``features``: the auto-features a hybrid GNN computed for the same examples, reused by autofeat."""
    results = {}
    for kind in KINDS:
        console.print(f"baseline [bold]{kind}[/]…")
        try:
            result = run_baseline(inspection, task, kind, seed, console=console, features=features)
        except RelpoolError as exc:  # e.g. no entity columns: the report goes on without this baseline
            console.print(f"  {kind}: skipped: {exc}", highlight=False, soft_wrap=True)
            continue
        folder = model_dir / "baselines" / kind
        folder.mkdir(parents=True, exist_ok=True)
        write_outputs(result, folder)
        metrics = result.metrics
        score = metrics["test"][metrics["metric"]]
        console.print(
            f"  {kind}: test {metrics['metric']} "
            + metric_text(score)
            + f" ({metrics['seconds']:.1f} s) -> {(shown_as or model_dir) / 'baselines' / kind}",
            highlight=False,
            soft_wrap=True,
        )
        results[kind] = result
    return results


def baseline(
    db,
    query: str,
    out: str | Path,
    kind: str,
    console: Console,
    schema=None,
    step: str | None = None,
    val_at: str | None = None,
    test_at: str | None = None,
    seed: int = 0,
) -> tuple[BaselineResult, list[Path]]:
    """``relpool baseline``: inspect, build the task, train one baseline, write it into ``out`` (created, with
    its parents, once trained); returns the result and the files written."""
    if kind not in KINDS:
        raise RelpoolError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    folder = check_output_path(out, [db] + ([schema] if schema else []), make_parents=True)
    if folder.exists() and not folder.is_dir():
        raise RelpoolError(f"--out {out} is a file; give a folder")
    with console.status("Reading the database and building the training tables…"):
        inspection = inspect_database(db, schema)
        task = build_task(inspection, query, step, val_at, test_at, seed)
    for warning in task.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False, soft_wrap=True)
    result = run_baseline(inspection, task, kind, seed, console=console)
    folder.mkdir(parents=True, exist_ok=True)
    return result, write_outputs(result, folder)
