"""Column statistics of one table in one SQL pass: what schema inference and stype inference decide from.

Schema inference profiles every row with approximate distinct counts (cheap on large tables, and
every key it picks is checked exactly afterwards); the encoders' stype inference profiles the rows
visible at the stats cutoff with exact counts and the shape of text (:class:`TextProfile`), since
its thresholds (10 distinct values, 1,000 categories) are compared with the counts themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from relpool.db.database import Database
from relpool.db.measure import key_family, non_integral_count_sql, time_parsed_share
from relpool.db.sql import quote, type_family

SEPARATORS = ("|", ";", ",")
LIST_FRACTION = 0.5  # text is a candidate delimited list when this share of values holds a separator


def family(dtype: str) -> str:
    """:func:`relpool.db.database.type_family`, plus "list" for LIST/ARRAY columns."""
    return "list" if re.search(r"\[\d*\]$", dtype) else type_family(dtype)


@dataclass(frozen=True)
class TextProfile:
    """The shape of a text column's values: prose, timestamps, delimited lists, or labels."""

    space_fraction: float  # share of values containing whitespace
    mean_length: float
    time_parsed: float  # share of a sample that parses as timestamps
    separator: str | None  # the delimiter the most values contain
    separator_fraction: float
    items_distinct: int  # distinct items after splitting on ``separator`` (if LIST_FRACTION hold it), else 0


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    position: int
    dtype: str
    family: str  # see family()
    non_null: int
    distinct: int  # approximate unless profiled with exact_distinct
    # A float column whose non-null values are all whole numbers: pandas writes an integer column
    # holding a NaN as float64 (year 1933.0, ids 1.0), so keys, foreign keys and years accept it.
    integral: bool = False
    text: TextProfile | None = None  # text columns, when profiled with text_shape

    @property
    def key_family(self) -> str:
        """``family``, with integral floats counted as integers (see :func:`relpool.db.measure.key_family`)."""
        return key_family(self.family, self.integral)

    @property
    def unique_ratio(self) -> float:
        return self.distinct / self.non_null if self.non_null else 0.0


@dataclass(frozen=True)
class TableProfile:
    name: str
    rows: int  # rows matching the profile's condition
    columns: dict[str, ColumnProfile]


def profile_table(
    db: Database, table: str, where: str | None = None, *, exact_distinct: bool = False, text_shape: bool = False
) -> TableProfile:
    """Profile of the rows matching ``where`` (all rows if None).

    ``text_shape`` adds a :class:`TextProfile` to every text column: one more sample query per
    column with values, and one distinct-item count per column that looks like delimited lists.
    """
    columns = db.columns(table)
    families = {name: family(dtype) for name, dtype in columns.items()}
    condition = f" WHERE {where}" if where else ""
    distinct = "count(DISTINCT {})" if exact_distinct else "approx_count_distinct({})"
    exprs = ["count(*)"]
    for name, kind in families.items():
        q = quote(name)
        exprs += [f"count({q})", distinct.format(q), non_integral_count_sql(name) if kind == "float" else "0"]
        if text_shape and kind == "string":
            exprs += [f"avg(CAST(regexp_matches({q}, '\\s') AS INTEGER))", f"avg(length({q}))"]
            exprs += [f"avg(CAST(contains({q}, '{sep}') AS INTEGER))" for sep in SEPARATORS]
    values = iter(db.execute(f"SELECT {', '.join(exprs)} FROM {quote(table)}{condition}").fetchone() or ())
    rows = next(values)
    profiles = {}
    for i, (name, dtype) in enumerate(columns.items()):
        kind = families[name]
        non_null, count, odd = next(values), next(values), next(values)
        text = None
        if text_shape and kind == "string":
            text = _text_profile(db, table, name, dtype, condition, non_null, values)
        integral = kind == "float" and non_null > 0 and odd == 0
        profiles[name] = ColumnProfile(name, i, dtype, kind, non_null, count, integral, text)
    return TableProfile(table, rows, profiles)


def _text_profile(
    db: Database, table: str, column: str, dtype: str, condition: str, non_null: int, values: Iterator
) -> TextProfile:
    """The text measures of one column: its five aggregates from ``values``, then its samples."""
    space, length = next(values) or 0.0, next(values) or 0.0
    sep_fraction, sep = max((next(values) or 0.0, sep) for sep in SEPARATORS)
    return TextProfile(
        space,
        length,
        time_parsed_share(db, table, column, dtype, condition) if non_null else 0.0,
        sep if sep_fraction > 0 else None,
        sep_fraction,
        _items_distinct(db, table, column, sep, condition) if sep_fraction >= LIST_FRACTION else 0,
    )


def split_items_sql(column: str, separator: str) -> str:
    """SQL turning delimited text into a list of trimmed, non-empty items (the encoders' multicategorical)."""
    sep = separator.replace("'", "''")
    return f"list_filter(list_transform(string_split({quote(column)}, '{sep}'), lambda x: trim(x)), lambda x: x <> '')"


def _items_distinct(db: Database, table: str, column: str, separator: str, condition: str) -> int:
    return db.scalar(
        f"SELECT count(DISTINCT item) FROM (SELECT unnest({split_items_sql(column, separator)}) "
        f"AS item FROM {quote(table)}{condition})"
    )
