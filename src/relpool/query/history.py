"""What the past says about the items a link-prediction target ranks, under the time rule.

``LIST_DISTINCT(flights.dest, 0, 30, days) FOR EACH planes.tailnum`` ranks airports. Two signals
carry most of the answer: the airports this plane flew to often and lately (its own uses), and the
airports everyone flew to in the last window (recent popularity, which moves with the seasons).
Both count the target's own rows (its path and row filter) visible at the cutoff: time <= cutoff.
"""

from __future__ import annotations

from relpool.db.sql import quote
from relpool.db.visibility import visible_sql
from relpool.query.bind import BoundQuery
from relpool.query.compile import INTERVAL


def item_rows_sql(bound: BoundQuery) -> str:
    """SELECT __entity, __t, item: every row of the target's path that names an item (alias r inside)."""
    target = bound.aggregations[0]
    item = f"r.{quote(target.node.target.column)}"
    row_filter = f" AND ({target.row_filter_sql})" if target.row_filter_sql else ""
    return f"SELECT __entity, __t, {item} AS item FROM ({target.path.sql}) r WHERE {item} IS NOT NULL{row_filter}"


def past_uses_sql(bound: BoundQuery, examples: str, example_columns: str = "x.entity, x.cutoff") -> str:
    """SELECT <example_columns>, item, n (uses), last (newest use) per example and used item.

    ``examples`` is a relation (alias x) with ``entity`` and ``cutoff`` columns; every example with
    at least one visible use gets one row per item it used.
    """
    return (
        f"SELECT {example_columns}, r.item, count(*) AS n, max(r.__t) AS last FROM {examples} x "
        f"JOIN ({item_rows_sql(bound)}) r ON r.__entity = x.entity AND {visible_sql('r.__t', 'x.cutoff')} GROUP BY ALL"
    )


def popular_items_sql(bound: BoundQuery, cutoffs: str) -> str:
    """SELECT cutoff, item, n, rank: how often each item was used in the window as long as the
    target's that ends at each cutoff of relation ``cutoffs`` (column ``cutoff``); rank 1 the most
    used, ties by item."""
    window = bound.target_window
    assert window is not None  # a ranking target aggregates over a window
    start, end, unit = window
    return (
        f"SELECT c.cutoff, r.item, count(*) AS n, "
        f"row_number() OVER (PARTITION BY c.cutoff ORDER BY count(*) DESC, r.item) AS rank "
        f"FROM (SELECT DISTINCT cutoff FROM {cutoffs}) c JOIN ({item_rows_sql(bound)}) r "
        f"ON {visible_sql('r.__t', 'c.cutoff')} AND r.__t > c.cutoff - {INTERVAL[unit]}({end - start}) GROUP BY c.cutoff, r.item"
    )
