"""Folders of Parquet and CSV files: one table per file, read by DuckDB's multi-threaded scanners."""

from __future__ import annotations

from pathlib import Path

from relpool.db.database import Database
from relpool.db.sources.csv_file import add_csv
from relpool.errors import RelpoolError

TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz", ".tsv")


def read_folder(folder: Path) -> Database:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(TABLE_SUFFIXES))
    if not files:
        raise RelpoolError(f"{folder}: the folder has no .parquet or .csv files (one table per file expected)")
    db = Database.empty(str(folder))
    for path in files:
        add_file(db, table_name(path), path)
    return db


def read_single_file(path: Path) -> Database:
    db = Database.empty(str(path))
    add_file(db, table_name(path), path)
    return db


def add_file(db: Database, name: str, path: Path) -> None:
    if path.name.lower().endswith((".parquet", ".pq")):
        literal = "'" + str(path).replace("'", "''") + "'"
        db.add_sql(name, f"SELECT * FROM read_parquet({literal})", what=str(path))
    else:
        add_csv(db, name, path)


def table_name(path: Path) -> str:
    name = path.name
    for suffix in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem
