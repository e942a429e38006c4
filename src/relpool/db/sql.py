"""SQL text helpers every layer uses: quoting names and text, and the coarse family of a DuckDB type.

A module of its own, importing nothing of relpool, so the store (:mod:`.database`) and what it
calls while loading a table (:mod:`.store_types`) share one copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

TIME_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
STRING_TYPES = ("VARCHAR", "UUID")


def quote(name: str) -> str:
    """A SQL identifier, quoted so any table or column name is safe."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal, quoted so any text is safe."""
    return "'" + text.replace("'", "''") + "'"


def type_family(duckdb_type: str) -> str:
    """Coarse type family used to decide which columns can be keys and which can be joined."""
    t = duckdb_type.upper()
    if t in INTEGER_TYPES:
        return "integer"
    if t in STRING_TYPES or t.startswith("VARCHAR"):
        return "string"
    if t in TIME_TYPES or t.startswith("TIMESTAMP"):
        return "time"
    if t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "float"
    if t == "BOOLEAN":
        return "boolean"
    return "other"


def first_row(result: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The next row of ``result`` (``sql``'s, on a store connection or cursor), for a query that always
    returns one (an aggregate without GROUP BY); raises when it returned none."""
    row = result.fetchone()
    if row is None:
        raise RuntimeError(f"no row from a query that always returns one: {sql}")
    return row
