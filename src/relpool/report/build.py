"""DIR/report.html for a trained model directory: one page that stands alone (no scripts, no URLs).

The task is rebuilt from the model's own config (schema, query, split options), so the baselines and
the page describe exactly the examples the model was trained and tested on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

from relpool.db import inspect_database
from relpool.files import write_atomically
from relpool.query.ast import ColumnRef
from relpool.query.task import build_task
from relpool.report.compare import run_baselines
from relpool.report.html import page
from relpool.report.sections import evaluation_section, learning_section, metrics_section, schema_section, task_section
from relpool.train.checkpoint import load_json
from relpool.train.model_dir import read_config


def write_report(model_dir: str | Path, db, baselines: bool = True, console: Console | None = None,
                 shown_as: str | Path | None = None) -> Path:
    """Run the baselines (unless told not to) into DIR/baselines/, then write DIR/report.html; return its path.

    ``shown_as``: the folder to name in messages, when ``model_dir`` is a staging folder renamed there later.
    """
    model_dir, console = Path(model_dir), console or Console(stderr=True)
    config, gnn = read_config(model_dir), load_json(model_dir / "metrics.json")
    options = config["options"]
    with console.status("Reading the database and rebuilding the model's task…"):
        inspection = inspect_database(db, config["schema"])
        task = build_task(inspection, config["query"], options["step"], options["val_at"], options["test_at"])
    compared = run_baselines(inspection, task, model_dir, options["loop"]["seed"], console,
                             Path(shown_as) if shown_as is not None else model_dir) if baselines else {}
    metrics = {kind: result.metrics for kind, result in compared.items()}
    with console.status("Drawing the report…"):
        predictions = {"GNN": pd.read_parquet(model_dir / "predictions_test.parquet"),
                       **{f"{kind} baseline": result.test_predictions for kind, result in compared.items()}}
        html = page(f"relpool report: {ColumnRef(task.bound.entity_table, task.bound.entity_column)}", [
            task_section(task.to_json()),
            metrics_section(gnn, metrics),
            learning_section(gnn, metrics),
            evaluation_section(task.task_type, predictions, config["rank_top"]),
            schema_section(inspection, f"schema of {inspection.database.source}"),
        ])
        path = model_dir / "report.html"
        write_atomically(path, lambda p: p.write_text(html, encoding="utf-8"))
    return path
