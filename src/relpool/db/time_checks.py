"""Checks of time columns: a type that cannot hold times, unparsable, missing, far-out or offset-mixed times,
and times left unread.

Apart from the key checks because these decide which rows a model may see at a cutoff: each warning here is
marked ``visibility``, so every command that builds a task repeats it.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.measure import TimeSpread
from relpool.db.problem import KeyFamilies, Problem
from relpool.db.sql import quote, type_family
from relpool.db.times import can_hold_times, time_expression
from relpool.db.unread_times import how_to_convert, unread_kind, unread_time_columns


def check_time_column(
    db: Database, table: str, column: str, rows: int, spread: TimeSpread | None, families: KeyFamilies
) -> list[Problem]:
    dtype = db.columns(table)[column]
    if not can_hold_times(dtype):
        return [Problem("error", table, f"time column {table}.{column} has type {dtype}, which cannot hold times")]
    if type_family(dtype) == "float" and families(table, column) != "integer":
        return [
            Problem(
                "error",
                table,
                (
                    f"time column {table}.{column} has type {dtype}, which cannot hold times "
                    f"unless every value is a whole year"
                ),
            )
        ]
    expr = time_expression(column, dtype)
    filled, unparsable, example = db.row(
        f"SELECT count({quote(column)}), count(*) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL), "
        f"min({quote(column)}) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL) FROM {quote(table)}"
    )
    out = []
    if filled and unparsable == filled:
        found = unread_kind(db, table, column)
        hint = ""
        if found:
            read_as = (
                "numbers are read as years (1..9998) or epoch seconds/milliseconds (1973..2096)"
                if type_family(dtype) in ("integer", "float")
                else "text is read as a time only in ISO form (yyyy-mm-dd ...)"
            )
            hint = f"; the values look like {found[0]}, but {read_as}: {how_to_convert(found[0], column)}"
        out.append(
            Problem(
                "error", table, (f"time column {table}.{column}: no value parses as a time (e.g. {example!r}){hint}")
            )
        )
    elif unparsable:
        out.append(
            Problem(
                "warning",
                table,
                (
                    f"time column {table}.{column}: {unparsable:,} of {filled:,} values do not parse as times (e.g. {example!r}); "
                    f"those rows are never visible"
                ),
                visibility=True,
            )
        )
    if rows - filled:
        out.append(
            Problem(
                "warning",
                table,
                (
                    f"time column {table}.{column} is NULL in {rows - filled:,} of {rows:,} rows; those rows are never visible"
                ),
                visibility=True,
            )
        )
    if filled > unparsable:
        assert spread is not None  # measured for every column that can hold times
        out += _out_of_range(table, column, spread)
    if type_family(dtype) == "string":
        out += _naive_among_offsets(db, table, column, expr)
    return out


def unread_times(db: Database, table: str) -> list[Problem]:
    """A table left without a time column whose times are there, in a form that is not read as times."""
    return [
        Problem(
            "warning",
            table,
            (
                f"{table}.{column} looks like {kind} (e.g. {example!r}) but is not read as a time, so '{table}' has no "
                f"time column and all its rows are always visible: future rows become inputs; {how_to_convert(kind, column)}, "
                f"or give time_column: null for '{table}' in a schema file if its rows really are timeless"
            ),
            visibility=True,
        )
        for column, kind, example in unread_time_columns(db, table)
    ]


def _out_of_range(table: str, column: str, spread: TimeSpread) -> list[Problem]:
    if not spread.outside:
        return []
    shown = ", ".join(str(v) for v in spread.examples)
    return [
        Problem(
            "warning",
            table,
            (
                f"time column {table}.{column}: {spread.outside:,} of {spread.rows:,} times lie far outside the rest "
                f"(e.g. {shown}); cutoffs are chosen within {spread.span_text} only"
            ),
            visibility=True,
        )
    ]


# A clock time followed by Z, UTC/GMT or a numeric offset: '2020-01-01T10:00:00+02:00', '... 10:00Z'.
OFFSET_PATTERN = r"\d:\d\d(:\d\d(\.\d*)?)?\s*([zZ]|UTC|GMT|[+-]\d\d(:?\d\d)?)$"


def _naive_among_offsets(db: Database, table: str, column: str, expr: str) -> list[Problem]:
    """Text times where some carry a UTC offset and some do not: the naive ones are read as UTC."""
    has_offset = f"regexp_matches(trim({quote(column)}), '{OFFSET_PATTERN}')"
    with_offset, naive, example = db.row(
        f"SELECT count(*) FILTER (WHERE {has_offset}), count(*) FILTER (WHERE NOT {has_offset}), "
        f"min({quote(column)}) FILTER (WHERE NOT {has_offset}) FROM {quote(table)} WHERE {expr} IS NOT NULL"
    )
    if not (with_offset and naive):
        return []
    return [
        Problem(
            "warning",
            table,
            (
                f"time column {table}.{column}: {naive:,} of {naive + with_offset:,} times have no UTC offset while the "
                f"others do (e.g. {example!r}); those are read as UTC"
            ),
            visibility=True,
        )
    ]
