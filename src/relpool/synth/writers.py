"""Append Arrow chunks to a SQLite file (through ADBC, with declared keys) or to one Parquet file per table."""

from __future__ import annotations

from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from relpool.db.sql import quote
from relpool.synth.tables import FOREIGN_KEYS, PRIMARY_KEYS

SQL_TYPES = {pa.int64(): "INTEGER", pa.float64(): "REAL", pa.string(): "TEXT", pa.timestamp("s"): "TEXT"}


class ParquetWriter:
    """``folder/<table>.parquet``; a folder relpool reads directly."""

    def __init__(self, folder: Path, schemas: dict[str, pa.Schema]):
        folder.mkdir(parents=True)
        self.writers = {t: pq.ParquetWriter(folder / f"{t}.parquet", s) for t, s in schemas.items()}

    def append(self, table: str, data: pa.Table) -> None:
        self.writers[table].write_table(data)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


class SqliteWriter:
    """One SQLite file; keys declared in the DDL so relpool need not infer them; times as ISO text."""

    def __init__(self, path: Path, schemas: dict[str, pa.Schema]):
        self.con = adbc_sqlite.connect(str(path))
        self.cursor = self.con.cursor()
        self.cursor.execute("PRAGMA journal_mode = OFF")
        for table, schema in schemas.items():
            self.cursor.execute(ddl(table, schema))

    def append(self, table: str, data: pa.Table) -> None:
        columns = [pc.strftime(c, "%Y-%m-%d %H:%M:%S") if pa.types.is_timestamp(c.type) else c for c in data.columns]
        self.cursor.adbc_ingest(table, pa.table(columns, names=data.column_names), mode="append")

    def close(self) -> None:
        self.con.commit()
        self.cursor.close()
        self.con.close()


def ddl(table: str, schema: pa.Schema) -> str:
    columns = [
        f"{quote(f.name)} {SQL_TYPES[f.type]}" + (" PRIMARY KEY" if f.name == PRIMARY_KEYS[table] else "")
        for f in schema
    ]
    columns += [
        f"FOREIGN KEY ({quote(c)}) REFERENCES {quote(t)}({quote(PRIMARY_KEYS[t])})"
        for c, t in FOREIGN_KEYS.get(table, {}).items()
    ]
    return f"CREATE TABLE {quote(table)} ({', '.join(columns)})"


def open_writer(kind: str, target: Path, schemas: dict[str, pa.Schema]) -> ParquetWriter | SqliteWriter:
    return ParquetWriter(target, schemas) if kind == "parquet" else SqliteWriter(target, schemas)
