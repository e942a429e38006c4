"""Which columns of a table a baseline may use, and as what: the encoders' column types.

The baselines and the GNN see the same columns typed the same way
(:func:`relpool.encode.stypes.infer_column_types`, with the GNN's stats cutoff, the first
validation cutoff): one typing decides which columns are inputs and what they are; each model
then represents them its own way. Numerical columns are numeric features, text columns categorical
ones; categorical columns are categories, except codes stored as numbers (``quantity`` 1..4,
``engines``), which stay numbers: a tree splits an ordered code as well as a category and its
aggregates (mean quantity) keep their meaning. Timestamps (the row's age is a feature of its own),
multicategorical lists and ignored columns (keys, the time column, later times, identifiers,
constants) are none. A foreign key other than the one back to the entity is a category here,
because a LightGBM has no edges to follow.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from relpool.autofeat.memo import remembered
from relpool.db.database import Database
from relpool.db.schema import Schema
from relpool.db.sql import type_family
from relpool.encode.rows import Cutoff
from relpool.encode.stypes import infer_column_types

ROLES = {"numerical": "numeric", "categorical": "categorical", "text": "categorical"}
NUMBER_FAMILIES = ("integer", "float", "boolean")


@dataclass(frozen=True)
class Roles:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]


def column_roles(
    db: Database,
    schema: Schema,
    table: str,
    exclude: Collection[str] = frozenset(),
    keep_foreign_keys: bool = True,
    cutoff: Cutoff = None,
) -> Roles:
    """Numeric and categorical columns of ``table``, as the encoders type them, less ``exclude``.

    ``cutoff``: the first validation cutoff, the encoders' stats cutoff. Computed once per store.
    """
    spec = repr(schema.tables[table])  # the table as this schema declares it (keys, time, column types)
    key = ("column_roles", spec, frozenset(exclude), keep_foreign_keys, cutoff)
    return remembered(db, key, lambda: _roles(db, schema, table, exclude, keep_foreign_keys, cutoff))


def _roles(
    db: Database, schema: Schema, table: str, exclude: Collection[str], keep_foreign_keys: bool, cutoff: Cutoff
) -> Roles:
    spec = schema.tables[table]
    own = {*(spec.primary_key or ()), spec.time_column}
    foreign = {c for fk in spec.foreign_keys for c in fk.columns} - own if keep_foreign_keys else set()
    roles: dict[str, list[str]] = {"numeric": [], "categorical": []}
    for name, column in infer_column_types(db, spec, cutoff).columns.items():
        if name in exclude:
            continue
        if name in foreign and name not in spec.column_types:
            roles["categorical"].append(name)
        elif column.semantic == "categorical" and type_family(column.dtype) in NUMBER_FAMILIES:
            roles["numeric"].append(name)
        elif column.semantic in ROLES:
            roles[ROLES[column.semantic]].append(name)
    return Roles(tuple(roles["numeric"]), tuple(roles["categorical"]))
