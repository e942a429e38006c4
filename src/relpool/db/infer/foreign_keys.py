"""Foreign keys: a column whose values are found among another table's key values.

A name match (``flights.tailnum`` -> ``planes.tailnum``, ``order.customer_id`` -> ``customers.id``)
needs half of the rows to find their parent; without one (``flights.dest`` -> ``airports.faa``)
the column must be text and 90% of its rows must match, because small integers are contained in
every integer key by chance.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import names_for_key_of
from relpool.db.infer.profile import ColumnProfile, TableProfile
from relpool.db.measure import INTEGRAL_FLOAT, foreign_key_match
from relpool.db.schema import ForeignKey

MIN_MATCH_NAMED = 0.5
MIN_MATCH_UNNAMED = 0.9


def infer_single_foreign_keys(
    db: Database, child: TableProfile, keys: dict[str, tuple[str, ...]], profiles: dict[str, TableProfile]
) -> list[ForeignKey]:
    """For each column, the best parent among tables with a single-column key (never the table itself)."""
    own_key = keys.get(child.name)
    found = []
    for col in child.columns.values():
        if col.key_family not in ("integer", "string") or col.non_null == 0:
            continue
        best = None
        for parent, key in keys.items():
            if parent == child.name or len(key) != 1:
                continue
            parent_col = profiles[parent].columns[key[0]]
            if parent_col.key_family != col.key_family:
                continue
            named = col.name.lower() in names_for_key_of(parent, key[0])
            if not named and (col.key_family != "string" or col.distinct < 2 or own_key == (col.name,)):
                continue
            stats = foreign_key_match(db, child.name, (col.name,), parent, key)
            needed = MIN_MATCH_NAMED if named else MIN_MATCH_UNNAMED
            if stats.matched_fraction < needed:
                continue
            rank = (named, stats.matched_fraction)
            if best is None or rank > best[0]:
                how = "name matches the key" if named else "values found in the key"
                evidence = f"{how} {parent}.{key[0]}; {stats.matched_fraction:.1%} of non-null rows match"
                evidence += _float_note([(child.name, col), (parent, parent_col)])
                best = (rank, ForeignKey((col.name,), parent, key, evidence))
        if best:
            found.append(best[1])
    return found


def infer_composite_foreign_keys(
    db: Database, child: TableProfile, keys: dict[str, tuple[str, ...]], profiles: dict[str, TableProfile]
) -> list[ForeignKey]:
    """Columns named like every column of another table's composite key, e.g. flights(origin, time_hour).

    The child's columns may come in any order. Tables keyed by the same columns (one-to-one
    extensions of each other) all point at the largest of them, never at each other both ways.
    """
    found = []
    own = set(keys.get(child.name) or ())
    for parent, key in keys.items():
        if parent == child.name or len(key) < 2:
            continue
        if own == set(key) and _hub(key, keys, profiles) != parent:
            continue
        if not all(
            c in child.columns and child.columns[c].key_family == profiles[parent].columns[c].key_family for c in key
        ):
            continue
        stats = foreign_key_match(db, child.name, key, parent, key)
        if stats.matched_fraction >= MIN_MATCH_NAMED:
            evidence = (
                f"column names match the key {parent}({', '.join(key)}); "
                f"{stats.matched_fraction:.1%} of non-null rows match"
            )
            evidence += _float_note(
                [(child.name, child.columns[c]) for c in key] + [(parent, profiles[parent].columns[c]) for c in key]
            )
            found.append(ForeignKey(key, parent, key, evidence))
    return found


def _hub(key: tuple[str, ...], keys: dict[str, tuple[str, ...]], profiles: dict[str, TableProfile]) -> str | None:
    """Of the tables keyed by exactly these columns, the one with the most rows (then the first by name)."""
    same = [t for t, k in keys.items() if set(k) == set(key)]
    return min(same, key=lambda t: (-profiles[t].rows, t)) if same else None


def _float_note(columns: list[tuple[str, ColumnProfile]]) -> str:
    floats = [f"{table}.{col.name}" for table, col in columns if col.family == "float"]
    return f"; {', '.join(floats)} {'is an' if len(floats) == 1 else 'are'} {INTEGRAL_FLOAT}" if floats else ""
