"""Build a task: parse, bind, choose cutoffs, and compute the train / val / test tables in DuckDB."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relpool.db.inspection import Inspection
from relpool.db.measure import TimeSpread, time_spread
from relpool.errors import RelpoolError
from relpool.query.ast import ColumnRef
from relpool.query.bind import BoundQuery, bind
from relpool.query.compile import forecast_sql, static_sql
from relpool.query.label_checks import check_labels
from relpool.query.parser import parse_query
from relpool.query.splits import data_time_range, forecast_cutoffs, parse_step, parse_time
from relpool.tasks import TaskKind

SPLITS = ("train", "val", "test")


@dataclass
class Task:
    bound: BoundQuery
    tables: dict[str, pd.DataFrame]  # split -> columns entity, cutoff, label
    cutoffs: dict[str, list[pd.Timestamp]]
    dropped: dict[str, int]  # rows per split without a label (NULL, or no item to rank)
    seconds: float
    # The target rows' times that cutoffs were chosen within (far-out times left out); None for
    # autocomplete tasks, which split entities by their own time.
    time_range: TimeSpread | None = None
    notes: list[str] = field(default_factory=list)  # the binder's, and e.g. a very large training split
    warnings: list[str] = field(default_factory=list)  # e.g. a split whose labels are all one class

    @property
    def kind(self) -> TaskKind:
        return self.bound.kind

    @property
    def task_type(self) -> str:
        return self.bound.kind.name

    def label_stats(self, split: str) -> dict:
        labels = self.tables[split]["label"]
        if len(labels) == 0:
            return {}
        return self.kind.label_stats(labels)

    def to_json(self) -> dict:
        b = self.bound
        every = [c for split in SPLITS for c in self.cutoffs[split]]
        window = b.target_window
        return {
            "query": b.query.text,
            "task_type": self.task_type,
            "metrics": self.kind.metric_names(b.query.rank_top),
            "entity": {
                "table": b.entity_table,
                "column": b.entity_column,
                "count": int(pd.concat([t["entity"] for t in self.tables.values()]).nunique()),
            },
            "window": {"start": window[0], "end": window[1], "unit": window[2]} if window else None,
            "hidden_columns": sorted(str(ColumnRef(t, c)) for t, c in b.hidden_columns),
            "item_table": b.item_table,
            "notes": b.notes + self.notes,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "cutoff_range": [str(min(every)), str(max(every))] if every else None,
            "time_range": _spread_json(self.time_range),
            "splits": {
                split: {
                    "rows": int(len(self.tables[split])),
                    "cutoffs": [str(c) for c in self.cutoffs[split]],
                    "label_stats": self.label_stats(split),
                    "dropped_without_label": self.dropped[split],
                }
                for split in SPLITS
            },
        }


def build_task(
    inspection: Inspection,
    query: str,
    step: str | None = None,
    val_at: str | None = None,
    test_at: str | None = None,
    seed: int = 0,
    need: tuple[str, ...] = SPLITS,
) -> Task:
    """The task's tables; ``need``: the splits that must be usable (evaluation needs no training labels)."""
    if not isinstance(inspection, Inspection):
        raise RelpoolError(
            f"build_task needs an Inspection, got a {type(inspection).__name__}: pass relpool.db.inspect_database(db)"
        )
    inspection.raise_for_errors()
    started = time.perf_counter()
    bound = bind(parse_query(query), inspection)
    splits = inspection.schema.split_times
    val = parse_time(val_at, "--val-at") if val_at else _declared(splits, "val_timestamp")
    test = parse_time(test_at, "--test-at") if test_at else _declared(splits, "test_timestamp")
    spread = None
    if bound.static_target:
        tables, cutoffs, dropped = _static_tables(inspection, bound, val, test, seed)
    else:
        tables, cutoffs, dropped, spread = _forecast_tables(inspection, bound, step, val, test)
    task = Task(bound, tables, cutoffs, dropped, time.perf_counter() - started, spread)
    task.notes, label_warnings = check_labels(task, need)
    task.warnings = inspection.visibility_warnings + label_warnings
    return task


def _spread_json(spread: TimeSpread | None) -> dict | None:
    if spread is None or spread.first is None:
        return None
    return {
        "first": str(spread.first),
        "last": str(spread.last),
        "rows": spread.rows,
        "left_out": spread.outside,
        "left_out_examples": [str(v) for v in spread.examples],
    }


def _declared(split_times: dict[str, str], key: str) -> pd.Timestamp | None:
    return parse_time(split_times[key], f"declared {key}") if key in split_times else None


def _forecast_tables(inspection, bound: BoundQuery, step, val, test):
    db = inspection.database
    # Far-out times (a few rows dated 9999) are left out of the range cutoffs are chosen in.
    spread = time_spread(inspection.database, f"({bound.aggregations[0].path.sql})", "__t")
    if spread.first is None:
        raise RelpoolError(f"'{bound.aggregations[0].path.table}' has no rows with a time: nothing to forecast")
    window = bound.target_window
    assert window is not None  # a forecast's target aggregates over a window
    cutoffs = forecast_cutoffs(
        pd.Timestamp(spread.first),
        pd.Timestamp(spread.last),
        window,
        parse_step(step) if step else None,
        val,
        test,
    ).as_dict()
    every = sorted({c for split in cutoffs.values() for c in split})
    sql = forecast_sql(bound, "(SELECT unnest(?::TIMESTAMP[]) AS cutoff)")
    frame = db.execute(sql, [[c.to_pydatetime() for c in every]]).df()
    tables, dropped = {}, {}
    for split in SPLITS:
        rows = frame[frame["cutoff"].isin(cutoffs[split])]
        labelled = rows["label"].notna()  # also no item to rank: LIST over no rows is NULL
        tables[split] = rows[labelled].reset_index(drop=True)
        dropped[split] = int((~labelled).sum())
    return tables, cutoffs, dropped, spread


def _static_tables(inspection, bound: BoundQuery, val, test, seed: int):
    db = inspection.database
    frame = db.execute(static_sql(bound, latest_time_sql(inspection))).df()
    if frame.empty:
        raise RelpoolError(f"no row of '{bound.entity_table}' has a value in '{bound.static_target}'")
    if bound.entity_time_sql:
        # Entities are split by when they appear; each is seen as of its own time.
        val = val if val is not None else frame["cutoff"].quantile(0.8)
        test = test if test is not None else frame["cutoff"].quantile(0.9)
        split = np.where(frame["cutoff"] <= val, "train", np.where(frame["cutoff"] <= test, "val", "test"))
        cutoffs = {"train": [], "val": [val], "test": [test]}
    else:
        # No time: a seeded split by entity; every row of the database is visible.
        draw = np.random.default_rng(seed).random(len(frame))
        split = np.where(draw < 0.8, "train", np.where(draw < 0.9, "val", "test"))
        cutoffs = {s: [frame["cutoff"].iloc[0]] for s in SPLITS}
    tables = {s: frame[split == s].reset_index(drop=True) for s in SPLITS}
    return tables, cutoffs, {s: 0 for s in SPLITS}


def latest_time_sql(inspection: Inspection) -> str:
    """The newest row time anywhere in the database: the cutoff at which everything is visible.

    Times far outside the rest (a row dated 9999) are left out, so neither this nor a default
    prediction time lands there.
    """
    span = data_time_range(inspection)
    return f"TIMESTAMP '{span[1]}'" if span is not None else "TIMESTAMP '2200-01-01'"
