"""Reading a database for a trained model, when the database may have changed since training.

The model is scored on the tables and columns it was trained with. A table or column added since is
ignored and named in a note; a table the model was trained with, or a column it needs (keys, time
columns, encoded inputs), that is missing is one error naming every one, except a table that had no rows at training: it is recreated empty in
relpool's copy (its encoder and edge weights never saw a row), with a note. Extra tables are dropped from
relpool's own in-memory copy (never from the user's database) before the schema is resolved, so they
cannot change the graph, the default ``--at`` or the validation.
"""

from __future__ import annotations

from collections.abc import Mapping

from relpool.db.database import Database
from relpool.db.inspection import Inspection, inspect_store
from relpool.db.schema import parse_overrides
from relpool.db.sources import read_database
from relpool.db.sql import quote
from relpool.encode.stypes import ColumnType
from relpool.errors import RelpoolError
from relpool.train.config import ModelConfig


def inspect_for_model(db, config: ModelConfig) -> tuple[Inspection, list[str]]:
    """``db`` read with the model's schema, restricted to the model's tables; and notes on what was ignored."""
    database = read_database(db)
    notes = reconcile(database, config)
    user, splits = parse_overrides(dict(config.schema), "the model's schema")
    return inspect_store(database, user, splits), notes


def reconcile(database: Database, config: ModelConfig) -> list[str]:
    """Refuse what the model needs and the database lacks; drop extra tables; return notes naming extras."""
    trained = config.schema["tables"]
    present = database.tables
    missing_tables = [t for t in trained if t not in present]
    rows = config.rows  # rows per table at training ({}: not recorded by older relpool versions)
    were_empty = [
        t for t in missing_tables if rows.get(t) == 0 and t in config.encoders and config.encoders[t].column_types
    ]
    missing_tables = [t for t in missing_tables if t not in were_empty]
    if missing_tables:
        why = "" if rows else " (this model does not record which tables were empty at training)"
        raise RelpoolError(
            f"the database has no table {_names(missing_tables)}, which the model was trained with "
            f"(it has: {', '.join(present)}){why}"
        )
    for table in were_empty:
        _create_empty(database, table, config.encoders[table].column_types)
    missing, extra_columns = [], []
    for table, schema in trained.items():
        columns = database.columns(table)
        types = config.encoders[table].column_types if table in config.encoders else {}
        missing += [f"{table}.{c}" for c in needed_columns(schema, types) if c not in columns]
        known = {*types, *needed_columns(schema, {})}
        extra_columns += [f"{table}.{c}" for c in columns if c not in known]
    if missing:
        raise RelpoolError(f"the database lacks column(s) {', '.join(missing)}, which the model was trained with")
    extra_tables = [t for t in present if t not in trained]
    for table in extra_tables:
        database.execute(f"DROP TABLE {quote(table)}")  # our in-memory copy only
        database.declared.pop(table, None)
    notes = []
    if were_empty:
        notes.append(
            f"the database has no table {_names(were_empty)}; it was empty at training, so the model "
            f"sees it as empty, as it did then"
        )
    if extra_tables:
        notes.append(f"ignoring table(s) {_names(extra_tables)}, which the model was not trained with")
    if extra_columns:
        notes.append(f"ignoring column(s) {', '.join(extra_columns)}, which the model was not trained with")
    return notes


def _create_empty(database: Database, table: str, column_types: Mapping[str, ColumnType]) -> None:
    """An empty table with the columns and types it had at training, in relpool's own copy only.

    The network has an encoder and edge weights for it, which never saw a row: an empty table gives
    them exactly the inputs they had at training."""
    columns = ", ".join(f"{quote(c)} {t.dtype}" for c, t in column_types.items())
    database.execute(f"CREATE TABLE {quote(table)} ({columns})")


def needed_columns(schema: Mapping, column_types: Mapping[str, ColumnType]) -> list[str]:
    """Key, time and foreign-key columns of a table's stored schema, and every column its encoder used."""
    needed = [*(schema.get("primary_key") or ()), *([schema["time_column"]] if schema.get("time_column") else [])]
    for fk in schema.get("foreign_keys") or ():
        needed += fk["columns"]
    needed += [c for c, t in column_types.items() if t.semantic != "ignore"]
    return list(dict.fromkeys(needed))


def _names(tables: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in tables)
