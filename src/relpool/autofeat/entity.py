"""The entity's own columns (the RelBench LightGBM baseline) and, for autofeat, its parents' columns.

The autocomplete target is a hidden column and never appears. The entity's time column becomes its
age at the cutoff. A parent row (a flight's airline) is used only if it is visible at the cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from relpool.autofeat.columns import Roles, column_roles
from relpool.autofeat.table import EXAMPLES, Feature, FeatureTable, fetch
from relpool.autofeat.wanted import table_columns, wanted_roles
from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.db.visibility import table_time_sql, visible_sql
from relpool.query.bind import BoundQuery


def entity_features(
    inspection: Inspection,
    bound: BoundQuery,
    with_parents: bool,
    cutoff: pd.Timestamp | None = None,
    wanted: Sequence[str] | None = None,
) -> FeatureTable:
    """Columns of the entity row (and its parents' rows) for every registered example.

    ``cutoff`` (the first validation cutoff) bounds the times of tables without a time column. ``wanted``: only
    the features of those names, their columns read off the names (:mod:`.wanted`) rather than profiled.
    """
    db, schema = inspection.database, inspection.schema
    entity = bound.entity_table
    hidden = {column for table, column in bound.hidden_columns if table == entity}

    def roles(table: str, exclude: set[str], suffix: str) -> Roles:
        if wanted is None:
            return column_roles(db, schema, table, exclude, keep_foreign_keys=False, cutoff=cutoff)
        return wanted_roles([c for c in table_columns(db, table) if c not in exclude], table, suffix, wanted)

    features = _row_features(roles(entity, hidden, ""), "e", entity, "")
    if bound.entity_time_sql:
        features.append(
            Feature(
                f"DAYS_SINCE({entity}.{schema.tables[entity].time_column})",
                f"(epoch(x.cutoff) - epoch({bound.entity_time_sql})) / 86400",
            )
        )
    joins = [f"LEFT JOIN {quote(entity)} e ON e.{quote(bound.entity_column)} = x.entity"]
    for i, fk in enumerate(schema.tables[entity].foreign_keys if with_parents else []):
        parent = fk.references_table
        key = fk.references_columns or schema.tables[parent].primary_key
        if parent == entity or len(fk.columns) != 1 or not key:
            continue
        alias = f"p{i}"
        visible = visible_sql(table_time_sql(db, schema.tables[parent], alias), "x.cutoff")
        joins.append(
            f"LEFT JOIN {quote(parent)} {alias} ON {alias}.{quote(key[0])} = e.{quote(fk.columns[0])} AND {visible}"
        )
        suffix = f" | {entity}.{fk.columns[0]}"
        features += _row_features(roles(parent, set(), suffix), alias, parent, suffix)
    if wanted is not None:
        names = set(wanted)
        features = [f for f in features if f.name in names]
    if not features:
        return FeatureTable.concat([])
    columns = ", ".join(f"{f.sql} AS {quote(f'f{i}')}" for i, f in enumerate(features))
    sql = f"SELECT {columns} FROM {EXAMPLES} x {' '.join(joins)} ORDER BY x.__row"
    return fetch(inspection.database, features, sql)


def _row_features(roles, alias: str, table: str, suffix: str) -> list[Feature]:
    return [Feature(f"{table}.{c}{suffix}", f"TRY_CAST({alias}.{quote(c)} AS DOUBLE)") for c in roles.numeric] + [
        Feature(f"{table}.{c}{suffix}", f"CAST({alias}.{quote(c)} AS VARCHAR)", categorical=True)
        for c in roles.categorical
    ]
