"""One fit, one MLflow run: the options and the query when it starts; when the model directory is complete,
metrics.json read back (each epoch's training loss and validation metrics, every model's final validation
and test metrics, the chosen model and why), the model directory and report.html as artifacts.

The run is created before any data is read, so an unreachable store fails the fit at once. It ends
FINISHED only once everything is logged; a fit that fails ends it FAILED and Ctrl-C KILLED, never left
RUNNING. Read from the files fit wrote, not from the trainer's callbacks: what is logged is what is kept.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from rich.console import Console

from relpool.errors import RelpoolError
from relpool.tracking.mlflow_client import (
    ENV_URI,
    client,
    experiment_id,
    first_line,
    shown_database,
    tracking_uri,
)

MODEL_ARTIFACT = "model"
"""The model directory's artifact path: the run's model is ``runs:/<run id>/model``."""

NOT_LOGGED = {"checkpoint", "report.html"}
"""Left out of the model artifact: the training state only ``--resume`` reads, and the report (logged beside it)."""

BATCH = 1000  # MLflow's limit on metrics per log_batch call; params and tags are far fewer


def enabled_uri(setting: bool | str | None) -> str | None:
    """The tracking URI to log to, or None: ``setting`` True (the default store) or a URI turns logging on,
    False off; None leaves it to ``RELPOOL_MLFLOW_URI``."""
    if setting is None:
        setting = os.environ.get(ENV_URI) or None
    if setting is None or setting is False:
        return None
    return tracking_uri(None if setting is True else str(setting))


@contextmanager
def fit_log(
    setting: bool | str | None, db, query: str, params: dict, out: str | Path, console: Console | None = None
) -> Iterator[str | None]:
    """Around a fit writing ``out``: yields the MLflow run's id (None when logging is off); see the module."""
    uri = enabled_uri(setting)
    if uri is None:
        yield None
        return
    mlflow_client = client(uri, "--mlflow")
    from mlflow.entities import Param
    from mlflow.exceptions import MlflowException

    tags = {"relpool.version": _version(), "relpool.database": shown_database(db)}
    try:
        run = mlflow_client.create_run(experiment_id(mlflow_client), run_name=Path(out).name, tags=tags)
        run_id = run.info.run_id
        flat = {"task.query": query, **flatten(params)}
        mlflow_client.log_batch(run_id, params=[Param(k, v) for k, v in flat.items()])
    except MlflowException as exc:
        raise RelpoolError(f"cannot start an MLflow run at {uri}: {first_line(exc)}") from None
    status = "FAILED"
    try:
        yield run_id
        log_results(mlflow_client, run_id, Path(out))
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except MlflowException as exc:
        raise RelpoolError(
            f"the model is in {out}, but logging it to MLflow at {uri} failed: {first_line(exc)}"
        ) from None
    finally:
        mlflow_client.set_terminated(run_id, status)
    (console or Console(stderr=True)).print(
        f"logged to MLflow ({uri}): run {run_id}, model runs:/{run_id}/{MODEL_ARTIFACT}", highlight=False
    )


def log_results(mlflow_client, run_id: str, out: Path) -> None:
    """metrics.json's contents as metrics, params and tags; the model directory and report.html as artifacts."""
    from mlflow.entities import Metric, Param, RunTag

    metrics = json.loads((out / "metrics.json").read_text())
    now = int(time.time() * 1000)
    logged = [Metric(key, value, now, step) for key, value, step in metric_values(metrics)]
    for start in range(0, len(logged), BATCH):
        mlflow_client.log_batch(run_id, metrics=logged[start : start + BATCH])
    chosen = {k: str(metrics[k]) for k in ("chosen", "chosen_because") if k in metrics}
    mlflow_client.log_batch(
        run_id,
        params=[Param("task.kind", str(metrics["task_type"])), Param("task.metric", str(metrics["metric"]))],
        tags=[RunTag(f"relpool.{k}", v) for k, v in chosen.items()],
    )
    for item in sorted(out.iterdir()):
        if item.name in NOT_LOGGED:
            continue
        if item.is_dir():
            mlflow_client.log_artifacts(run_id, str(item), f"{MODEL_ARTIFACT}/{item.name}")
        else:
            mlflow_client.log_artifact(run_id, str(item), MODEL_ARTIFACT)
    if (out / "report.html").is_file():
        mlflow_client.log_artifact(run_id, str(out / "report.html"))


def metric_values(metrics: dict) -> Iterator[tuple[str, float, int]]:
    """(key, value, step) of every number worth a chart: per epoch ``train_loss`` and ``val_<metric>``
    (step = epoch); then ``<model>.val_<metric>`` / ``.test_<metric>`` of every model compared and
    ``chosen.…`` of the one served (step 0). Undefined metrics (None) are left out."""
    for epoch in metrics.get("history", []):
        yield "train_loss", float(epoch["loss"]), int(epoch["epoch"])
        yield from _split("val", epoch["val"], int(epoch["epoch"]))
    network = "hybrid" if metrics.get("features") else "gnn"  # fit without baselines compares nothing
    models = metrics.get("models") or {network: {k: metrics[k] for k in ("val", "test", "seconds")}}
    for name, scores in {**models, "chosen": metrics}.items():
        for split in ("val", "test"):
            yield from _split(f"{name}.{split}", scores[split], 0)
        if name != "chosen":  # metrics.json's own seconds are the network's, whichever is chosen
            yield f"{name}.seconds", float(scores["seconds"]), 0
    for key in ("best_epoch", "epochs_run", "n_train", "n_val", "n_test"):
        if key in metrics:
            yield key, float(metrics[key]), 0


def flatten(options: dict, prefix: str = "") -> dict[str, str]:
    """Nested options as MLflow params: ``{"loop": {"fanout": (16, 8)}}`` -> ``{"loop.fanout": "16,8"}``."""
    flat: dict[str, str] = {}
    for key, value in options.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (list, tuple)):
            flat[f"{prefix}{key}"] = ",".join(map(str, value))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _split(prefix: str, scores: dict, step: int) -> Iterator[tuple[str, float, int]]:
    for name, value in scores.items():
        if value is not None:
            yield f"{prefix}_{_metric_key(name)}", float(value), step


def _metric_key(name: str) -> str:
    """MLflow keys allow letters, digits and ``_-. /:``: ``map@10`` becomes ``map_at_10``."""
    return re.sub(r"[^\w\-. /:]", "_", name.replace("@", "_at_"))


def _version() -> str:
    try:
        return metadata.version("relpool")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
