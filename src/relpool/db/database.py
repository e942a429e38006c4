"""One in-process DuckDB store holding a copy of the user's tables.

Every reader copies the source's tables into this store once (Arrow in, no row-by-row Python);
everything after reads only the store, so the user's database is opened once, read-only, and never
written to. Every table gets the same column types whatever read it (:mod:`.store_types`). Keys
and constraints the source declares travel with it as ``declared`` overrides.

The DuckDB connection is private: callers go through :meth:`Database.execute` and its few
companions, so settings changes are scoped (:meth:`Database.settings`) and relations registered
for one query never leak into another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from relpool.db.schema import TableOverride
from relpool.db.sql import first_row, literal, quote
from relpool.db.store_types import normalise_types
from relpool.errors import RelpoolError


@dataclass
class Database:
    """The user's tables in our own DuckDB connection, plus what the source declared about them."""

    _con: duckdb.DuckDBPyConnection
    source: str
    declared: dict[str, TableOverride] = field(default_factory=dict)
    split_times: dict[str, str] = field(default_factory=dict)
    # (table, message): what a reader noticed and worked around, reported by validation as warnings.
    notes: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def empty(cls, source: str) -> Database:
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")  # times are compared as UTC wall-clock TIMESTAMPs
        return cls(con, source)

    def execute(self, sql: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        """Run ``sql`` (``?`` placeholders filled from ``params``) on the store; read the result with
        ``fetchone``, ``fetchall``, ``df``, ``fetchnumpy`` or ``to_arrow_table``."""
        return self._con.execute(sql, params)

    def row(self, sql: str, params: list | None = None) -> tuple[Any, ...]:
        """The first row of ``sql``'s result, for a query that always returns one (an aggregate without
        GROUP BY); raises when it returned none."""
        return first_row(self.execute(sql, params), sql)

    def scalar(self, sql: str, params: list | None = None) -> Any:
        """The first column of the first row of ``sql``'s result."""
        return self.row(sql, params)[0]

    @contextmanager
    def settings(self, **values: str | int | bool) -> Iterator[None]:
        """DuckDB settings (e.g. ``threads=1``) for the block only; the previous values come back after it."""
        before = {name: self.scalar(f"SELECT current_setting({literal(name)})") for name in values}
        try:
            for name, value in values.items():
                self._set(name, value)
            yield
        finally:
            for name, value in before.items():
                self._set(name, value)

    def _set(self, name: str, value: str | int | bool) -> None:
        shown = (
            literal(value)
            if isinstance(value, str)
            else str(value).lower()
            if isinstance(value, bool)
            else str(int(value))
        )
        self._con.execute(f"SET {name} = {shown}")

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own on the store (its own results and temporary tables), closed after the block."""
        cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def with_relation(self, name: str, data) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor that sees ``data`` (a DataFrame or Arrow table) as relation ``name``.

        A cursor of its own: DuckDB refuses to register on a connection whose last result was not
        read to the end (any ``fetchone``), and the name never leaks into other queries.
        """
        with self.cursor() as cursor:
            cursor.register(name, data)
            yield cursor

    @contextmanager
    def shared_relation(self, name: str, data) -> Iterator[None]:
        """``data`` as relation ``name`` for every :meth:`execute` until the block ends, e.g. under a
        temporary view several statements read; prefer :meth:`with_relation` for one statement."""
        self._con.execute("SELECT 1").fetchall()  # registering needs the last result read to its end
        self._con.register(name, data)
        try:
            yield
        finally:
            self._con.unregister(name)

    def add_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        """Copy an Arrow table into the store under ``name``, in the store's types (:mod:`.store_types`)."""
        self._check_new_name(name)
        with self.with_relation("_incoming", table) as cursor:
            cursor.execute(f"CREATE TABLE {quote(name)} AS SELECT * FROM _incoming")
        normalise_types(self._con, name, self.columns(name))

    def add_sql(self, name: str, select_sql: str, what: str) -> None:
        """Create table ``name`` from a DuckDB SELECT (e.g. over read_parquet), in the store's types; ``what`` names the file."""
        self._check_new_name(name)
        try:
            self._con.execute(f"CREATE TABLE {quote(name)} AS {select_sql}")
            normalise_types(self._con, name, self.columns(name))
        except duckdb.Error as exc:
            raise RelpoolError(f"cannot read {what}: {_first_line(exc)}") from None

    def _check_new_name(self, name: str) -> None:
        if not name:
            raise RelpoolError(f"{self.source}: a table has an empty name")
        same = [t for t in self.tables if t.lower() == name.lower()]  # DuckDB's names ignore case
        if same:
            raise RelpoolError(
                f"{self.source}: two tables are both named '{name}'"
                + (f" (names ignore case: '{same[0]}')" if same[0] != name else "")
            )

    @property
    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type, in table order."""
        rows = self.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
        return {name: dtype for name, dtype in rows}

    def row_count(self, table: str) -> int:
        return self.scalar(f"SELECT count(*) FROM {quote(table)}")

    def arrow(self, table: str) -> pa.Table:
        return self.execute(f"SELECT * FROM {quote(table)}").to_arrow_table()


def _first_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
