"""The task kind a query's target makes, from the type family of its value.

The kinds say which families they predict (boolean -> binary, numbers -> regression, text ->
multiclass, a LIST_DISTINCT list -> link prediction); what is checked here is the query's side:
RANK TOP k goes with a list, and a ranked list names the foreign key whose rows are the items.
"""

from __future__ import annotations

from collections.abc import Callable

from relpool.db.schema import Schema
from relpool.errors import RelpoolError
from relpool.query.ast import Aggregation, Query, aggregations_in
from relpool.tasks import TaskKind, kind_for_family

Fail = Callable[[str, int], RelpoolError]  # a message and the query position its caret points at


def infer_kind(query: Query, schema: Schema, family: str, fail: Fail) -> tuple[TaskKind, str | None]:
    """The kind and, for a ranking kind, the table whose rows are ranked."""
    if query.rank_top is not None and family != "list":
        raise fail("RANK TOP k needs a LIST_DISTINCT(...) target", 8)
    if family == "list" and query.rank_top is None:
        raise fail("a LIST_DISTINCT target needs RANK TOP k (e.g. RANK TOP 10)", 8)
    kind = kind_for_family(family)
    if kind is None:
        hint = "; predict a count, a sum or a condition on it instead" if family == "time" else ""
        raise fail(f"cannot predict a value of type {family}{hint}", 8)
    item_table = _item_table(schema, aggregations_in(query.target)[0], fail) if kind.ranks_items else None
    return kind, item_table


def _item_table(schema: Schema, agg: Aggregation, fail: Fail) -> str:
    for fk in schema.tables[agg.target.table].foreign_keys:
        if fk.columns == (agg.target.column,):
            return fk.references_table
    raise fail(
        f"LIST_DISTINCT ranks the rows a foreign key points at, and {agg.target} is not a foreign key",
        agg.target.position,
    )
