"""Merge the user's schema file, the source's declared keys and inference into one :class:`Schema`.

Per table and per field, the first that has it wins: the user's YAML, then what the source
declares, then inference. Inference runs in dependency order: single-column keys, time columns,
foreign keys to those keys, then composite keys (built from foreign-key and time columns) and the
foreign keys that point at them.

A constraint the source declares that names a table or column it does not have (SQLite accepts a
foreign key to a table that was never created) is left out with a warning: the rest of the
database is still usable. The same mistake in the user's YAML stays an error.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.foreign_keys import infer_composite_foreign_keys, infer_single_foreign_keys
from relpool.db.infer.primary_keys import infer_composite_key, infer_single_key
from relpool.db.infer.profile import profile_table
from relpool.db.infer.time_columns import infer_time_column
from relpool.db.schema import ForeignKey, Schema, TableOverride, TableSchema
from relpool.errors import RelpoolError
from relpool.suggest import suggest


def resolve_schema(
    db: Database, user: dict[str, TableOverride] | None = None, user_split_times: dict[str, str] | None = None
) -> Schema:
    user = user or {}
    for name, override in user.items():
        check_override_names(db, name, override)
    declared, ignored = _usable_declarations(db, user)
    fixed = {t: _merge(declared.get(t), user.get(t)) for t in db.tables}
    profiles = {t: profile_table(db, t) for t in db.tables}
    tables = {t: TableSchema(t) for t in db.tables}

    for t, schema in tables.items():
        schema.column_types = dict(fixed[t].get("column_types", ({}, ""))[0])
        if "primary_key" in fixed[t]:
            schema.primary_key, schema.evidence["primary_key"] = fixed[t]["primary_key"]
        else:
            schema.primary_key, schema.evidence["primary_key"] = infer_single_key(db, profiles[t])
    for t, schema in tables.items():
        if "time_column" in fixed[t]:
            schema.time_column, schema.evidence["time_column"] = fixed[t]["time_column"]
        else:
            single = schema.primary_key is not None and len(schema.primary_key) == 1
            schema.time_column, schema.evidence["time_column"] = infer_time_column(db, profiles[t], single)

    inferred_fks = [t for t in tables if "foreign_keys" not in fixed[t]]
    for t in tables:
        if t not in inferred_fks:
            tables[t].foreign_keys, tables[t].evidence["foreign_keys"] = fixed[t]["foreign_keys"]
    keys = _keys(tables)
    for t in inferred_fks:
        tables[t].foreign_keys = infer_single_foreign_keys(db, profiles[t], keys, profiles)
    for t, schema in tables.items():
        if schema.primary_key is None and "primary_key" not in fixed[t]:
            fk_columns = [fk.columns[0] for fk in schema.foreign_keys]
            schema.primary_key, schema.evidence["primary_key"] = infer_composite_key(
                db, profiles[t], fk_columns, schema.time_column, profiles
            )
    keys = _keys(tables)
    for t in inferred_fks:
        tables[t].foreign_keys += infer_composite_foreign_keys(db, profiles[t], keys, profiles)
    for t in inferred_fks:
        tables[t].evidence["foreign_keys"] = "inferred"

    for schema in tables.values():
        completed = []
        for fk in schema.foreign_keys:
            try:
                completed.append(_complete_reference(schema.name, fk, tables))
            except RelpoolError as exc:
                if not fk.evidence.startswith("declared"):
                    raise
                ignored.append((schema.name, f"{exc}; this declared foreign key is ignored"))
        schema.foreign_keys = completed
    return Schema(tables, {**db.split_times, **(user_split_times or {})}, ignored)


def _usable_declarations(db: Database, user: dict[str, TableOverride]) -> tuple[dict[str, TableOverride], list]:
    """The source's declarations without the parts that name what does not exist, and why each was dropped.

    Fields the user's YAML gives are not checked: the YAML replaces them anyway.
    """
    usable: dict[str, TableOverride] = {}
    ignored: list[tuple[str, str]] = []
    for table, override in db.declared.items():
        given = user[table].fields if table in user else {}
        fields = {}
        for name, value in override.fields.items():
            if name in given:
                continue
            if name == "foreign_keys":
                value = [fk for fk in value if _names_exist(db, table, override, {name: [fk]}, ignored)]
            elif not _names_exist(db, table, override, {name: value}, ignored):
                continue
            fields[name] = value
        usable[table] = TableOverride(fields, override.source, override.evidence)
    return usable, ignored


def _names_exist(db: Database, table: str, override: TableOverride, fields: dict, ignored: list) -> bool:
    try:
        check_override_names(db, table, TableOverride(fields, override.source, override.evidence))
    except RelpoolError as exc:
        ignored.append((table, f"{exc}; this declared constraint is ignored"))
        return False
    return True


def _keys(tables: dict[str, TableSchema]) -> dict[str, tuple[str, ...]]:
    return {t: s.primary_key for t, s in tables.items() if s.primary_key}


def _merge(declared: TableOverride | None, user: TableOverride | None) -> dict[str, tuple]:
    """field -> (value, evidence) for every field the user or the source fixed."""
    out = {}
    for override in (declared, user):  # the user's file comes last and wins
        if override is None:
            continue
        for name, value in override.fields.items():
            out[name] = (value, override.evidence)
    return out


def _complete_reference(table: str, fk: ForeignKey, tables: dict[str, TableSchema]) -> ForeignKey:
    """A reference without columns means the parent's primary key."""
    if fk.references_columns:
        return fk
    parent_key = tables[fk.references_table].primary_key
    if not parent_key:
        raise RelpoolError(
            f"foreign key {table}.{', '.join(fk.columns)} references table '{fk.references_table}', which has no "
            f"primary key; give references_columns in the schema file"
        )
    if len(parent_key) != len(fk.columns):
        raise RelpoolError(
            f"foreign key {table}({', '.join(fk.columns)}) has {len(fk.columns)} column(s) but the key of "
            f"'{fk.references_table}' has {len(parent_key)}: ({', '.join(parent_key)})"
        )
    return ForeignKey(fk.columns, fk.references_table, parent_key, fk.evidence)


def check_override_names(db: Database, table: str, override: TableOverride) -> None:
    """Every table and column an override names must exist; suggest the closest names if not."""
    where = override.source
    if table not in db.tables:
        raise RelpoolError(f"{where}: table '{table}' is not in the database{_suggest(table, db.tables)}")
    fields = override.fields
    for col in fields.get("primary_key") or ():
        _check_column(db, table, col, f"{where}: primary key of '{table}'")
    if fields.get("time_column"):
        _check_column(db, table, fields["time_column"], f"{where}: time column of '{table}'")
    for col in fields.get("column_types") or {}:
        _check_column(db, table, col, f"{where}: column_types of '{table}'")
    for fk in fields.get("foreign_keys") or ():
        for col in fk.columns:
            _check_column(db, table, col, f"{where}: foreign key of '{table}'")
        if fk.references_table not in db.tables:
            raise RelpoolError(
                f"{where}: foreign key {fk.describe(table).split(' -> ')[0]} references table "
                f"'{fk.references_table}', which is not in the database"
                f"{_suggest(fk.references_table, db.tables)}"
            )
        for col in fk.references_columns:
            _check_column(db, fk.references_table, col, f"{where}: foreign key of '{table}'")


def _check_column(db: Database, table: str, column: str, where: str) -> None:
    columns = list(db.columns(table))
    if column not in columns:
        raise RelpoolError(f"{where}: column '{column}' is not in table '{table}'{_suggest(column, columns)}")


def _suggest(name: str, options: list[str]) -> str:
    return suggest(name, options, list_others=True)
