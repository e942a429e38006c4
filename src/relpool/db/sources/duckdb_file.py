"""DuckDB files, attached read-only to the store and copied table by table inside DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from relpool.db.database import Database
from relpool.db.sources.declared import declared_fk, declared_table
from relpool.db.sql import quote
from relpool.errors import RelpoolError

DUCKDB_MAGIC = b"DUCK"


def read_duckdb_file(path: Path) -> Database:
    db = Database.empty(str(path))
    literal = "'" + str(path.resolve()).replace("'", "''") + "'"
    try:
        db.execute(f"ATTACH {literal} AS user_db (READ_ONLY)")
        tables = db.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'user_db' "
            "AND NOT internal ORDER BY schema_name, table_name"
        ).fetchall()
        constraints = db.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names "
            "FROM duckdb_constraints() WHERE database_name = 'user_db' "
            "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        ).fetchall()
        for schema, table in tables:
            db.add_sql(table, f"SELECT * FROM user_db.{quote(schema)}.{quote(table)}", what=f"{path}: {table}")
    except duckdb.Error as exc:
        raise RelpoolError(f"cannot read DuckDB file {path}: {str(exc).splitlines()[0]}") from None
    finally:
        db.execute("DETACH DATABASE IF EXISTS user_db")
    if not tables:
        raise RelpoolError(f"DuckDB file {path} has no tables")
    pks = {t: tuple(cols) for t, kind, cols, _, _ in constraints if kind == "PRIMARY KEY"}
    fks: dict[str, list] = {}
    for t, kind, cols, ref_table, ref_cols in constraints:
        if kind == "FOREIGN KEY":
            fks.setdefault(t, []).append(declared_fk(cols, ref_table, ref_cols, path.name))
    db.declared = {t: declared_table(path.name, pks.get(t), fks.get(t, [])) for _, t in tables}
    return db
