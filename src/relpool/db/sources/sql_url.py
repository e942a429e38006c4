"""SQL servers by SQLAlchemy URL. Declared keys come from SQLAlchemy's inspector.

PostgreSQL data is read with ADBC (binary COPY straight into Arrow) in a read-only session;
other dialects go through pandas' SQLAlchemy reader. ``sqlite:///`` and ``duckdb:///`` URLs go to
the file readers, which open the file read-only (SQLAlchemy would create a missing file).
A missing dialect or driver is one error naming the package to install (:mod:`.sql_drivers`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from relpool.db.database import Database
from relpool.db.sources.declared import declared_fk, declared_table
from relpool.db.sources.duckdb_file import read_duckdb_file
from relpool.db.sources.postgres import PARTITIONS_SQL, read_postgres
from relpool.db.sources.sql_drivers import check_driver
from relpool.db.sources.sqlite import read_sqlite
from relpool.errors import RelpoolError

if TYPE_CHECKING:
    import sqlalchemy as sa


def read_sql_url(url: str) -> Database:
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise RelpoolError(f"not a valid SQLAlchemy URL: {url}") from None
    if parsed.get_backend_name() in ("sqlite", "duckdb"):
        return _read_file_url(parsed, parsed.render_as_string(hide_password=True))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    check_driver(parsed, shown)
    # ?schema=NAME is ours (which schema to read), not a driver option.
    given = parsed.query.get("schema")
    schema = given if isinstance(given, str) else None
    parsed = parsed.difference_update_query(["schema"])
    try:
        engine = sa.create_engine(parsed, execution_options={"postgresql_readonly": True})
        inspector = sa.inspect(engine)
        tables = inspector.get_table_names(schema=schema)
        if parsed.get_backend_name() == "postgresql":
            with engine.connect() as con:
                partitions = set(con.execute(sa.text(PARTITIONS_SQL), {"namespace": schema or "public"}).scalars())
            tables = [t for t in tables if t not in partitions]
        declared = {t: _declared(inspector, t, schema, shown) for t in tables}
    except sa.exc.SQLAlchemyError as exc:
        raise RelpoolError(f"cannot connect to {shown}: {_short(exc)}") from None
    if not tables:
        raise RelpoolError(f"{shown} has no tables" + (f" in schema '{schema}'" if schema else ""))
    db = Database.empty(shown)
    db.declared = declared
    if parsed.get_backend_name() == "postgresql":
        libpq_uri = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        read_postgres(db, libpq_uri, tables, schema or "public", shown)
    else:
        try:
            with engine.connect() as con:
                for t in tables:
                    db.add_arrow(t, arrow_from_frame(pd.read_sql_table(t, con, schema=schema)))
        except sa.exc.SQLAlchemyError as exc:
            raise RelpoolError(f"cannot read from {shown}: {_short(exc)}") from None
    engine.dispose()
    return db


def _read_file_url(parsed: sa.URL, shown: str) -> Database:
    if not parsed.database or parsed.database == ":memory:":
        raise RelpoolError(f"{shown} names no file (an in-memory database has no tables to read)")
    path = Path(parsed.database).expanduser()
    if not path.is_file():
        raise RelpoolError(f"database not found: {path} (from {shown})")
    return read_sqlite(path) if parsed.get_backend_name() == "sqlite" else read_duckdb_file(path)


def arrow_from_frame(frame: pd.DataFrame) -> pa.Table:
    """Arrow from a driver's DataFrame; an object column mixing Python types becomes text."""
    for column in frame.select_dtypes(include="object").columns:
        if pd.api.types.infer_dtype(frame[column], skipna=True).startswith("mixed"):
            frame[column] = frame[column].map(lambda v: v if v is None or v is pd.NA else str(v), na_action="ignore")
    return pa.Table.from_pandas(frame, preserve_index=False)


def _declared(inspector, table: str, schema: str | None, source: str):
    pk = tuple(inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or ())
    fks = [
        declared_fk(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"], source)
        for fk in inspector.get_foreign_keys(table, schema=schema)
    ]
    return declared_table(source, pk or None, fks)


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__
