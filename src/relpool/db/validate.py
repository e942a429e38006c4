"""Checks on a resolved schema against the data: what is wrong, how badly, and whether it is fatal.

Errors make the database unusable (a key that is not unique, a foreign key between incompatible
types, a time column with no parsable value); warnings are reported and worked around (dangling
foreign keys are dropped as edges, rows without a time are never visible).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from relpool.db.database import Database, quote, type_family
from relpool.db.measure import MatchStats, foreign_key_match, key_stats
from relpool.db.schema import Schema
from relpool.db.times import can_hold_times, time_expression


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning" | "info"
    table: str
    message: str


@dataclass
class Validation:
    problems: list[Problem]
    matches: dict[tuple[str, int], MatchStats]  # (table, index of the foreign key) -> match statistics

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def validate(db: Database, schema: Schema) -> Validation:
    problems: list[Problem] = []
    matches: dict[tuple[str, int], MatchStats] = {}
    for name, table in schema.tables.items():
        rows = db.row_count(name)
        if rows == 0:
            problems.append(Problem("warning", name, f"table '{name}' is empty"))
        if table.primary_key:
            problems += _check_primary_key(db, name, table.primary_key)
        if table.time_column:
            problems += _check_time_column(db, name, table.time_column, rows)
        for i, fk in enumerate(table.foreign_keys):
            type_problem = _check_types(db, name, fk)
            if type_problem:
                problems.append(type_problem)
                continue
            parent_key = schema.tables[fk.references_table].primary_key
            if tuple(fk.references_columns) != tuple(parent_key or ()):
                problems.append(Problem("error", name, (
                    f"foreign key {fk.describe(name)} does not reference the primary key of "
                    f"'{fk.references_table}' ({', '.join(parent_key) if parent_key else 'it has none'})")))
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
        out.append(Problem("error", table, f"primary key {table}.{label} is NULL in {stats.null_rows:,} of {stats.rows:,} rows"))
    if stats.duplicate_rows:
        out.append(Problem("error", table, (
            f"primary key {table}.{label} is not unique: {stats.duplicate_rows:,} duplicate rows "
            f"(e.g. {show_value(stats.example_duplicate)})")))
    return out


def _check_time_column(db: Database, table: str, column: str, rows: int) -> list[Problem]:
    dtype = db.columns(table)[column]
    if not can_hold_times(dtype):
        return [Problem("error", table, f"time column {table}.{column} has type {dtype}, which cannot hold times")]
    expr = time_expression(column, dtype)
    filled, unparsable, example = db.con.execute(
        f"SELECT count({quote(column)}), count(*) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL), "
        f"min({quote(column)}) FILTER (WHERE {quote(column)} IS NOT NULL AND {expr} IS NULL) FROM {quote(table)}"
    ).fetchone()
    out = []
    if filled and unparsable == filled:
        out.append(Problem("error", table, (
            f"time column {table}.{column}: no value parses as a time (e.g. {example!r})")))
    elif unparsable:
        out.append(Problem("warning", table, (
            f"time column {table}.{column}: {unparsable:,} of {filled:,} values do not parse as times (e.g. {example!r}); "
            f"those rows are never visible")))
    if rows - filled:
        out.append(Problem("warning", table, (
            f"time column {table}.{column} is NULL in {rows - filled:,} of {rows:,} rows; those rows are never visible")))
    return out


def _check_types(db: Database, table: str, fk) -> Problem | None:
    child, parent = db.columns(table), db.columns(fk.references_table)
    for a, b in zip(fk.columns, fk.references_columns):
        if type_family(child[a]) != type_family(parent[b]):
            return Problem("error", table, (
                f"foreign key {fk.describe(table)}: type mismatch, {table}.{a} is {child[a]} "
                f"but {fk.references_table}.{b} is {parent[b]}"))
    return None


def _dangling(table: str, fk, stats: MatchStats) -> list[Problem]:
    if not stats.dangling_rows:
        return []
    filled = stats.rows - stats.null_rows
    return [Problem("warning", table, (
        f"dangling foreign key {fk.describe(table)}: {stats.dangling_rows:,} of {filled:,} rows "
        f"({stats.dangling_fraction:.1%}) point at no row (e.g. {show_value(stats.example_dangling)}); dropped as edges"))]


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
    return [Problem("warning", cycle[0], f"foreign-key cycle {' -> '.join(cycle + [cycle[0]])}")
            for cycle in sorted(cycles)]
