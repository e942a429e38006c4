"""What autofeat aggregates: one group per foreign-key path (up to two hops) into the entity.

A table reached through several foreign keys (flights.origin and flights.dest both pointing at
airports) gives one group per key, because departures and arrivals mean different things.
Categorical columns are counted by their most frequent values, chosen from the rows visible at the
stats cutoff (the last training cutoff) so not even the choice of categories looks at later data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from relpool.autofeat.columns import column_roles
from relpool.autofeat.memo import remembered
from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.db.visibility import visible_sql
from relpool.query.paths import find_paths

TOP_CATEGORIES = 5
MAX_CATEGORIES = 200  # above this a column is an identifier or free text: only its distinct count is used


@dataclass(frozen=True)
class Group:
    label: str  # names the path in feature names, e.g. "flights.tailnum" or "flights.tailnum, flights.dest"
    table: str
    sql: str  # relation with __entity, __t and the table's columns (relpool.query.paths)
    has_time: bool
    own_rows: bool  # False through a link table: its rows are the link's, already counted in the link's group
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    top: dict[str, tuple[str, ...]]  # categorical column -> its most frequent values; absent: too many


def plan_groups(
    inspection: Inspection, entity: str, stats_cutoff: pd.Timestamp, times_cutoff: pd.Timestamp | None = None
) -> list[Group]:
    """Every path from a related table to ``entity``, with its columns' roles and top categories.

    ``times_cutoff`` (default ``stats_cutoff``) bounds the times of tables without a time column.
    """
    groups = []
    for path in group_paths(inspection, entity):
        roles = column_roles(
            inspection.database,
            inspection.schema,
            path.table,
            exclude=path.to_entity,
            cutoff=stats_cutoff if times_cutoff is None else times_cutoff,
        )
        top = {
            c: values
            for c in roles.categorical
            if (values := _top_values(inspection, path.sql, path.has_time, c, stats_cutoff)) is not None
        }
        groups.append(path.group(roles.numeric, roles.categorical, top))
    return groups


@dataclass(frozen=True)
class GroupPath:
    """A group before its columns are chosen: the path, and the table's key back to the entity."""

    label: str
    table: str
    sql: str
    has_time: bool
    own_rows: bool
    to_entity: frozenset[str]  # the key back to the entity: the group's identity, not a feature of its rows

    def group(self, numeric: tuple[str, ...], categorical: tuple[str, ...], top: dict[str, tuple[str, ...]]) -> Group:
        return Group(self.label, self.table, self.sql, self.has_time, self.own_rows, numeric, categorical, top)


def group_paths(inspection: Inspection, entity: str) -> list[GroupPath]:
    """Every path from a related table to ``entity`` (one group each), in the order of the schema's tables;
    once per store."""
    key = ("group_paths", repr(inspection.schema.tables), entity)
    return remembered(inspection.database, key, lambda: _group_paths(inspection, entity))


def _group_paths(inspection: Inspection, entity: str) -> list[GroupPath]:
    db, schema = inspection.database, inspection.schema
    paths = []
    for table in schema.tables:
        if table == entity:
            continue
        to_entity = frozenset(
            c for fk in schema.tables[table].foreign_keys if fk.references_table == entity for c in fk.columns
        )
        for path in find_paths(db, schema, entity, table):
            label = ", ".join(part.split(" -> ")[0] for part in path.description.split(", "))
            own_rows = label.split(".")[0] == table
            paths.append(GroupPath(label, table, path.sql, path.has_time, own_rows, to_entity))
    return paths


def _top_values(
    inspection: Inspection, sql: str, has_time: bool, column: str, stats_cutoff: pd.Timestamp
) -> tuple[str, ...] | None:
    """The column's most frequent values at the stats cutoff (None: too many to count); once per store."""
    key = ("top_values", sql, has_time, column, stats_cutoff)
    return remembered(inspection.database, key, lambda: _count_top(inspection, sql, has_time, column, stats_cutoff))


def _count_top(
    inspection: Inspection, sql: str, has_time: bool, column: str, stats_cutoff: pd.Timestamp
) -> tuple[str, ...] | None:
    rows = inspection.database.execute(
        f"SELECT CAST(r.{quote(column)} AS VARCHAR) AS v, count(*) AS n FROM ({sql}) r "
        f"WHERE {visible_sql('r.__t' if has_time else None, '?')} AND r.{quote(column)} IS NOT NULL "
        f"GROUP BY v ORDER BY n DESC, v LIMIT {MAX_CATEGORIES + 1}",
        [stats_cutoff.to_pydatetime()] if has_time else None,
    ).fetchall()
    if len(rows) > MAX_CATEGORIES:
        return None
    return tuple(v for v, _ in rows[:TOP_CATEGORIES])
