"""Feature tables: one row per example, computed by one SQL statement over the registered examples.

Every statement selects from ``__baseline_examples`` (columns ``__row``, ``entity``, ``cutoff``) and
orders by ``__row``, so its result lines up with the examples without a pandas merge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from relpool.db.database import Database

EXAMPLES = "__baseline_examples"


@dataclass(frozen=True)
class Feature:
    name: str  # what a report shows, e.g. "MEAN(flights.arr_delay | flights.tailnum, last 7d)"
    sql: str  # an aggregate, or a row expression, depending on the statement
    zero_when_empty: bool = False  # counts and sums over no rows are 0, not missing
    categorical: bool = False  # a category value (text) rather than a number


class Column(Protocol):
    """What :func:`fetch` reads of a feature: a :class:`Feature`, or a history aggregate built from parts."""

    @property
    def name(self) -> str: ...

    @property
    def categorical(self) -> bool: ...


@dataclass(frozen=True)
class FeatureTable:
    frame: pd.DataFrame  # columns named by Feature.name, one row per example
    categorical: tuple[str, ...]

    @staticmethod
    def concat(tables: list[FeatureTable]) -> FeatureTable:
        frames = [t.frame for t in tables]
        frame = pd.concat(frames, axis=1) if frames else pd.DataFrame()
        return FeatureTable(frame, tuple(c for t in tables for c in t.categorical))


@contextmanager
def registered(database: Database, examples: pd.DataFrame) -> Iterator[None]:
    """Make ``examples`` (entity, cutoff) visible to SQL as :data:`EXAMPLES`, cutoffs as TIMESTAMP.

    Meanwhile DuckDB runs on one thread: several threads add floating-point numbers in an order that
    varies from run to run, and features must agree bit for bit for the baseline to be deterministic.
    """
    frame = examples[["entity", "cutoff"]].reset_index(drop=True).reset_index(names="__row")
    with database.settings(threads=1), database.shared_relation("__baseline_frame", frame):
        database.execute(
            f"CREATE OR REPLACE TEMP VIEW {EXAMPLES} AS "
            "SELECT __row, entity, CAST(cutoff AS TIMESTAMP) AS cutoff FROM __baseline_frame"
        )
        try:
            yield
        finally:
            database.execute(f"DROP VIEW IF EXISTS {EXAMPLES}")


def fetch(database: Database, features: Sequence[Column], sql: str) -> FeatureTable:
    """Run ``sql`` (selecting f0, f1, … in the examples' order) and name the columns after ``features``."""
    frame = database.execute(sql).df()
    frame.columns = [f.name for f in features]
    casts = {f.name: "float64" for f in features if not f.categorical and frame[f.name].dtype != "float64"}
    if casts:  # one pass, only the columns that need it (counts are integers)
        frame = frame.astype(casts)
    return FeatureTable(frame, tuple(f.name for f in features if f.categorical))


def by_table(names: list[str], values, tables: list[str]) -> list[dict]:
    """Per-feature magnitudes summed by each feature's source table (:func:`source_table`), as shares
    (largest first)."""
    totals: dict[str, float] = {}
    for name, value in zip(names, values):
        source = source_table(name, tables)
        totals[source] = totals.get(source, 0.0) + float(value)
    total = sum(totals.values()) or 1.0
    return [{"table": t, "share": v / total} for t, v in sorted(totals.items(), key=lambda x: (-x[1], x[0]))]


def source_table(name: str, tables: list[str]) -> str:
    """The table a feature is computed from, read off its name (:mod:`.aggregates`, :mod:`.entity`):
    ``flights.distance``, ``MEAN(flights.arr_delay | planes.tailnum)``, ``COUNT(flights | ...)``,
    ``DAYS_SINCE(planes.year)``: the longest table name the name (less an ``AGGREGATE(`` prefix) starts
    with; "other" if none."""
    inner = name.split("(", 1)[1] if "(" in name and name.split("(", 1)[0].isupper() else name
    matches = [t for t in tables if inner == t or inner.startswith((f"{t}.", f"{t} ", f"{t})"))]
    return max(matches, key=len) if matches else "other"
