"""DIR/report.html from a run's results: one page that stands alone (no scripts, no URLs).

A pure view: it draws what it is given (the inspection, the task, each model's metrics and test
predictions) and never reads the database, builds a task or trains; :mod:`relpool.workflow` runs
those once and hands the results here, so the page describes exactly the examples the models saw.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from relpool.db.inspection import Inspection
from relpool.files import write_atomically
from relpool.query.ast import ColumnRef
from relpool.query.task import Task
from relpool.report.calibration_view import calibration_section
from relpool.report.explain_section import reliance_section
from relpool.report.html import page
from relpool.report.run_view import settings_section, warnings_section
from relpool.report.sections import evaluation_section, learning_section, metrics_section, schema_section, task_section
from relpool.report.verdict import verdict_section
from relpool.tasks import task_kind


def write_report(
    folder: str | Path,
    inspection: Inspection,
    task: Task,
    gnn: dict,
    predictions: dict[str, pd.DataFrame],
    baselines: dict[str, dict],
    reliance: dict | None = None,
    options: dict | None = None,
) -> Path:
    """Write ``folder``/report.html; return its path.

    ``gnn``: the GNN's metrics.json content; ``baselines``: kind -> the baseline's metrics (empty when none
    ran); ``predictions``: the test split's predictions per model, "GNN" first, then "<kind> baseline";
    ``reliance``: what the model relies on (:func:`~relpool.report.explain_section.reliance_section`), or None;
    ``options``: the run's options as config.json stores them (``gnn["options"]`` stands in when None).

    When ``gnn`` lists the run's candidates (``"models"``), ``predictions`` holds a frame per candidate keyed by
    :func:`~relpool.report.candidates.model_label` (the chosen one first); else "GNN" and "<kind> baseline".
    """
    k = task.bound.query.rank_top
    html = page(
        f"relpool report: {ColumnRef(task.bound.entity_table, task.bound.entity_column)}",
        [
            task_section(task.to_json()),
            warnings_section(inspection, task.warnings),
            verdict_section(task.task_type, k, gnn, baselines, predictions),
            metrics_section(gnn, baselines),
            settings_section(gnn, options),
            learning_section(gnn, baselines),
            evaluation_section(task.task_type, predictions, k),
            *([calibration_section(predictions)] if task_kind(task.task_type).plots == "roc" else []),
            *([reliance_section(reliance)] if reliance is not None else []),
            schema_section(inspection, f"schema of {inspection.database.source}"),
        ],
    )
    path = Path(folder) / "report.html"
    write_atomically(path, lambda p: p.write_text(html, encoding="utf-8"))
    return path
