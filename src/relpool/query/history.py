"""An entity's own past uses of the items a link-prediction target ranks, under the time rule.

``LIST_DISTINCT(flights.dest, 0, 30, days) FOR EACH planes.tailnum`` ranks airports; an airport the
plane flew to often, and lately, is the likeliest next one. The rows counted are the target's own
(its path and row filter), visible at the example's cutoff: time <= cutoff.
"""

from __future__ import annotations

from relpool.db.database import quote
from relpool.query.bind import BoundQuery


def past_uses_sql(bound: BoundQuery, examples: str, example_columns: str = "x.entity, x.cutoff") -> str:
    """SELECT <example_columns>, item, n (uses), last (newest use) per example and used item.

    ``examples`` is a relation (alias x) with ``entity`` and ``cutoff`` columns; every example with
    at least one visible use gets one row per item it used.
    """
    target = bound.aggregations[0]
    item = f"r.{quote(target.node.target.column)}"
    row_filter = f" AND ({target.row_filter_sql})" if target.row_filter_sql else ""
    return (f"SELECT {example_columns}, r.item, count(*) AS n, max(r.__t) AS last FROM {examples} x "
            f"JOIN (SELECT __entity, __t, {item} AS item FROM ({target.path.sql}) r "
            f"WHERE {item} IS NOT NULL{row_filter}) r "
            f"ON r.__entity = x.entity AND r.__t <= x.cutoff GROUP BY ALL")
