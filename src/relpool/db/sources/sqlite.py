"""SQLite files, opened read-only; data through ADBC straight into Arrow.

A file without a ``-wal`` or ``-journal`` beside it is complete, so it is opened ``immutable=1`` (and ``mode=ro``):
even a read-only connection to a WAL-mode database otherwise creates ``-wal`` and ``-shm`` files
next to the user's. With either file present it is opened ``mode=ro``, which reads their content.

SQLite lets one column hold any mix of NULL, integer, real, text and blob values; each column is
read as the one type that holds them all (rules in :mod:`.sqlite_types`), so no mix can fail a read.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote as url_quote

import adbc_driver_sqlite.dbapi as adbc_sqlite

from relpool.db.database import Database
from relpool.db.sources.declared import declared_fk, declared_table
from relpool.db.sources.sqlite_types import drop_sentinel, replace_invalid_utf8, uniform_select
from relpool.db.sql import quote
from relpool.errors import RelpoolError

SQLITE_MAGIC = b"SQLite format 3\x00"


def read_sqlite(path: Path) -> Database:
    uri = f"file:{url_quote(str(path.resolve()))}?{_open_mode(path)}"
    db = Database.empty(str(path))
    try:
        with closing(sqlite3.connect(uri, uri=True)) as meta:
            tables = [
                r[0]
                for r in meta.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            selects = {t: uniform_select(meta, t) for t in tables}
            db.declared = {t: _declared(meta, t, path.name) for t in tables}
        with adbc_sqlite.connect(uri) as con, con.cursor() as cur:
            for table in tables:
                cur.execute(selects[table])
                db.add_arrow(table, replace_invalid_utf8(drop_sentinel(cur.fetch_arrow_table())))
    except (sqlite3.DatabaseError, adbc_sqlite.Error, OSError) as exc:
        raise RelpoolError(f"cannot read SQLite file {path}: {exc}") from None
    if not tables:
        raise RelpoolError(f"SQLite file {path} has no tables")
    return db


def _open_mode(path: Path) -> str:
    if any(path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-journal")):
        return "mode=ro"
    return "mode=ro&immutable=1"


def _columns(meta: sqlite3.Connection, table: str) -> list[tuple]:
    return meta.execute(f"PRAGMA table_info({quote(table)})").fetchall()


def _declared(meta: sqlite3.Connection, table: str, source: str):
    pk = tuple(c[1] for c in sorted((c for c in _columns(meta, table) if c[5] > 0), key=lambda c: c[5]))
    groups: dict[int, list[tuple]] = {}
    for row in meta.execute(f"PRAGMA foreign_key_list({quote(table)})"):
        groups.setdefault(row[0], []).append(row)
    fks = []
    for rows in groups.values():
        rows.sort(key=lambda r: r[1])
        to = [r[4] for r in rows]
        fks.append(declared_fk([r[3] for r in rows], rows[0][2], None if None in to else to, source))
    return declared_table(source, pk or None, fks)
