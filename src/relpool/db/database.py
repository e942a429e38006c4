"""One in-process DuckDB store holding a copy of the user's tables.

Every reader copies the source's tables into this store once (Arrow in, no row-by-row Python);
everything after reads only the store, so the user's database is opened once, read-only, and never
written to. Every table gets the same column types whatever read it (:mod:`.store_types`). Keys
and constraints the source declares travel with it as ``declared`` overrides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from relpool.db.schema import TableOverride
from relpool.db.store_types import normalise_types
from relpool.errors import RelpoolError

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


@dataclass
class Database:
    """The user's tables in our own DuckDB connection, plus what the source declared about them."""

    con: duckdb.DuckDBPyConnection
    source: str
    declared: dict[str, TableOverride] = field(default_factory=dict)
    split_times: dict[str, str] = field(default_factory=dict)
    # (table, message): what a reader noticed and worked around, reported by validation as warnings.
    notes: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def empty(cls, source: str) -> "Database":
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")  # times are compared as UTC wall-clock TIMESTAMPs
        return cls(con, source)

    def add_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        """Copy an Arrow table into the store under ``name``, in the store's types (:mod:`.store_types`)."""
        self._check_new_name(name)
        with self.with_relation("_incoming", table) as cursor:
            cursor.execute(f"CREATE TABLE {quote(name)} AS SELECT * FROM _incoming")
        normalise_types(self.con, name)

    @contextmanager
    def with_relation(self, name: str, data) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor that sees ``data`` (a DataFrame or Arrow table) as relation ``name``.

        A cursor of its own: DuckDB refuses to register on a connection whose last result was not
        read to the end (any ``fetchone``), and the name never leaks into other queries.
        """
        cursor = self.con.cursor()
        try:
            cursor.register(name, data)
            yield cursor
        finally:
            cursor.close()

    def add_sql(self, name: str, select_sql: str, what: str) -> None:
        """Create table ``name`` from a DuckDB SELECT (e.g. over read_parquet), in the store's types; ``what`` names the file."""
        self._check_new_name(name)
        try:
            self.con.execute(f"CREATE TABLE {quote(name)} AS {select_sql}")
            normalise_types(self.con, name)
        except duckdb.Error as exc:
            raise RelpoolError(f"cannot read {what}: {_first_line(exc)}") from None

    def _check_new_name(self, name: str) -> None:
        if not name:
            raise RelpoolError(f"{self.source}: a table has an empty name")
        same = [t for t in self.tables if t.lower() == name.lower()]  # DuckDB's names ignore case
        if same:
            raise RelpoolError(f"{self.source}: two tables are both named '{name}'"
                               + (f" (names ignore case: '{same[0]}')" if same[0] != name else ""))

    @property
    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type, in table order."""
        rows = self.con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
        return {name: dtype for name, dtype in rows}

    def row_count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]

    def scalar(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).fetchone()[0]

    def arrow(self, table: str) -> pa.Table:
        return self.con.execute(f"SELECT * FROM {quote(table)}").to_arrow_table()


def _first_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
