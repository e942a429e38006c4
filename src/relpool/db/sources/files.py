"""Folders of Parquet and CSV files, read by DuckDB's multi-threaded scanners.

One table per file, and one per subfolder of Parquet files: Spark and ETL tools write a table as
``orders/part-0.parquet``, ``orders/part-1.parquet``, often in hive ``key=value/`` folders, whose
keys become columns. Subfolders without Parquet files are skipped with a warning (CSV parts would
each need their own dialect and encoding checks); hidden ones (``.x``, ``_temporary``) silently.
Table names ignore case in DuckDB, so ``users.csv`` beside ``Users.CSV`` is refused naming both.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from relpool.db.database import Database
from relpool.db.sources.csv_file import add_csv
from relpool.db.sql import literal
from relpool.errors import RelpoolError

TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_folder(folder: Path) -> Database:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(TABLE_SUFFIXES))
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    parts = {d: _parquet_parts(d) for d in subfolders}
    sources = files + [d for d in subfolders if parts[d]]
    if not sources:
        raise RelpoolError(f"{folder}: the folder has no .parquet or .csv files (one table per file expected)")
    _check_distinct_names(folder, sources)
    db = Database.empty(str(folder))
    for path in sources:
        add_file(db, table_name(path), path)
    for d in subfolders:
        if not parts[d] and any(_table_files(d)):
            db.notes.append(
                (
                    d.name,
                    (
                        f"{d}: subfolder skipped, it holds no Parquet files (only Parquet parts are read as one table); "
                        f"concatenate its files into {d.name}.csv beside it to read it"
                    ),
                )
            )
    return db


def read_single_file(path: Path) -> Database:
    db = Database.empty(str(path))
    add_file(db, table_name(path), path)
    return db


def add_file(db: Database, name: str, path: Path) -> None:
    """One table from a Parquet or CSV file, or from a folder of Parquet parts."""
    if path.is_dir():
        files = ", ".join(literal(str(p)) for p in _parquet_parts(path))
        db.add_sql(
            name,
            f"SELECT * FROM read_parquet([{files}], hive_partitioning = true, union_by_name = true)",
            what=str(path),
        )
        return
    if path.name.lower().endswith(PARQUET_SUFFIXES):
        db.add_sql(name, f"SELECT * FROM read_parquet({literal(str(path))})", what=str(path))
        header = _parquet_names(path)
    else:
        header = add_csv(db, name, path)
    _note_renamed_columns(db, name, path, header)


def table_name(path: Path) -> str:
    if path.is_dir():
        return path.name
    name = path.name
    for suffix in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _check_distinct_names(folder: Path, sources: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in sources:
        key = table_name(path).lower()
        if key in seen:
            case = "; table names ignore case" if table_name(seen[key]) != table_name(path) else ""
            raise RelpoolError(
                f"{folder}: two tables are both named '{table_name(seen[key])}' "
                f"({seen[key].name} and {path.name}{case}); rename or remove one"
            )
        seen[key] = path


def _table_files(folder: Path) -> list[Path]:
    """Table files anywhere below ``folder``, leaving out hidden paths (``.x``, Spark's ``_temporary``)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.name.lower().endswith(TABLE_SUFFIXES)
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def _parquet_parts(folder: Path) -> list[Path]:
    return [p for p in _table_files(folder) if p.name.lower().endswith(PARQUET_SUFFIXES)]


def _parquet_names(path: Path) -> list[str] | None:
    try:
        return pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - DuckDB read the file; a header we cannot see only skips the check
        return None


def _note_renamed_columns(db: Database, name: str, path: Path, header: list[str] | None) -> None:
    """DuckDB silently renames a repeated column name (``name,name`` -> name, name_1); say so."""
    stored = list(db.columns(name))
    if not header or len(header) != len(stored):
        return
    repeated = {n.lower() for n in header if sum(m.lower() == n.lower() for m in header) > 1}
    renamed = [f"'{old}' as {new}" for old, new in zip(header, stored) if old != new and old.lower() in repeated]
    if renamed:
        db.notes.append(
            (
                name,
                (
                    f"{path.name}: column names repeat (ignoring case), so DuckDB renamed them: {', '.join(renamed)}; "
                    f"rename the columns in the file to choose the names"
                ),
            )
        )
