"""Columns that hold times relpool does not read: day-/month-first dates, and numbers of no known kind.

A table without a time column is always visible, so its future rows become inputs. When its only
times are stored as ``dd/mm/yyyy`` text, that leak is silent; these checks name the column so the
user can convert it. They are not read as times instead: whether ``01/02/2021`` is January or
February is the user's to say. Epoch numbers are read (:mod:`relpool.db.times`); the epoch kinds
here only explain a declared time column whose numbers mix or leave those ranges.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import time_name_score
from relpool.db.measure import SAMPLE_ROWS
from relpool.db.sql import quote, type_family
from relpool.db.times import epoch_kind

SLASH_DATE = r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}([ T]\d{1,2}:\d\d(:\d\d(\.\d*)?)?)?\s*$"
MIN_SHARE = 0.9


def unread_kind(db: Database, table: str, column: str) -> tuple[str, object] | None:
    """("epoch seconds" | "epoch milliseconds" | "day- or month-first dates", an example) or None."""
    family = type_family(db.columns(table)[column])
    col, tab = quote(column), quote(table)
    if family in ("integer", "float"):
        low, high, example = db.row(f"SELECT min({col}), max({col}), any_value({col}) FROM {tab}")
        found = epoch_kind(low, high)
        return (found[0], example) if found else None
    if family == "string":
        sampled, matching, example = db.row(
            f"SELECT count(*), count(*) FILTER (WHERE regexp_matches(v, '{SLASH_DATE}')), "
            f"min(v) FILTER (WHERE regexp_matches(v, '{SLASH_DATE}')) FROM (SELECT {col} AS v FROM {tab} "
            f"WHERE {col} IS NOT NULL) USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (0)"
        )
        if sampled and matching >= MIN_SHARE * sampled:
            return "day- or month-first dates", example
    return None


def unread_time_columns(db: Database, table: str) -> list[tuple[str, str, object]]:
    """(column, kind, example) for each text column named like a time whose values look like unread dates."""
    out = []
    for column, dtype in db.columns(table).items():
        if time_name_score(column) > 0 and type_family(dtype) == "string":
            found = unread_kind(db, table, column)
            if found:
                out.append((column, *found))
    return out


def how_to_convert(kind: str, column: str) -> str:
    if kind.startswith("epoch"):
        unit = "" if kind == "epoch seconds" else " / 1000"
        return f"store it as a timestamp in the database (in SQL: to_timestamp({column}{unit}))"
    return "store it as a timestamp or as ISO text (yyyy-mm-dd hh:mm:ss) in the database"
