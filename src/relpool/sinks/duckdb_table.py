"""Tables in a DuckDB file, each write one DuckDB transaction (DDL included), so a failure leaves none of it.

The predictions keep their types, lists (link prediction's top k) included. ``--mode append`` inserts
by column name. A new file is built beside its place and renamed into it, so a failed write leaves no
empty database behind.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from relpool.db.sql import quote
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.sinks.columns import check_same_columns
from relpool.sinks.target import TableTarget, already_exists

FRAME = "relpool_predictions"  # the name the predictions are registered under in the connection


def duckdb_table_exists(target: TableTarget) -> bool:
    """Whether the table is there already (its schema must be), checked before predicting."""
    assert target.path is not None  # a DuckDB target is a file
    if not target.path.exists():
        if target.schema not in (None, "main"):
            raise _no_schema(target)
        return False
    con = _connect(target.path, read_only=True)
    try:
        return _exists(con, target)
    finally:
        con.close()


def write_duckdb(target: TableTarget, frame: pd.DataFrame, mode: str) -> None:
    assert target.path is not None  # a DuckDB target is a file
    if target.path.exists():
        _write(target.path, target, frame, mode)
        return

    def new_file(tmp: Path) -> None:
        tmp.unlink()  # DuckDB makes its own file (an empty one is no database to it)
        _write(tmp, target, frame, mode)

    write_atomically(target.path, new_file)


def _write(path: Path, target: TableTarget, frame: pd.DataFrame, mode: str) -> None:
    con = _connect(path, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        con.register(FRAME, frame)
        exists = _exists(con, target)
        if exists and mode == "create":
            raise already_exists(target)
        if exists and mode == "append":
            check_same_columns(_columns(con, target), frame, target)
        _fill(con, _name(target), mode if exists else "create")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        raise RelpoolError(f"cannot write {target}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()  # an open transaction is rolled back


def _fill(con: duckdb.DuckDBPyConnection, name: str, mode: str) -> None:
    statement = {
        "create": f"CREATE TABLE {name} AS SELECT * FROM {FRAME}",
        "replace": f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {FRAME}",
        "append": f"INSERT INTO {name} BY NAME SELECT * FROM {FRAME}",
    }[mode]
    con.execute(statement)


def _exists(con: duckdb.DuckDBPyConnection, target: TableTarget) -> bool:
    schema = target.schema or "main"
    found = con.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = ?", [schema]
    ).fetchone()
    if not (found and found[0]):
        raise _no_schema(target)
    return bool(_columns(con, target))


def _columns(con: duckdb.DuckDBPyConnection, target: TableTarget) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [target.schema or "main", target.table],
    ).fetchall()
    return [name for (name,) in rows]


def _name(target: TableTarget) -> str:
    return f"{quote(target.schema)}.{quote(target.table)}" if target.schema else quote(target.table)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise RelpoolError(f"cannot open DuckDB file {path}: {str(exc).splitlines()[0]}") from None


def _no_schema(target: TableTarget) -> RelpoolError:
    return RelpoolError(f"schema {target.schema} does not exist in {target.where}; create it first, or name another")
