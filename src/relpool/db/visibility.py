"""The time rule, written once: a row is visible at a cutoff iff its time <= the cutoff.

A table without a time column has no time: its rows are always visible. A row whose time is NULL
(missing, or not parsable) is never visible. Every stage that selects rows by a cutoff (labels,
inputs, statistics, baselines) builds its SQL from these two functions, so they cannot disagree.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.schema import TableSchema
from relpool.db.times import time_expression


def table_time_sql(database: Database, table: TableSchema, alias: str | None = None) -> str | None:
    """The row's time as a UTC TIMESTAMP (NULL where unparsable); None for a table without a time column."""
    column = table.time_column
    return time_expression(column, database.columns(table.name)[column], alias) if column else None


def visible_sql(time_sql: str | None, cutoff_sql: str, flag: bool = False) -> str:
    """SQL that is true for a row with time ``time_sql`` (None: always visible) visible at ``cutoff_sql``.

    A plain comparison, so joins on it stay range and ASOF joins: a NULL time gives NULL, which WHERE
    and ON treat as not visible. ``flag`` gives false instead, for a value (a SELECT list, FILTER, NOT).
    """
    if time_sql is None:
        return "TRUE"
    rule = f"{time_sql} <= {cutoff_sql}"
    return f"COALESCE({rule}, false)" if flag else rule
