"""Primary keys: a unique, non-null column (or pair of columns) that is named or placed like a key."""

from __future__ import annotations

from itertools import combinations

from relpool.db.database import Database
from relpool.db.infer.naming import is_primary_key_name, is_year_name, looks_like_key, time_name_score
from relpool.db.infer.profile import TableProfile
from relpool.db.measure import INTEGRAL_FLOAT, is_unique_key

KEY_FAMILIES = ("integer", "string")


def infer_single_key(db: Database, profile: TableProfile) -> tuple[tuple[str, ...] | None, str]:
    """The best-named unique non-null integer/string column, if any has a key-like name or comes first."""
    rows = profile.rows
    if rows == 0:
        return None, "the table is empty"
    candidates = []
    for col in profile.columns.values():
        if col.key_family not in KEY_FAMILIES or col.non_null < rows or col.distinct < 0.9 * rows:
            continue
        hints = []
        if is_primary_key_name(profile.name, col.name):
            hints.append(f"named like the key of '{profile.name}'")
        elif looks_like_key(col.name):
            hints.append("named like a key")
        if col.position == 0:
            hints.append("first column")
        if hints:
            rank = -len(hints) - (2 if "named like the key" in hints[0] else 0)
            if col.family == "float":
                hints.append(INTEGRAL_FLOAT)
            candidates.append((rank, col.position, col.name, hints))
    for _, _, name, hints in sorted(candidates):
        if is_unique_key(db, profile.name, (name,)):
            return (name,), f"unique and non-null in all {rows:,} rows; {', '.join(hints)}"
    return None, "no single column is unique, non-null and named or placed like a key"


def infer_composite_key(
    db: Database,
    profile: TableProfile,
    foreign_key_columns: list[str],
    time_column: str | None,
    profiles: dict[str, TableProfile] | None = None,
) -> tuple[tuple[str, ...] | None, str]:
    """A unique pair of columns that mean something relationally (e.g. weather(origin, time_hour)).

    Tried: pairs among the table's foreign-key columns and its time column, and pairs other tables
    carry by name (five tables with (year, store_id) say the pair is how rows are referred to) when
    one of its columns is relational or named like a key. Pairs more tables carry go first, then
    pairs with the time column (an entity observed once per time step); the first unique one wins.
    A pair that is unique by accident (two measurements) is never taken for a key.
    """
    rows = profile.rows
    complete = [
        c
        for c in profile.columns.values()
        if rows and c.non_null == rows and c.key_family in ("integer", "string", "time")
    ]
    related = [c for c in dict.fromkeys(foreign_key_columns) if profile.columns[c].non_null == rows]
    if time_column and profile.columns[time_column].non_null == rows and time_column not in related:
        related.append(time_column)
    pool = related + [c.name for c in complete if c.name not in related]
    others = [p for name, p in (profiles or {}).items() if name != profile.name]
    candidates = []
    for order, pair in enumerate(combinations(pool, 2)):
        a, b = (profile.columns[c] for c in pair)
        if a.distinct * b.distinct < 0.9 * rows:
            continue  # too few value combinations to be unique: no scan needed
        carriers = [p.name for p in others if _carries(p, profile, pair)]
        relational = [c in related for c in pair]
        if all(relational) or (carriers and any(relational[i] or _key_like(pair[i]) for i in (0, 1))):
            candidates.append(((-len(carriers), time_column not in pair, order), pair, carriers, all(relational)))
    extra_scans = 0
    for _, pair, carriers, relational_pair in sorted(candidates):
        if not relational_pair:
            extra_scans += 1
            if extra_scans > MAX_CARRIED_PAIRS:
                continue
        if is_unique_key(db, profile.name, pair):
            roles = [_role(c, foreign_key_columns, time_column) for c in pair]
            evidence = (
                f"({', '.join(pair)}) unique and non-null in all {rows:,} rows; "
                f"{pair[0]} is {roles[0]}, {pair[1]} is {roles[1]}"
            )
            if carriers:
                shown = ", ".join(carriers[:5]) + (", ..." if len(carriers) > 5 else "")
                evidence += f"; {len(carriers)} other table(s) carry the pair: {shown}"
            return pair, evidence
    return None, "no column or pair of foreign-key/time columns is unique and non-null"


MAX_CARRIED_PAIRS = 16  # uniqueness checks of pairs only other tables vouch for, each one scan


def _carries(other: TableProfile, table: TableProfile, pair: tuple[str, str]) -> bool:
    return all(c in other.columns and other.columns[c].key_family == table.columns[c].key_family for c in pair)


def _key_like(column: str) -> bool:
    return looks_like_key(column) or is_year_name(column) or time_name_score(column) > 0


def _role(column: str, foreign_key_columns: list[str], time_column: str | None) -> str:
    if column == time_column:
        return "the time column"
    if column in foreign_key_columns:
        return "a foreign key"
    return "named like a key" if _key_like(column) else "a column"
