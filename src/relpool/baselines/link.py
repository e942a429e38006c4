"""Link prediction without a model: what a data scientist tries first.

Items are ranked by how often the entity used them in its visible history (most recent use breaking
ties), then by global popularity: how many rows named the item in the last window before the cutoff
(as long as the target window). ``personal=False`` ranks by popularity alone, which is all the entity
table's own columns can support. Both obey the time rule: only rows with time <= cutoff count.
"""

from __future__ import annotations

from relpool.autofeat.table import EXAMPLES
from relpool.db.database import Database
from relpool.query.bind import BoundQuery
from relpool.query.history import past_uses_sql, popular_items_sql


def rank_items(database: Database, bound: BoundQuery, k: int, personal: bool) -> list[list]:
    """The top ``k`` items for every registered example, in the examples' order."""
    sql = f"""
        WITH x AS (SELECT DISTINCT entity, cutoff FROM {EXAMPLES}),
        own AS (SELECT * FROM ({past_uses_sql(bound, "x")}) WHERE {"TRUE" if personal else "FALSE"}),
        popular AS ({popular_items_sql(bound, "x")}),
        candidates AS (
            SELECT entity, cutoff, item FROM own
            UNION
            SELECT x.entity, x.cutoff, p.item FROM x JOIN popular p ON p.cutoff = x.cutoff AND p.rank <= {k}),
        ranked AS (
            SELECT c.entity, c.cutoff,
                   list(c.item ORDER BY coalesce(o.n, 0) DESC, o.last DESC NULLS LAST, coalesce(p.n, 0) DESC, c.item)
                   AS items
            FROM candidates c
            LEFT JOIN own o ON o.entity = c.entity AND o.cutoff = c.cutoff AND o.item = c.item
            LEFT JOIN popular p ON p.cutoff = c.cutoff AND p.item = c.item
            GROUP BY c.entity, c.cutoff)
        SELECT ranked.items[1:{k}] FROM {EXAMPLES} e
        LEFT JOIN ranked ON ranked.entity = e.entity AND ranked.cutoff = e.cutoff ORDER BY e.__row"""
    return [list(items) if items is not None else [] for (items,) in database.execute(sql).fetchall()]
