"""Checks of keys: primary keys with NULLs or duplicates, foreign keys of mismatched types or pointing at
no row, keys inference could not take, and foreign-key cycles.

A broken key makes the database unusable or silently drops its links, so these say which and how badly.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import is_primary_key_name, names_for_key_of
from relpool.db.measure import MatchStats, key_stats
from relpool.db.problem import KeyFamilies, Problem
from relpool.db.schema import Schema
from relpool.db.sql import type_family


def check_primary_key(db: Database, table: str, key: tuple[str, ...]) -> list[Problem]:
    stats = key_stats(db, table, key)
    label = key[0] if len(key) == 1 else f"({', '.join(key)})"
    out = []
    if stats.null_rows:
        out.append(
            Problem(
                "error", table, f"primary key {table}.{label} is NULL in {stats.null_rows:,} of {stats.rows:,} rows"
            )
        )
    if stats.duplicate_rows:
        out.append(
            Problem(
                "error",
                table,
                (
                    f"primary key {table}.{label} is not unique: {stats.duplicate_rows:,} duplicate rows "
                    f"(e.g. {show_value(stats.example_duplicate)})"
                ),
            )
        )
    return out


def check_types(db: Database, table: str, fk, families: KeyFamilies) -> Problem | None:
    child, parent = db.columns(table), db.columns(fk.references_table)
    for a, b in zip(fk.columns, fk.references_columns):
        # Integral floats join integers: pandas writes integers with NULLs as floats.
        if families(table, a) != families(fk.references_table, b):
            return Problem(
                "error",
                table,
                (
                    f"foreign key {fk.describe(table)}: type mismatch, {table}.{a} is {child[a]} "
                    f"but {fk.references_table}.{b} is {parent[b]}"
                ),
            )
    return None


NEAR_UNIQUE = 0.8  # share of a column's values that are distinct for it to look like a key with duplicates


def unlinked_key(db: Database, schema: Schema, table: str) -> list[Problem]:
    """A column named like the table's key that other tables refer to by name, but with duplicates or NULLs.

    Inference then finds no primary key, and every child's foreign key to it is silently missing.
    """
    if schema.tables[table].evidence.get("primary_key", "").startswith("given"):
        return []  # the user or the source decided there is none
    columns = db.columns(table)
    out = []
    for column, dtype in columns.items():
        if not is_primary_key_name(table, column) or type_family(dtype) not in ("integer", "string", "float"):
            continue
        names = names_for_key_of(table, column)
        children = [
            f"{child}.{c}"
            for child, s in schema.tables.items()
            if child != table
            for c in db.columns(child)
            if c.lower() in names and not any(fk.references_table == table and c in fk.columns for fk in s.foreign_keys)
        ]
        if not children:
            continue
        stats = key_stats(db, table, (column,))
        filled = stats.rows - stats.null_rows
        distinct = filled - stats.duplicate_rows
        if not filled or distinct < NEAR_UNIQUE * filled or not (stats.duplicate_rows or stats.null_rows):
            continue
        flaws = []
        if stats.duplicate_rows:
            flaws.append(f"{stats.duplicate_rows:,} duplicate rows (e.g. {show_value(stats.example_duplicate)})")
        if stats.null_rows:
            flaws.append(f"NULL in {stats.null_rows:,} rows")
        shown = ", ".join(children[:5]) + (", ..." if len(children) > 5 else "")
        out.append(
            Problem(
                "warning",
                table,
                (
                    f"{table}.{column} looks like the key of '{table}' but has {' and '.join(flaws)}, so '{table}' has no "
                    f"primary key and foreign keys from {shown} could not be linked; remove the duplicates, or give "
                    f"primary_key and foreign_keys in a schema file (relpool inspect --write-schema writes one to edit)"
                ),
            )
        )
    return out


def dangling(table: str, fk, stats: MatchStats) -> list[Problem]:
    if not stats.dangling_rows:
        return []
    filled = stats.rows - stats.null_rows
    return [
        Problem(
            "warning",
            table,
            (
                f"dangling foreign key {fk.describe(table)}: {stats.dangling_rows:,} of {filled:,} rows "
                f"({stats.dangling_fraction:.1%}) point at no row (e.g. {show_value(stats.example_dangling)}); dropped as edges"
            ),
        )
    ]


def show_value(values: tuple | None) -> str:
    """A key value as a user would type it: 'N3ALAA', or ('EWR', 2013-02-20 19:00:00+00:00) for composites."""
    assert values is not None  # shown only when a duplicate or dangling row exists
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values]
    return shown[0] if len(shown) == 1 else f"({', '.join(shown)})"


def cycles(schema: Schema) -> list[Problem]:
    edges = {(name, fk.references_table) for name, t in schema.tables.items() for fk in t.foreign_keys}
    edges = {(a, b) for a, b in edges if a != b}
    if _acyclic(edges):  # the usual case, decided without importing networkx (0.3-0.9 s)
        return []
    import networkx as nx

    graph = nx.DiGraph(sorted(edges))
    cycles = []
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))  # start each cycle at its first table by name, so output is stable
        cycles.append(cycle[start:] + cycle[:start])
    return [
        Problem("warning", cycle[0], f"foreign-key cycle {' -> '.join(cycle + [cycle[0]])}") for cycle in sorted(cycles)
    ]


def _acyclic(edges: set[tuple[str, str]]) -> bool:
    """Whether the directed graph of ``edges`` has no cycle: tables with no foreign key left are peeled off."""
    left = set(edges)
    while left:
        sources = {a for a, _ in left}
        peel = {(a, b) for a, b in left if b not in sources}  # edges into a table that references nothing left
        if not peel:
            return False
        left -= peel
    return True
