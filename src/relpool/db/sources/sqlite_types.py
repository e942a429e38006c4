"""One type per SQLite column, whatever mix of storage classes its rows hold.

SQLite stores a type per value, not per column, and ADBC fixes a column's Arrow type from its first
batch of rows: a column that starts with NULLs, or holds INTEGER and then REAL, text or blobs, fails
the whole read. One scan collects the ``typeof()`` values of each column and each column is CAST to
the one storage class that holds all its values:

==========================  =====================================================
values (NULLs aside)        read as
==========================  =====================================================
integer only                INTEGER
real, or integer and real   REAL (integers beyond 2**53 round, as in any float)
blob only                   BLOB (bytes kept)
any text, or blob + other   TEXT; numbers as SQLite's CAST writes them, blobs as hex
none (all NULL or no rows)  the declared affinity: INTEGER, REAL, else TEXT
==========================  =====================================================

Blobs mixed with other values become upper-case hex (SQLite's ``hex()``): lossless, and never
invalid UTF-8. Text that is not valid UTF-8 (SQLite stores whatever bytes it is given) is decoded
afterwards with U+FFFD replacing the bad bytes, see :func:`replace_invalid_utf8`.
"""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pyarrow.compute as pc

from relpool.db.sql import quote

CLASSES = ("integer", "real", "text", "blob")

# A value of each storage class, for the sentinel first row that fixes ADBC's inferred types.
_SENTINEL = {"INTEGER": "0", "REAL": "0.0", "TEXT": "''", "BLOB": "X''"}


def storage_class(present: set[str], declared: str) -> str:
    """The one SQLite storage class a column is read as, from the ``typeof()`` values it holds."""
    present = present & set(CLASSES)
    if not present:
        return _affinity(declared)
    if present == {"integer"}:
        return "INTEGER"
    if present <= {"integer", "real"}:
        return "REAL"
    if present == {"blob"}:
        return "BLOB"
    return "TEXT"


def _affinity(declared: str) -> str:
    """SQLite's own affinity rules (https://sqlite.org/datatype3.html 3.1), TEXT where it has none."""
    t = (declared or "").upper()
    if "INT" in t:
        return "INTEGER"
    if not any(word in t for word in ("CHAR", "CLOB", "TEXT")) and any(word in t for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "TEXT"


def uniform_select(meta: sqlite3.Connection, table: str) -> str:
    """A SELECT over ``table`` whose every column has one storage class.

    Its first row is a sentinel (last column 1, real rows 0) holding a value of each column's
    class, so ADBC's first batch is typed even when the table's first rows are all NULL; drop it
    with :func:`drop_sentinel`.
    """
    columns = meta.execute(f"PRAGMA table_info({quote(table)})").fetchall()
    names, declared = [c[1] for c in columns], [c[2] for c in columns]
    # group_concat(DISTINCT typeof(...)) scans 4x faster than one count per storage class.
    probes = ", ".join(f"group_concat(DISTINCT typeof({quote(n)}))" for n in names)
    found = [set((v or "").split(",")) for v in meta.execute(f"SELECT {probes} FROM {quote(table)}").fetchone()]
    classes = [storage_class(present, kind) for present, kind in zip(found, declared)]
    has_blobs = ["blob" in present for present in found]
    sentinel = ", ".join([f"{_SENTINEL[k]} AS {quote(n)}" for n, k in zip(names, classes)] + ["1"])
    rows = ", ".join([_cast(n, k, b) for n, k, b in zip(names, classes, has_blobs)] + ["0"])
    return f"SELECT {sentinel} UNION ALL SELECT {rows} FROM {quote(table)}"


def _cast(name: str, storage: str, has_blobs: bool) -> str:
    column = quote(name)
    if storage == "TEXT" and has_blobs:
        return f"CASE WHEN typeof({column}) = 'blob' THEN hex({column}) ELSE CAST({column} AS TEXT) END"
    return f"CAST({column} AS {storage})"


def drop_sentinel(table: pa.Table) -> pa.Table:
    """The rows of :func:`uniform_select` without its sentinel row and marker column."""
    marker = table.column(table.num_columns - 1)
    rows = table.remove_column(table.num_columns - 1)
    if table.num_rows and marker[0].as_py() == 1:
        return rows.slice(1)  # SQLite returns a UNION ALL's arms in order; checked, not assumed
    return rows.filter(pc.equal(marker, 0))


def replace_invalid_utf8(table: pa.Table) -> pa.Table:
    """Text columns with bytes that are not UTF-8, decoded with U+FFFD for each bad sequence."""
    for i, field in enumerate(table.schema):
        if not pa.types.is_string(field.type):
            continue
        column = table.column(i)
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            raw = pa.chunked_array([chunk.view(pa.binary()) for chunk in column.chunks], pa.binary())
            # Python per value, but only for a column that needs it (rare).
            texts = [None if b is None else b.decode("utf-8", "replace") for b in raw.to_pylist()]
            fixed = pa.array(texts, pa.string())
            table = table.set_column(i, field, fixed)
    return table
