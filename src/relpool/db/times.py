"""How times become UTC timestamps: a column of any supported type in SQL, a time a user gives in Python.

The store keeps the user's values as they are (a string time may also be part of a key); every
consumer asks for :func:`time_expression` instead (a table's own time through
:func:`relpool.db.visibility.table_time_sql`), so all stages agree on what a row's time is.
"""

from __future__ import annotations

import pandas as pd

from relpool.db.sql import quote, type_family

# Epoch numbers: 1973-03-03 .. 2096-10-02 as seconds, or as milliseconds. No year (1..9998) falls in
# either range, nor do the two overlap, so one numeric column reads unambiguously per value.
EPOCH_RANGES = (("epoch seconds", 1e8, 4e9, 1), ("epoch milliseconds", 1e11, 4e12, 1000))


def epoch_kind(low, high) -> tuple[str, int] | None:
    """("epoch seconds" | "epoch milliseconds", divisor to seconds) when [low, high] lies in one epoch range."""
    if low is None:
        return None
    for kind, lowest, highest, unit in EPOCH_RANGES:
        if lowest <= low and high <= highest:
            return kind, unit
    return None


def time_expression(column: str, duckdb_type: str, table_alias: str | None = None) -> str:
    """SQL for the row's time as a UTC TIMESTAMP (NULL where it cannot be parsed)."""
    col = f"{table_alias}.{quote(column)}" if table_alias else quote(column)
    family = type_family(duckdb_type)
    if family == "time":
        return f"CAST({col} AS TIMESTAMP)"  # TIMESTAMPTZ -> UTC wall clock: the session zone is UTC
    if family == "string":
        return f"TRY_CAST(TRY_CAST({col} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if family in ("integer", "float"):
        # A year: the row is known only once its year is over, so it never leaks into cutoffs inside
        # that year. A float year (pandas writes integers with NULLs as floats) must be whole.
        # Epoch seconds or milliseconds (paid_at = 1609461703) are the moment itself.
        whole = f" AND {col} = trunc({col})" if family == "float" else ""
        epochs = " ".join(
            f"WHEN {col} BETWEEN {low:.0f} AND {high:.0f} THEN CAST(to_timestamp({col} / {unit}) AS TIMESTAMP)"
            for _, low, high, unit in EPOCH_RANGES
        )
        return (
            f"CASE WHEN {col} BETWEEN 1 AND 9998{whole} "
            f"THEN make_timestamp(CAST({col} AS BIGINT), 12, 31, 23, 59, 59) {epochs} END"
        )
    raise ValueError(f"a {duckdb_type} column cannot hold times")


def can_hold_times(duckdb_type: str) -> bool:
    return type_family(duckdb_type) in ("time", "string", "integer", "float")


def utc_timestamp(value) -> pd.Timestamp | None:
    """``value`` (text, datetime, Timestamp) as a naive UTC timestamp, how the store compares times;
    None when it is not a time. The one reading of a time a user gives (cutoffs, --at, split times)."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
