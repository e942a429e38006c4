"""Terminal summary of a training run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from relpool.tasks import metric_text


def render_metrics(metrics: dict, folder: Path, console: Console) -> None:
    network = "hybrid GNN" if metrics.get("features") else "GNN"
    chosen = metrics.get("chosen")
    served = f"the {chosen} baseline (best on validation); the " if chosen in ("entity", "autofeat") else ""
    table = Table(
        title=f"{metrics['task_type']}: {served}{network} with {metrics['pool']} pooling: best epoch "
        f"{metrics['best_epoch']} of {metrics['epochs_run']}, {metrics['seconds']:.0f} s",
        title_justify="left",
    )
    names = list(metrics["test"])
    table.add_column("split")
    for name in names:
        table.add_column(name + (" (main)" if name == metrics["metric"] else ""), justify="right")
    for split in ("val", "test"):
        table.add_row(split, *(metric_text(metrics[split][n]) for n in names))
    console.print(table)
    if metrics.get("models"):
        render_models(metrics, console)
    if still_improving(metrics):
        console.print(
            f"note: validation {metrics['metric']} was still improving at the last epoch; "
            f"more --epochs (or --max-steps) may give a better model",
            style="yellow",
        )
    if validation_undefined(metrics):
        console.print(
            f"note: validation {metrics['metric']} is undefined (n/a), so the last epoch's model was kept",
            style="yellow",
        )
    console.print(f"model written to {folder}/ (model.safetensors, config.json, metrics.json)")


def render_models(metrics: dict, console: Console) -> None:
    """Every model the run compared, on the main metric, and why the served one was chosen."""
    main = metrics["metric"]
    table = Table(title=f"models compared ({main}; chosen on validation)", title_justify="left")
    for column in ("model", "val", "test", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, scores in metrics["models"].items():
        chosen = " (chosen)" if name == metrics.get("chosen") else ""
        table.add_row(
            name + chosen,
            metric_text(scores["val"].get(main)),
            metric_text(scores["test"].get(main)),
            f"{scores['seconds']:.0f}",
        )
    console.print(table)
    console.print(f"chosen: {metrics['chosen']}, {metrics['chosen_because']}", highlight=False, soft_wrap=True)


def still_improving(metrics: dict) -> bool:
    """The best epoch was the last of several: training stopped at its budget, not at a plateau (never
    said when the validation metric is undefined: the last epoch is then kept for want of a better one)."""
    return (
        metrics["epochs_run"] > 1
        and metrics["best_epoch"] == metrics["epochs_run"]
        and not validation_undefined(metrics)
    )


def validation_undefined(metrics: dict) -> bool:
    """The main metric was undefined on validation (e.g. AUROC with one class there)."""
    return metrics["val"].get(metrics["metric"]) is None
