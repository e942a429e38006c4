"""One pass per table of the column statistics that inference decides from."""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database, quote, type_family


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    position: int
    dtype: str
    family: str
    non_null: int
    approx_distinct: int


@dataclass(frozen=True)
class TableProfile:
    name: str
    rows: int
    columns: dict[str, ColumnProfile]


def profile_table(db: Database, table: str) -> TableProfile:
    columns = db.columns(table)
    exprs = ["count(*)"]
    for name in columns:
        exprs += [f"count({quote(name)})", f"approx_count_distinct({quote(name)})"]
    values = db.con.execute(f"SELECT {', '.join(exprs)} FROM {quote(table)}").fetchone()
    profiles = {}
    for i, (name, dtype) in enumerate(columns.items()):
        profiles[name] = ColumnProfile(name, i, dtype, type_family(dtype), values[1 + 2 * i], values[2 + 2 * i])
    return TableProfile(table, values[0], profiles)
