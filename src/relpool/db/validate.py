"""Checks on a resolved schema against the data: what is wrong, how badly, and whether it is fatal.

Errors make the database unusable (a key that is not unique, a foreign key between incompatible
types, a time column with no parsable value); warnings are reported and worked around (dangling
foreign keys are dropped as edges, rows without a time are never visible, times far outside the
rest are left out of the range cutoffs are chosen in), and so is what inference could not do
(a table's intended key has duplicates, so its children are not linked). The checks are in key_checks.py
and time_checks.py; here they run over every table and foreign key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from relpool.db.database import Database
from relpool.db.key_checks import check_primary_key, check_types, cycles, dangling, unlinked_key
from relpool.db.measure import MatchStats, TimeSpread, column_key_family, foreign_key_match
from relpool.db.problem import KeyFamilies, Problem
from relpool.db.schema import Schema
from relpool.db.time_checks import check_time_column, unread_times


@dataclass
class Validation:
    problems: list[Problem]
    matches: dict[tuple[str, int], MatchStats]  # (table, index of the foreign key) -> match statistics

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


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
            problems += check_primary_key(db, name, table.primary_key)
        else:
            problems += unlinked_key(db, schema, name)
        if table.time_column:
            problems += check_time_column(db, name, table.time_column, rows, spreads[name], families)
        elif not table.evidence.get("time_column", "").startswith("given"):
            problems += unread_times(db, name)
        for i, fk in enumerate(table.foreign_keys):
            type_problem = check_types(db, name, fk, families)
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
            problems += dangling(name, fk, stats)
            if fk.references_table == name:
                problems.append(Problem("info", name, f"self-reference {fk.describe(name)}"))
    problems += cycles(schema)
    return Validation(problems, matches)
