"""Which rows an encoder reads, and in which order.

Row order is fixed by DuckDB's ``rowid``: every table in the store is created once by
``CREATE TABLE … AS`` and never modified, so its rowids are exactly 0..n-1 in insertion order.
The dense id of a row is its rowid: row ``i`` of an encoded frame is the store row with
``rowid = i``, and the graph builder maps keys to dense ids with
``SELECT rowid, <key columns> FROM <table>``. :func:`check_dense_rowids` guards that assumption.

Statistics are learned only from rows *visible* at the stats cutoff: rows whose time (per
:mod:`relpool.db.visibility`) is <= the cutoff; rows with a NULL time are never
visible; every row of a table without a time column is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import pandas as pd

from relpool.db.database import Database
from relpool.db.schema import TableSchema
from relpool.db.sql import quote
from relpool.db.times import utc_timestamp
from relpool.db.visibility import table_time_sql, visible_sql
from relpool.errors import RelpoolError

Cutoff: TypeAlias = str | datetime | pd.Timestamp | None


def ordered_select(table: str, expressions: list[str], where: str | None = None) -> str:
    """SQL selecting ``expressions`` from ``table`` in dense-id (rowid) order."""
    condition = f" WHERE {where}" if where else ""
    return f"SELECT {', '.join(expressions)} FROM {quote(table)}{condition} ORDER BY rowid"


def check_dense_rowids(database: Database, table: str) -> int:
    """The table's row count, after checking its rowids are 0..n-1 (they are dense ids)."""
    n, low, high = database.row(f"SELECT count(*), min(rowid), max(rowid) FROM {quote(table)}")
    if n and (low != 0 or high != n - 1):
        raise RelpoolError(f"table '{table}' has rowids {low}..{high} for {n} rows; the store table was modified")
    return n


def parse_cutoff(cutoff: Cutoff) -> pd.Timestamp | None:
    """A cutoff as a naive UTC timestamp (how the store compares times), or None for 'all rows'."""
    if cutoff is None:
        return None
    stamp = utc_timestamp(cutoff)
    if stamp is None:
        raise RelpoolError(f"stats cutoff {cutoff!r} is not a timestamp")
    return stamp


def visible_predicate(database: Database, table: TableSchema, cutoff: Cutoff) -> str | None:
    """SQL condition for rows visible at ``cutoff``; None when every row is."""
    stamp = parse_cutoff(cutoff)
    if stamp is None or table.time_column is None:
        return None
    return visible_sql(table_time_sql(database, table), f"TIMESTAMP '{stamp.isoformat(sep=' ')}'", flag=True)
