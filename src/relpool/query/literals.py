"""Literals of the query language as SQL text, and the type family each one has."""

from __future__ import annotations

from relpool.db.sql import literal
from relpool.query.ast import Expr, Literal


def literal_sql(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return literal(value)
    return repr(value)


def literal_family(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "float" if isinstance(value, float) else "string"


def as_integer(node: Expr, sql: str) -> str:
    """A TRUE / FALSE literal as 1 / 0, to compare with an integer column holding booleans."""
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return "1" if node.value else "0"
    return sql
