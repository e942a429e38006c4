"""Primary keys: a unique, non-null column (or pair of columns) that is named or placed like a key."""

from __future__ import annotations

from itertools import combinations

from relpool.db.database import Database
from relpool.db.infer.naming import is_primary_key_name, looks_like_key
from relpool.db.infer.profile import TableProfile
from relpool.db.measure import is_unique_key

KEY_FAMILIES = ("integer", "string")


def infer_single_key(db: Database, profile: TableProfile) -> tuple[tuple[str, ...] | None, str]:
    """The best-named unique non-null integer/string column, if any has a key-like name or comes first."""
    rows = profile.rows
    if rows == 0:
        return None, "the table is empty"
    candidates = []
    for col in profile.columns.values():
        if col.family not in KEY_FAMILIES or col.non_null < rows or col.approx_distinct < 0.9 * rows:
            continue
        hints = []
        if is_primary_key_name(profile.name, col.name):
            hints.append(f"named like the key of '{profile.name}'")
        elif looks_like_key(col.name):
            hints.append("named like a key")
        if col.position == 0:
            hints.append("first column")
        if hints:
            candidates.append((-len(hints) - (2 if "named like the key" in hints[0] else 0), col.position, col.name, hints))
    for _, _, name, hints in sorted(candidates):
        if is_unique_key(db, profile.name, (name,)):
            return (name,), f"unique and non-null in all {rows:,} rows; {', '.join(hints)}"
    return None, "no single column is unique, non-null and named or placed like a key"


def infer_composite_key(db: Database, profile: TableProfile, foreign_key_columns: list[str],
                        time_column: str | None) -> tuple[tuple[str, ...] | None, str]:
    """A unique pair among the table's foreign-key columns and its time column (e.g. weather(origin, time_hour)).

    Only columns that already mean something relationally are tried, so a pair that is unique by
    accident (two measurements) is never taken for a key.
    """
    pool = [c for c in dict.fromkeys(foreign_key_columns) if profile.columns[c].non_null == profile.rows]
    if time_column and profile.columns[time_column].non_null == profile.rows:
        pool.append(time_column)
    # Pairs with the time column first: an entity observed once per time step is the common case.
    pairs = sorted(combinations(pool, 2), key=lambda pair: time_column not in pair)
    for pair in pairs:
        if is_unique_key(db, profile.name, pair):
            roles = ["the time column" if c == time_column else "a foreign key" for c in pair]
            return pair, (f"({', '.join(pair)}) unique and non-null in all {profile.rows:,} rows; "
                          f"{pair[0]} is {roles[0]}, {pair[1]} is {roles[1]}")
    return None, "no column or pair of foreign-key/time columns is unique and non-null"
