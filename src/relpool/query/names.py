"""A query's names looked up in the schema: each table and column checked, or a RelpoolError with the query
shown and a caret under the name, and a closest-name hint.

Shared by the binder (bind.py) and the aggregation checks (aggregation.py), which both resolve names.
"""

from __future__ import annotations

from relpool.db.inspection import Inspection
from relpool.db.sql import type_family
from relpool.errors import RelpoolError
from relpool.query.ast import ColumnRef, Query
from relpool.query.parser import caret
from relpool.suggest import suggest

NUMERIC = ("integer", "float")  # the type families that are numbers


class Names:
    def __init__(self, query: Query, inspection: Inspection):
        self.query, self.db, self.schema = query, inspection.database, inspection.schema

    def fail(self, message: str, position: int) -> RelpoolError:
        return RelpoolError(f"{message}{caret(self.query.text, position)}")

    def table(self, name: str, position: int) -> str:
        if name not in self.schema.tables:
            raise self.fail(f"unknown table '{name}'{suggest(name, list(self.schema.tables))}", position)
        return name

    def column(self, ref: ColumnRef) -> str:
        """The column's type family, once its table and name are checked."""
        self.table(ref.table, ref.position)
        columns = list(self.db.columns(ref.table))
        if ref.column not in columns:
            raise self.fail(
                f"unknown column '{ref.column}' in table '{ref.table}'{suggest(ref.column, columns)}", ref.position
            )
        return type_family(self.db.columns(ref.table)[ref.column])
