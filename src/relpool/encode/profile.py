"""Column measurements that stype inference decides from, over the rows visible at the cutoff.

One SQL pass per table, plus a 1,000-value sample per text column to test whether it parses as
timestamps and, for text that looks like delimited lists, one count of distinct items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relpool.db.database import Database, quote, type_family
from relpool.db.measure import time_parsed_share

SEPARATORS = ("|", ";", ",")
LIST_FRACTION = 0.5  # text is a candidate delimited list when this share of values holds a separator


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    dtype: str
    family: str  # type_family(), plus "list" for LIST/ARRAY columns
    non_null: int
    distinct: int
    # Text columns only:
    space_fraction: float = 0.0  # share of values containing whitespace
    mean_length: float = 0.0
    time_parsed: float = 0.0  # share of a sample that parses as timestamps
    separator: str | None = None  # the delimiter the most values contain
    separator_fraction: float = 0.0
    items_distinct: int = 0  # distinct items after splitting on ``separator`` (if LIST_FRACTION hold it)

    @property
    def unique_ratio(self) -> float:
        return self.distinct / self.non_null if self.non_null else 0.0


def family(dtype: str) -> str:
    return "list" if re.search(r"\[\d*\]$", dtype) else type_family(dtype)


def profile_columns(database: Database, table: str, where: str | None) -> tuple[int, dict[str, ColumnProfile]]:
    """(visible row count, column profiles) for the rows matching ``where`` (all rows if None)."""
    columns = database.columns(table)
    condition = f" WHERE {where}" if where else ""
    exprs = ["count(*)"]
    for name, dtype in columns.items():
        q = quote(name)
        exprs += [f"count({q})", f"count(DISTINCT {q})"]
        if family(dtype) == "string":
            exprs += [f"avg(CAST(regexp_matches({q}, '\\s') AS INTEGER))", f"avg(length({q}))"]
            exprs += [f"avg(CAST(contains({q}, '{sep}') AS INTEGER))" for sep in SEPARATORS]
    values = iter(database.con.execute(f"SELECT {', '.join(exprs)} FROM {quote(table)}{condition}").fetchone())
    rows = next(values)
    profiles = {}
    for name, dtype in columns.items():
        kind = family(dtype)
        non_null, distinct = next(values), next(values)
        if kind != "string":
            profiles[name] = ColumnProfile(name, dtype, kind, non_null, distinct)
            continue
        space, length = next(values) or 0.0, next(values) or 0.0
        sep_fraction, sep = max((next(values) or 0.0, sep) for sep in SEPARATORS)
        sep = sep if sep_fraction > 0 else None
        profiles[name] = ColumnProfile(
            name, dtype, kind, non_null, distinct, space, length,
            time_parsed_share(database, table, name, dtype, condition) if non_null else 0.0,
            sep, sep_fraction,
            _items_distinct(database, table, name, sep, condition) if sep_fraction >= LIST_FRACTION else 0,
        )
    return rows, profiles


def split_items_sql(column: str, separator: str) -> str:
    """SQL turning delimited text into a list of trimmed, non-empty items."""
    sep = separator.replace("'", "''")
    return (f"list_filter(list_transform(string_split({quote(column)}, '{sep}'), lambda x: trim(x)), "
            "lambda x: x <> '')")


def _items_distinct(database: Database, table: str, column: str, separator: str, condition: str) -> int:
    return database.con.execute(
        f"SELECT count(DISTINCT item) FROM (SELECT unnest({split_items_sql(column, separator)}) AS item "
        f"FROM {quote(table)}{condition})").fetchone()[0]
