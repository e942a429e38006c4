"""How rows of an aggregated table reach an entity: one or two foreign-key hops.

Each path becomes a SQL relation with the entity's key as ``__entity``, the row's time as ``__t``
and the aggregated table's own columns, so aggregation and windows are the same for every shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database
from relpool.db.schema import ForeignKey, Schema
from relpool.db.sql import quote
from relpool.db.visibility import table_time_sql


@dataclass(frozen=True)
class Path:
    table: str  # the aggregated table
    description: str  # e.g. "flights.tailnum -> planes.tailnum"
    sql: str  # SELECT __entity, __t, <table's columns>
    has_time: bool
    keys: tuple[str, ...]  # the foreign-key columns followed, as table.column: what VIA may name


def find_paths(db: Database, schema: Schema, entity: str, table: str) -> list[Path]:
    """All paths from ``table`` to ``entity``, shortest first, in schema order."""
    one_hop = [_direct(db, schema, table, fk) for fk in _single_fks(schema, table, entity)]
    if one_hop:
        return one_hop
    paths = []
    for middle in schema.tables:
        if middle in (entity, table):
            continue
        for to_entity in _single_fks(schema, middle, entity):
            # table -> middle -> entity: e.g. order_items -> orders -> customers
            for down in _single_fks(schema, table, middle):
                paths.append(_two_hops_down(db, schema, table, down, middle, to_entity))
            # middle links entity and table: e.g. customers <- transactions -> products
            for link in _single_fks(schema, middle, table):
                paths.append(_through_link(db, schema, table, middle, to_entity, link))
    return paths


def _single_fks(schema: Schema, child: str, parent: str) -> list[ForeignKey]:
    return [fk for fk in schema.tables[child].foreign_keys if fk.references_table == parent and len(fk.columns) == 1]


def _time(db: Database, schema: Schema, table: str, alias: str) -> str | None:
    return table_time_sql(db, schema.tables[table], alias)


def _columns(db: Database, table: str, alias: str) -> str:
    return ", ".join(f"{alias}.{quote(c)}" for c in db.columns(table))


def _direct(db: Database, schema: Schema, table: str, fk: ForeignKey) -> Path:
    t = _time(db, schema, table, "r")
    sql = (
        f"SELECT r.{quote(fk.columns[0])} AS __entity, {t or 'NULL::TIMESTAMP'} AS __t, {_columns(db, table, 'r')} "
        f"FROM {quote(table)} r WHERE r.{quote(fk.columns[0])} IS NOT NULL"
    )
    return Path(table, fk.describe(table), sql, t is not None, (f"{table}.{fk.columns[0]}",))


def _two_hops_down(db, schema, table, down: ForeignKey, middle: str, to_entity: ForeignKey) -> Path:
    t = _time(db, schema, table, "r") or _time(db, schema, middle, "m")
    sql = (
        f"SELECT m.{quote(to_entity.columns[0])} AS __entity, {t or 'NULL::TIMESTAMP'} AS __t, "
        f"{_columns(db, table, 'r')} FROM {quote(table)} r JOIN {quote(middle)} m "
        f"ON r.{quote(down.columns[0])} = m.{quote(down.references_columns[0])} "
        f"WHERE m.{quote(to_entity.columns[0])} IS NOT NULL"
    )
    return Path(
        table,
        f"{down.describe(table)}, {to_entity.describe(middle)}",
        sql,
        t is not None,
        (f"{table}.{down.columns[0]}", f"{middle}.{to_entity.columns[0]}"),
    )


def _through_link(db, schema, table, middle: str, to_entity: ForeignKey, link: ForeignKey) -> Path:
    # The link row's time is the event's time (a purchase dates the product's appearance).
    t = _time(db, schema, middle, "m")
    sql = (
        f"SELECT m.{quote(to_entity.columns[0])} AS __entity, {t or 'NULL::TIMESTAMP'} AS __t, "
        f"{_columns(db, table, 'r')} FROM {quote(middle)} m JOIN {quote(table)} r "
        f"ON m.{quote(link.columns[0])} = r.{quote(link.references_columns[0])} "
        f"WHERE m.{quote(to_entity.columns[0])} IS NOT NULL"
    )
    return Path(
        table,
        f"{to_entity.describe(middle)}, {link.describe(middle)}",
        sql,
        t is not None,
        (f"{middle}.{to_entity.columns[0]}", f"{middle}.{link.columns[0]}"),
    )
