"""Tables in a SQLite file or behind a SQLAlchemy URL (PostgreSQL through psycopg), each write one transaction.

A new table is filled under a temporary name and renamed into place in the same transaction (after
the old one is dropped, for ``--mode replace``); ``--mode append`` inserts into the existing table.
Any failure rolls the whole write back: the table is as it was and no temporary table is left, since
SQLite and PostgreSQL both run DDL inside transactions (servers that do not, such as MySQL, may keep
the temporary table after a failure). Python's sqlite3 would commit DDL on its own, so, as SQLAlchemy
documents for it, the driver leaves transactions alone and SQLAlchemy begins each one itself.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from relpool.db.sources.sql_drivers import check_driver
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.sinks.columns import check_same_columns, lists_as_json
from relpool.sinks.target import TableTarget, already_exists


def table_exists(target: TableTarget) -> bool:
    """Whether the table is there already (its schema must be), checked before predicting."""
    if target.kind == "sqlite" and target.path is not None and not target.path.exists():
        return False  # (connecting would create the file)
    engine = _engine(target)
    try:
        with engine.connect() as con:
            return _exists(con, target)
    except sa.exc.SQLAlchemyError as exc:
        raise RelpoolError(f"cannot connect to {target.where}: {_short(exc)}") from None
    finally:
        engine.dispose()


def write_table(target: TableTarget, frame: pd.DataFrame, mode: str) -> None:
    frame = lists_as_json(frame)
    if target.kind == "sqlite" and target.path is not None and not target.path.exists():
        # A new file is built beside its place and renamed into it: a failed write leaves no empty database.
        write_atomically(target.path, lambda tmp: _write(_sqlite_engine(tmp), target, frame, mode))
    else:
        _write(_engine(target), target, frame, mode)


def _write(engine: sa.Engine, target: TableTarget, frame: pd.DataFrame, mode: str) -> None:
    try:
        with engine.begin() as con:
            exists = _exists(con, target)
            if exists and mode == "create":
                raise already_exists(target)
            if exists and mode == "append":
                existing = [c["name"] for c in sa.inspect(con).get_columns(target.table, schema=target.schema)]
                check_same_columns(existing, frame, target)
                _insert(frame, con, target.table, target.schema, if_exists="append")
            else:
                _create(con, target, frame, replace=exists)
    except sa.exc.SQLAlchemyError as exc:
        raise RelpoolError(f"cannot write {target}: {_short(exc)}") from None
    finally:
        engine.dispose()


def _create(con: sa.Connection, target: TableTarget, frame: pd.DataFrame, replace: bool) -> None:
    """Fill a temporary table, then (dropping the old one) give it the target's name."""
    temporary = f"relpool_tmp_{secrets.token_hex(6)}"
    _insert(frame, con, temporary, target.schema)
    quote = con.dialect.identifier_preparer
    prefix = f"{quote.quote_schema(target.schema)}." if target.schema else ""
    if replace:
        con.execute(sa.text(f"DROP TABLE {prefix}{quote.quote(target.table)}"))
    con.execute(sa.text(f"ALTER TABLE {prefix}{quote.quote(temporary)} RENAME TO {quote.quote(target.table)}"))


def _insert(frame: pd.DataFrame, con: sa.Connection, table: str, schema: str | None, if_exists: str = "fail") -> None:
    """pandas' ``to_sql``; into PostgreSQL by ``COPY ... FROM STDIN``, several times faster than its INSERTs."""
    method = _copy_rows if con.dialect.name == "postgresql" else None
    frame.to_sql(table, con, schema=schema, if_exists=if_exists, index=False, method=method)


def _copy_rows(table, con: sa.Connection, columns: list[str], rows) -> None:
    """A ``to_sql`` method (pandas' documented hook): the rows through psycopg's COPY, in the same transaction."""
    quote = con.dialect.identifier_preparer
    name = f"{quote.quote_schema(table.schema)}.{quote.quote(table.name)}" if table.schema else quote.quote(table.name)
    driver = con.connection.driver_connection  # psycopg's own connection, inside this transaction
    assert driver is not None  # an open connection has one
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {name} ({', '.join(quote.quote(c) for c in columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _exists(con: sa.Connection, target: TableTarget) -> bool:
    inspector = sa.inspect(con)
    if target.schema is not None and not inspector.has_schema(target.schema):
        raise RelpoolError(f"schema {target.schema} does not exist in {target.where}; create it first, or name another")
    return inspector.has_table(target.table, schema=target.schema)


def _engine(target: TableTarget) -> sa.Engine:
    if target.kind == "sqlite":
        assert target.path is not None  # a SQLite target is a file
        return _sqlite_engine(target.path)
    assert target.url is not None  # any other SQL target is a URL
    check_driver(target.url, target.where, "write")
    return sa.create_engine(target.url, poolclass=NullPool)


def _sqlite_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)), poolclass=NullPool)
    sa.event.listen(engine, "connect", _driver_leaves_transactions)
    sa.event.listen(engine, "begin", _begin)
    return engine


def _driver_leaves_transactions(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _begin(con: sa.Connection) -> None:
    con.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock now, so a busy file fails before any work


def _short(exc: Exception) -> str:
    """A driver error's first line, without SQLAlchemy's background link."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
