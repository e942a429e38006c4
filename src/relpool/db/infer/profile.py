"""One pass per table of the column statistics that inference decides from."""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database, quote, type_family
from relpool.db.measure import key_family, non_integral_count_sql


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    position: int
    dtype: str
    family: str
    non_null: int
    approx_distinct: int
    # A float column whose non-null values are all whole numbers: pandas writes an integer column
    # holding a NaN as float64 (year 1933.0, ids 1.0), so keys, foreign keys and years accept it.
    integral: bool = False

    @property
    def key_family(self) -> str:
        """``family``, with integral floats counted as integers (see :func:`relpool.db.measure.key_family`)."""
        return key_family(self.family, self.integral)


@dataclass(frozen=True)
class TableProfile:
    name: str
    rows: int
    columns: dict[str, ColumnProfile]


def profile_table(db: Database, table: str) -> TableProfile:
    columns = db.columns(table)
    families = {name: type_family(dtype) for name, dtype in columns.items()}
    exprs = ["count(*)"]
    for name in columns:
        exprs += [f"count({quote(name)})", f"approx_count_distinct({quote(name)})",
                  non_integral_count_sql(name) if families[name] == "float" else "0"]
    values = db.con.execute(f"SELECT {', '.join(exprs)} FROM {quote(table)}").fetchone()
    profiles = {}
    for i, (name, dtype) in enumerate(columns.items()):
        non_null, distinct, odd = values[1 + 3 * i: 4 + 3 * i]
        integral = families[name] == "float" and non_null > 0 and odd == 0
        profiles[name] = ColumnProfile(name, i, dtype, families[name], non_null, distinct, integral)
    return TableProfile(table, values[0], profiles)
