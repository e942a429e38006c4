"""Which columns of a table a baseline may use, and as what.

Keys identify rows rather than describe them (a plane's tail number says nothing a model can
generalise), so primary keys, time columns and, for aggregates, the foreign key back to the entity
are never features. Other foreign keys are categories. The user's ``column_types`` overrides win.
Times that can be later than the row's own (``orders.delivered_at``) are never features either: the
encoders' rule (:mod:`relpool.encode.later_times`), so every model sees the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database
from relpool.db.schema import Schema
from relpool.db.sql import type_family
from relpool.encode.later_times import later_times
from relpool.encode.rows import Cutoff

NUMERIC_FAMILIES = ("integer", "float", "boolean")


@dataclass(frozen=True)
class Roles:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]


def column_roles(db: Database, schema: Schema, table: str, exclude: set[str] = frozenset(),
                 keep_foreign_keys: bool = True, cutoff: Cutoff = None) -> Roles:
    """Numeric and categorical columns of ``table``; keys, the time column, later times and ``exclude`` left out.

    ``cutoff``: the first validation cutoff, which times of a table without a time column must not pass.
    """
    spec = schema.tables[table]
    foreign = {c for fk in spec.foreign_keys for c in fk.columns}
    excluded = set(spec.primary_key or ()) | {spec.time_column} | set(exclude) | set(later_times(db, spec, cutoff))
    if not keep_foreign_keys:
        excluded |= foreign
    numeric, categorical = [], []
    for column, dtype in db.columns(table).items():
        kind = spec.column_types.get(column)
        if column in excluded or kind in ("ignore", "timestamp", "multicategorical"):
            continue
        family = type_family(dtype)
        if kind == "numerical" or (kind is None and column not in foreign and family in NUMERIC_FAMILIES):
            numeric.append(column)
        elif kind in ("categorical", "text") or column in foreign or family == "string":
            categorical.append(column)
    return Roles(tuple(numeric), tuple(categorical))
