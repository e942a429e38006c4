"""Run a baseline on a task and write what a report compares against: metrics, feature importances and
test predictions.

``entity`` is LightGBM on the entity table's own columns (RelBench's baseline); ``autofeat`` adds
its parents' columns and every aggregate of :mod:`relpool.autofeat.aggregates`. Link prediction uses
no model (see :mod:`relpool.baselines.link`). ``metrics.json`` has the layout ``relpool fit`` writes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import track

from relpool.autofeat import FeatureTable, FeatureTimes, auto_features, registered
from relpool.autofeat.table import by_table
from relpool.baselines.lightgbm_model import fit_predict
from relpool.baselines.link import rank_items
from relpool.baselines.served import ServedBaseline
from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.query.task import Task
from relpool.tasks.base import Predicted

KINDS = ("entity", "autofeat")
EVALUATED = ("val", "test")


@dataclass
class BaselineResult:
    metrics: dict  # the content of metrics.json
    importances: list[dict]  # name, gain, split per feature, largest gain first; empty without a model
    test_predictions: pd.DataFrame  # entity, cutoff, label and the prediction columns a GNN's predictions have
    contributions: list[dict] = field(default_factory=list)  # per source table: mean |SHAP| share, largest first
    served: ServedBaseline | None = None  # the trained LightGBM, kept so relpool can serve it if it wins
    val_predictions: pd.DataFrame | None = None  # as test_predictions, for val: what a blend's weight is chosen on


def run_baseline(
    inspection: Inspection,
    task: Task,
    kind: str,
    seed: int = 0,
    console: Console | None = None,
    features: FeatureTable | None = None,
) -> BaselineResult:
    """Fit on train, stop early on val, and score val and test. ``features``: the autofeat kind's auto-features
    of the train, val and test examples in that order, when a caller computed them already (the hybrid GNN)."""
    if kind not in KINDS:
        raise RelpoolError(f"unknown baseline kind {kind!r}; choose one of {', '.join(KINDS)}")
    for split in ("train", *EVALUATED):
        if task.tables[split].empty:
            raise RelpoolError(f"the {split} split has no examples; choose other cutoffs with --val-at / --test-at")
    console = console or Console(quiet=True)
    started = time.perf_counter()
    examples = pd.concat([task.tables[s].assign(split=s) for s in ("train", *EVALUATED)], ignore_index=True)
    split = examples["split"].to_numpy()
    bound, db = task.bound, inspection.database
    predictions: Mapping[str, Predicted]  # split -> ranked item lists, or LightGBM's outputs
    importances: list[dict]
    extra: dict[str, object]
    contributions: list[dict] = []
    served = None
    with registered(db, examples):
        if task.kind.ranks_items:
            k = bound.query.rank_top
            assert k is not None  # a ranking query has RANK TOP k
            with console.status("Ranking items by past use and popularity…"):
                ranked = rank_items(db, bound, k, personal=kind == "autofeat")
            predictions = {s: [p for p, keep in zip(ranked, split == s) if keep] for s in EVALUATED}
            importances, extra = (
                [],
                {"ranking": "own past frequency, then popularity" if kind == "autofeat" else "popularity"},
            )
        else:
            if features is None or kind != "autofeat":
                features = _features(inspection, task, kind, console)
            with console.status(
                f"Training LightGBM on {features.frame.shape[1]} features, {int((split == 'train').sum()):,} examples…"
            ):
                fitted = fit_predict(task.kind, features, split, examples["label"], seed)
            predictions, importances = fitted.predictions, fitted.importances
            if fitted.contributions is not None:
                contributions = by_table(
                    list(features.frame.columns), fitted.contributions, list(inspection.schema.tables)
                )
            extra = {"features": features.frame.shape[1], "best_iteration": fitted.best_iteration}
            served = ServedBaseline.from_fit(kind, task.task_type, fitted, features, FeatureTimes.of_task(task))
    scores = task.kind.score_splits(
        {s: task.tables[s]["label"] for s in EVALUATED}, {s: predictions[s] for s in EVALUATED}, bound.query.rank_top
    )
    metric = task.kind.main_metric(bound.query.rank_top)
    return BaselineResult(
        {
            "task_type": task.task_type,
            "metric": metric,
            "val": scores["val"],
            "test": scores["test"],
            "n_train": int(len(task.tables["train"])),
            "seconds": round(time.perf_counter() - started, 3),
            "baseline": kind,
            **extra,
        },
        importances,
        _prediction_frame(task, predictions["test"]),
        contributions,
        served,
        _prediction_frame(task, predictions["val"], "val"),
    )


def _features(inspection: Inspection, task: Task, kind: str, console: Console) -> FeatureTable:
    return auto_features(
        inspection,
        task.bound,
        FeatureTimes.of_task(task),
        aggregates=kind == "autofeat",
        track=lambda items, what: track(items, what, console=console, transient=True),
    )


def _prediction_frame(task: Task, predicted, split: str = "test") -> pd.DataFrame:
    """The split's examples beside the predictions, in the columns of a GNN's predictions_<split>.parquet."""
    examples = task.tables[split][["entity", "cutoff", "label"]].reset_index(drop=True)
    return pd.concat([examples, task.kind.prediction_frame(predicted)], axis=1)


def write_outputs(result: BaselineResult, folder: Path) -> list[Path]:
    """``metrics.json``, ``features.json`` (importances), ``predictions_test.parquet`` and the servable model
    (:mod:`relpool.baselines.served`), each written atomically."""
    files = {
        folder / "metrics.json": result.metrics,
        folder / "features.json": {"importance": "gain", "features": result.importances},
    }
    for path, content in files.items():
        write_atomically(path, partial(_write_json, content))
    predictions = folder / "predictions_test.parquet"
    write_atomically(predictions, lambda p: result.test_predictions.to_parquet(p, index=False))
    served = result.served.save(folder) if result.served is not None else []
    return [*files, predictions, *served]


def _write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")
