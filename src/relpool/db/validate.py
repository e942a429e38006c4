"""Checks on a resolved schema against the data: what is wrong, how badly, and whether it is fatal.

Errors make the database unusable (a key that is not unique, a foreign key between incompatible
types, a time column with no parsable value); warnings are reported and worked around (dangling
foreign keys are dropped as edges, rows without a time are never visible, times far outside the
rest are left out of the range cutoffs are chosen in), and so is what inference could not do
(a table's intended key has duplicates, so its children are not linked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import networkx as nx

from relpool.db.database import Database
from relpool.db.infer.naming import is_primary_key_name, names_for_key_of
from relpool.db.measure import MatchStats, TimeSpread, column_key_family, foreign_key_match, key_stats
from relpool.db.schema import Schema
from relpool.db.sql import quote, type_family
from relpool.db.times import can_hold_times, time_expression
from relpool.db.unread_times import how_to_convert, unread_kind, unread_time_columns


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning" | "info"
    table: str
    message: str
    # Changes which rows a model may see at a cutoff (unread, unparsable or far-out times): every
    # command that builds a task repeats it, since a silent one can let future rows in.
    visibility: bool = False


@dataclass
class Validation:
    problems: list[Problem]
    matches: dict[tuple[str, int], MatchStats]  # (table, index of the foreign key) -> match statistics

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


KeyFamilies = Callable[[str, str], str]  # (table, column) -> its key family, measured once per column


def validate(db: Database, schema: Schema, spreads: dict[str, TimeSpread | None]) -> Validation:
    """Every problem of ``schema`` over ``db``; ``spreads`` are the tables' time spreads, measured once."""
    problems = [Problem("warning", table, why) for table, why in db.notes + schema.ignored_declarations]
    matches: dict[tuple[str, int], MatchStats] = {}
    families: KeyFamilies = cache(lambda table, column: column_key_family(db, table, column))
    for name, table in schema.tables.items():
        rows = db.row_count(name)
        if rows == 0:
            problems.append(Problem("warning", name, f"table '{name}' is empty"))
        if table.primary_key:
            problems += _check_primary_key(db, name, table.primary_key)
        else:
            problems += _unlinked_key(db, schema, name)
        if table.time_column:
            problems += _check_time_column(db, name, table.time_column, rows, spreads[name], families)
        elif not table.evidence.get("time_column", "").startswith("given"):
            problems += _unread_times(db, name)
        for i, fk in enumerate(table.foreign_keys):
            type_problem = _check_types(db, name, fk, families)
            if type_problem:
                problems.append(type_problem)
                continue
            parent_key = schema.tables[fk.references_table].primary_key
            if tuple(fk.references_columns) != tuple(parent_key or ()):
                problems.append(
                    Problem(
                        "error",
                        name,
                        (
                            f"foreign key {fk.describe(name)} does not reference the primary key of "
                            f"'{fk.references_table}' ({', '.join(parent_key) if parent_key else 'it has none'})"
                        ),
                    )
                )
                continue
            stats = foreign_key_match(db, name, fk.columns, fk.references_table, fk.references_columns)
            matches[(name, i)] = stats
            problems += _dangling(name, fk, stats)
            if fk.references_table == name:
                problems.append(Problem("info", name, f"self-reference {fk.describe(name)}"))
    problems += _cycles(schema)
    return Validation(problems, matches)


def _check_primary_key(db: Database, table: str, key: tuple[str, ...]) -> list[Problem]:
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


def _check_time_column(
    db: Database, table: str, column: str, rows: int, spread: TimeSpread | None, families: KeyFamilies
) -> list[Problem]:
    dtype = db.columns(table)[column]
    if not can_hold_times(dtype):
        return [Problem("error", table, f"time column {table}.{column} has type {dtype}, which cannot hold times")]
    if type_family(dtype) == "float" and families(table, column) != "integer":
        return [
            Problem(
                "error",
                table,
                (
                    f"time column {table}.{column} has type {dtype}, which cannot hold times "
                    f"unless every value is a whole year"
                ),
            )
        ]
    expr = time_expression(column, dtype)
    filled, unparsable, example = db.execute(
        f"SELECT count({quote(column)}), count(*) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL), "
        f"min({quote(column)}) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL) FROM {quote(table)}"
    ).fetchone()
    out = []
    if filled and unparsable == filled:
        found = unread_kind(db, table, column)
        hint = ""
        if found:
            read_as = (
                "numbers are read as years (1..9998) or epoch seconds/milliseconds (1973..2096)"
                if type_family(dtype) in ("integer", "float")
                else "text is read as a time only in ISO form (yyyy-mm-dd ...)"
            )
            hint = f"; the values look like {found[0]}, but {read_as}: {how_to_convert(found[0], column)}"
        out.append(
            Problem(
                "error", table, (f"time column {table}.{column}: no value parses as a time (e.g. {example!r}){hint}")
            )
        )
    elif unparsable:
        out.append(
            Problem(
                "warning",
                table,
                (
                    f"time column {table}.{column}: {unparsable:,} of {filled:,} values do not parse as times (e.g. {example!r}); "
                    f"those rows are never visible"
                ),
                visibility=True,
            )
        )
    if rows - filled:
        out.append(
            Problem(
                "warning",
                table,
                (
                    f"time column {table}.{column} is NULL in {rows - filled:,} of {rows:,} rows; those rows are never visible"
                ),
                visibility=True,
            )
        )
    if filled > unparsable:
        out += _out_of_range(table, column, spread)
    if type_family(dtype) == "string":
        out += _naive_among_offsets(db, table, column, expr)
    return out


def _unread_times(db: Database, table: str) -> list[Problem]:
    """A table left without a time column whose times are there, in a form that is not read as times."""
    return [
        Problem(
            "warning",
            table,
            (
                f"{table}.{column} looks like {kind} (e.g. {example!r}) but is not read as a time, so '{table}' has no "
                f"time column and all its rows are always visible: future rows become inputs; {how_to_convert(kind, column)}, "
                f"or give time_column: null for '{table}' in a schema file if its rows really are timeless"
            ),
            visibility=True,
        )
        for column, kind, example in unread_time_columns(db, table)
    ]


def _out_of_range(table: str, column: str, spread: TimeSpread) -> list[Problem]:
    if not spread.outside:
        return []
    shown = ", ".join(str(v) for v in spread.examples)
    return [
        Problem(
            "warning",
            table,
            (
                f"time column {table}.{column}: {spread.outside:,} of {spread.rows:,} times lie far outside the rest "
                f"(e.g. {shown}); cutoffs are chosen within {spread.span_text} only"
            ),
            visibility=True,
        )
    ]


# A clock time followed by Z, UTC/GMT or a numeric offset: '2020-01-01T10:00:00+02:00', '... 10:00Z'.
OFFSET_PATTERN = r"\d:\d\d(:\d\d(\.\d*)?)?\s*([zZ]|UTC|GMT|[+-]\d\d(:?\d\d)?)$"


def _naive_among_offsets(db: Database, table: str, column: str, expr: str) -> list[Problem]:
    """Text times where some carry a UTC offset and some do not: the naive ones are read as UTC."""
    has_offset = f"regexp_matches(trim({quote(column)}), '{OFFSET_PATTERN}')"
    with_offset, naive, example = db.execute(
        f"SELECT count(*) FILTER (WHERE {has_offset}), count(*) FILTER (WHERE NOT {has_offset}), "
        f"min({quote(column)}) FILTER (WHERE NOT {has_offset}) FROM {quote(table)} WHERE {expr} IS NOT NULL"
    ).fetchone()
    if not (with_offset and naive):
        return []
    return [
        Problem(
            "warning",
            table,
            (
                f"time column {table}.{column}: {naive:,} of {naive + with_offset:,} times have no UTC offset while the "
                f"others do (e.g. {example!r}); those are read as UTC"
            ),
            visibility=True,
        )
    ]


def _check_types(db: Database, table: str, fk, families: KeyFamilies) -> Problem | None:
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


def _unlinked_key(db: Database, schema: Schema, table: str) -> list[Problem]:
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


def _dangling(table: str, fk, stats: MatchStats) -> list[Problem]:
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


def show_value(values: tuple) -> str:
    """A key value as a user would type it: 'N3ALAA', or ('EWR', 2013-02-20 19:00:00+00:00) for composites."""
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values]
    return shown[0] if len(shown) == 1 else f"({', '.join(shown)})"


def _cycles(schema: Schema) -> list[Problem]:
    graph = nx.DiGraph()
    for name, table in schema.tables.items():
        for fk in table.foreign_keys:
            if fk.references_table != name:
                graph.add_edge(name, fk.references_table)
    cycles = []
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))  # start each cycle at its first table by name, so output is stable
        cycles.append(cycle[start:] + cycle[:start])
    return [
        Problem("warning", cycle[0], f"foreign-key cycle {' -> '.join(cycle + [cycle[0]])}") for cycle in sorted(cycles)
    ]
