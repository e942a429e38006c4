"""Foreign keys: a column whose values are found among another table's key values.

A name match (``flights.tailnum`` -> ``planes.tailnum``, ``order.customer_id`` -> ``customers.id``)
needs half of the rows to find their parent; without one (``flights.dest`` -> ``airports.faa``)
the column must be text and 90% of its rows must match, because small integers are contained in
every integer key by chance.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import names_for_key_of
from relpool.db.infer.profile import TableProfile
from relpool.db.measure import foreign_key_match
from relpool.db.schema import ForeignKey

MIN_MATCH_NAMED = 0.5
MIN_MATCH_UNNAMED = 0.9


def infer_single_foreign_keys(db: Database, child: TableProfile, keys: dict[str, tuple[str, ...]],
                              profiles: dict[str, TableProfile]) -> list[ForeignKey]:
    """For each column, the best parent among tables with a single-column key (never the table itself)."""
    own_key = keys.get(child.name)
    found = []
    for col in child.columns.values():
        if col.family not in ("integer", "string") or col.non_null == 0:
            continue
        best = None
        for parent, key in keys.items():
            if parent == child.name or len(key) != 1:
                continue
            parent_col = profiles[parent].columns[key[0]]
            if parent_col.family != col.family:
                continue
            named = col.name.lower() in names_for_key_of(parent, key[0])
            if not named and (col.family != "string" or col.approx_distinct < 2 or own_key == (col.name,)):
                continue
            stats = foreign_key_match(db, child.name, (col.name,), parent, key)
            needed = MIN_MATCH_NAMED if named else MIN_MATCH_UNNAMED
            if stats.matched_fraction < needed:
                continue
            rank = (named, stats.matched_fraction)
            if best is None or rank > best[0]:
                how = "name matches the key" if named else "values found in the key"
                evidence = f"{how} {parent}.{key[0]}; {stats.matched_fraction:.1%} of non-null rows match"
                best = (rank, ForeignKey((col.name,), parent, key, evidence))
        if best:
            found.append(best[1])
    return found


def infer_composite_foreign_keys(db: Database, child: TableProfile, keys: dict[str, tuple[str, ...]],
                                 profiles: dict[str, TableProfile]) -> list[ForeignKey]:
    """Columns named like every column of another table's composite key, e.g. flights(origin, time_hour)."""
    found = []
    for parent, key in keys.items():
        if parent == child.name or len(key) < 2:
            continue
        if not all(c in child.columns and child.columns[c].family == profiles[parent].columns[c].family for c in key):
            continue
        stats = foreign_key_match(db, child.name, key, parent, key)
        if stats.matched_fraction >= MIN_MATCH_NAMED:
            evidence = (f"column names match the key {parent}({', '.join(key)}); "
                        f"{stats.matched_fraction:.1%} of non-null rows match")
            found.append(ForeignKey(key, parent, key, evidence))
    return found
