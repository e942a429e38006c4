"""One set of column types in the store, whatever reader loaded the table.

Readers hand over what their source holds; some of those types break or mislead every later stage,
so right after a table lands it is rewritten once into the types relpool handles everywhere:

- ``TIMESTAMP_NS`` / ``_MS`` / ``_S`` -> ``TIMESTAMP``, nanosecond ``TIMESTAMPTZ_NS`` ->
  ``TIMESTAMP WITH TIME ZONE`` (microseconds): DuckDB cannot cast ``TIMESTAMPTZ_NS`` to
  ``TIMESTAMP``, and pandas writes tz-aware columns as ``timestamp(ns, tz)``. Sub-microsecond
  digits are dropped; no cutoff is that fine.
- ``UUID`` and ``ENUM`` -> ``VARCHAR``: both are text to a user (filters like ``= 'happy'``, joins
  with text keys), and string functions refuse them.
- ``HUGEINT``, ``UHUGEINT``, ``UBIGINT``, ``BIGNUM`` and ``DECIMAL(p, 0)`` -> ``BIGINT`` when every
  value fits in 64 bits, else ``VARCHAR``: these hold ids (ETL tools write keys as DECIMAL(20, 0)),
  and pandas and torch turn them into floats, which merge distinct ids. Text keeps every id exact.
- ``DECIMAL(p, s > 0)`` -> ``DOUBLE``: a measurement, where float precision is plenty.
"""

from __future__ import annotations

import re

import duckdb

from relpool.db.sql import first_row, quote

WIDE_INTEGERS = ("HUGEINT", "UHUGEINT", "UBIGINT", "BIGNUM", "VARINT")
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def store_type(duckdb_type: str) -> str | None:
    """The type a column of ``duckdb_type`` is stored as; None when kept; "INTEGER?" when values decide."""
    t = duckdb_type.upper()
    if t in ("TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return "TIMESTAMP"
    if t.startswith("TIMESTAMP") and t != "TIMESTAMP WITH TIME ZONE" and ("TZ" in t or "TIME ZONE" in t):
        return "TIMESTAMPTZ"
    if t == "UUID" or t.startswith("ENUM("):
        return "VARCHAR"
    decimal = _DECIMAL.fullmatch(t)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        if scale > 0:
            return "DOUBLE"
        return "BIGINT" if precision <= 18 else "INTEGER?"
    if t in WIDE_INTEGERS:
        return "INTEGER?"
    return None


def normalise_types(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """Rewrite ``table`` (``columns``: name -> type) in place into the types listed in the module docstring.

    Called by the store while it loads a table, so it takes the store's connection, not the store.
    """
    targets = {name: store_type(dtype) for name, dtype in columns.items()}
    targets = {name: t for name, t in targets.items() if t}
    if not targets:
        return
    wide = [name for name, t in targets.items() if t == "INTEGER?"]
    if wide:
        fits_sql = (
            "SELECT "
            + ", ".join(f"count({quote(c)}) = count(TRY_CAST({quote(c)} AS BIGINT))" for c in wide)
            + f" FROM {quote(table)}"
        )
        fits = first_row(con.execute(fits_sql), fits_sql)
        targets.update({c: "BIGINT" if ok else "VARCHAR" for c, ok in zip(wide, fits)})
    casts = ", ".join(f"CAST({quote(c)} AS {t}) AS {quote(c)}" for c, t in targets.items())
    con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS SELECT * REPLACE ({casts}) FROM {quote(table)}")
