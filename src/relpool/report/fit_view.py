"""Terminal summary of a training run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def render_metrics(metrics: dict, folder: Path, console: Console) -> None:
    table = Table(title=f"{metrics['task_type']} with {metrics['pool']} pooling: best epoch {metrics['best_epoch']} "
                        f"of {metrics['epochs_run']}, {metrics['seconds']:.0f} s", title_justify="left")
    names = list(metrics["test"])
    table.add_column("split")
    for name in names:
        table.add_column(name + (" (main)" if name == metrics["metric"] else ""), justify="right")
    for split in ("val", "test"):
        table.add_row(split, *(f"{metrics[split][n]:.4f}" for n in names))
    console.print(table)
    console.print(f"model written to {folder}/ (model.safetensors, config.json, metrics.json)")
