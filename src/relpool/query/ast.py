"""The syntax tree of a predictive query. Plain frozen dataclasses; positions kept for error carets."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = ("hours", "days", "weeks", "months", "years")
AGGREGATIONS = ("SUM", "AVG", "MIN", "MAX", "COUNT", "COUNT_DISTINCT", "FIRST", "LAST", "LIST_DISTINCT")


@dataclass(frozen=True)
class ColumnRef:
    table: str
    column: str  # "*" for every row (COUNT(flights.*))
    position: int = 0

    def __str__(self) -> str:
        column = self.column if self.column == "*" else written_name(self.column)
        return f"{written_name(self.table)}.{column}"


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED = ("predict", "for", "each", "where", "via", "rank", "top", "and", "or", "not", "true", "false", "null")


def written_name(name: str) -> str:
    """A table or column name as a query must write it: double-quoted unless it is a plain identifier."""
    if _PLAIN_NAME.fullmatch(name) and name.lower() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Literal:
    value: object  # int, float, str, bool or None


@dataclass(frozen=True)
class Aggregation:
    function: str
    target: ColumnRef
    row_filter: Expr | None
    start: int
    end: int
    unit: str
    position: int = 0
    via: ColumnRef | None = None  # the foreign key to follow when the table reaches the entity in several ways

    def __str__(self) -> str:
        via = f" VIA {self.via}" if self.via else ""
        return f"{self.function}({self.target}{via}, {self.start}, {self.end}, {self.unit})"


@dataclass(frozen=True)
class Comparison:
    left: Expr
    op: str  # = != < <= > >=
    right: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = ColumnRef | Literal | Aggregation | Comparison | BoolOp | Not


@dataclass(frozen=True)
class Query:
    target: Expr
    entity: ColumnRef
    entity_filter: Expr | None = None
    rank_top: int | None = None
    text: str = ""


def aggregations_in(expr: Expr | None) -> list[Aggregation]:
    """Every aggregation in an expression, left to right."""
    if expr is None or isinstance(expr, (ColumnRef, Literal)):
        return []
    if isinstance(expr, Aggregation):
        return [expr]
    if isinstance(expr, Comparison):
        return aggregations_in(expr.left) + aggregations_in(expr.right)
    if isinstance(expr, BoolOp):
        return [a for item in expr.items for a in aggregations_in(item)]
    return aggregations_in(expr.item)


def column_refs_in(expr: Expr | None) -> list[ColumnRef]:
    """Column references outside aggregations (static columns of the entity table)."""
    if isinstance(expr, ColumnRef):
        return [expr]
    if isinstance(expr, Comparison):
        return column_refs_in(expr.left) + column_refs_in(expr.right)
    if isinstance(expr, BoolOp):
        return [c for item in expr.items for c in column_refs_in(item)]
    if isinstance(expr, Not):
        return column_refs_in(expr.item)
    return []
