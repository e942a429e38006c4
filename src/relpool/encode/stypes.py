"""A semantic type for every column, with the reason, so users can see and override each choice.

Order of decisions: the schema's ``column_types`` win; then key columns (primary and foreign) and
the table's time column are left out (keys become edges, the row's time becomes its age), and so are
other times that can be later than the row's (:mod:`relpool.encode.later_times`: they would show the
future); then the data decides, measured only on rows visible at the stats cutoff, so the choice
itself learns nothing from later rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import torch_frame

from relpool.db.database import Database
from relpool.db.infer.naming import looks_like_key
from relpool.db.infer.profile import LIST_FRACTION, ColumnProfile, TextProfile, profile_table
from relpool.db.measure import MIN_TIME_PARSED
from relpool.db.schema import TableSchema
from relpool.encode.columns import STYPES, column_sql
from relpool.encode.later_times import later_times
from relpool.encode.rows import Cutoff, visible_predicate
from relpool.errors import RelpoolError

FEW_VALUES = 10  # an integer with at most this many distinct values is a code, not a quantity
MAX_CATEGORIES = 1000  # more distinct values than this: text or identifier, not a category
IDENTIFIER_RATIO = 0.5  # more than this share of values unique: an identifier, or free text
TEXT_SPACES = 0.5  # share of values with whitespace that makes strings prose
TEXT_LENGTH = 30  # or a mean length this long


@dataclass(frozen=True)
class ColumnType:
    name: str
    dtype: str  # the DuckDB type in the store
    semantic: str  # one of relpool.db.schema.COLUMN_TYPES; "ignore" = not encoded
    reason: str
    separator: str | None = None  # delimiter of multicategorical text

    @property
    def stype(self) -> torch_frame.stype | None:
        return STYPES.get(self.semantic)

    def sql(self) -> str:
        return column_sql(self.name, self.dtype, self.semantic, self.separator)


@dataclass(frozen=True)
class TableColumnTypes:
    table: str
    columns: dict[str, ColumnType]  # every column of the table, in table order
    visible_rows: int  # rows the decisions were measured on

    @property
    def encoded(self) -> dict[str, ColumnType]:
        return {name: c for name, c in self.columns.items() if c.semantic != "ignore"}

    @property
    def col_to_stype(self) -> dict[str, torch_frame.stype]:
        return {name: c.stype for name, c in self.encoded.items()}

    def to_dict(self) -> dict:
        return {name: {"type": c.semantic, "reason": c.reason} for name, c in self.columns.items()}


def infer_column_types(
    database: Database, table: TableSchema, stats_cutoff: Cutoff, hidden: Collection[str] = ()
) -> TableColumnTypes:
    """Decide every column's semantic type from the rows visible at ``stats_cutoff``.

    ``hidden`` columns (a static prediction target) are never encoded, whatever the schema says.
    """
    profile = profile_table(
        database, table.name, visible_predicate(database, table, stats_cutoff), exact_distinct=True, text_shape=True
    )
    roles = _key_roles(table)
    later = later_times(database, table, stats_cutoff)
    columns = {}
    for name, column in profile.columns.items():
        if name in hidden:
            columns[name] = ColumnType(name, column.dtype, "ignore", "the prediction target: hidden from the inputs")
        elif name in table.column_types:
            columns[name] = _override(table.name, column, table.column_types[name], roles.get(name))
        elif name in roles:
            columns[name] = ColumnType(name, column.dtype, "ignore", roles[name])
        elif name in later:
            columns[name] = ColumnType(name, column.dtype, "ignore", later[name])
        else:
            columns[name] = _infer(column)
    return TableColumnTypes(table.name, columns, profile.rows)


def _key_roles(table: TableSchema) -> dict[str, str]:
    parents: dict[str, list[str]] = {}
    for fk in table.foreign_keys:
        for column in fk.columns:
            parents.setdefault(column, []).append(fk.references_table)
    roles = {
        column: f"foreign key to {', '.join(tables)}: an edge, not a feature" for column, tables in parents.items()
    }
    for column in table.primary_key or ():
        roles[column] = "primary key: identifies the row, not a feature"
    if table.time_column:
        roles[table.time_column] = "the table's time column: the model encodes a row's age separately"
    return roles


def _override(table: str, profile: ColumnProfile, semantic: str, role: str | None) -> ColumnType:
    reason = "given in column_types of the schema"
    if role and semantic != "ignore":
        reason += f" (overrides: {role})"
    separator = profile.text.separator if profile.text and semantic == "multicategorical" else None
    column = ColumnType(profile.name, profile.dtype, semantic, reason, separator)
    if semantic != "ignore":
        try:
            column.sql()  # raises if this type cannot be read that way
        except RelpoolError as exc:
            raise RelpoolError(f"column_types of '{table}': {exc}") from None
    return column


def _infer(p: ColumnProfile) -> ColumnType:
    semantic, reason, separator = _decide(p)
    return ColumnType(p.name, p.dtype, semantic, reason, separator)


def _decide(p: ColumnProfile) -> tuple[str, str, str | None]:
    if p.non_null == 0:
        return "ignore", "no value in the visible rows", None
    if p.distinct == 1:
        return "ignore", "a single value in the visible rows: carries no information", None
    if p.family == "boolean":
        return "categorical", "BOOLEAN", None
    if p.family == "time":
        return "timestamp", f"{p.dtype} column", None
    if p.family == "list":
        return "multicategorical", f"{p.dtype} column: each item is a category", None
    if p.family == "float":
        return "numerical", f"{p.dtype} column", None
    if p.family == "integer":
        return (*_decide_integer(p), None)
    if p.family == "string" and p.text:
        return _decide_string(p, p.text)
    return "ignore", f"{p.dtype} columns are not encoded", None


def _decide_integer(p: ColumnProfile) -> tuple[str, str]:
    unique = f"{p.distinct:,} distinct values in {p.non_null:,}"
    if looks_like_key(p.name) and p.unique_ratio > IDENTIFIER_RATIO:
        return "ignore", f"named like a key, {unique}: an undeclared identifier"
    if looks_like_key(p.name):
        return "categorical", f"named like a code, {unique}: values repeat"
    if p.distinct <= FEW_VALUES:
        return "categorical", f"{p.dtype} with {p.distinct} distinct values (<= {FEW_VALUES}): a code, not a quantity"
    return "numerical", f"{p.dtype} with {p.distinct:,} distinct values"


def _decide_string(p: ColumnProfile, t: TextProfile) -> tuple[str, str, str | None]:
    unique = f"{p.distinct:,} distinct values in {p.non_null:,}"
    if t.time_parsed >= MIN_TIME_PARSED:
        return "timestamp", f"text parsed as timestamps ({t.time_parsed:.0%} of a sample)", None
    if (
        t.separator_fraction >= LIST_FRACTION
        and 0 < t.items_distinct <= MAX_CATEGORIES
        and t.items_distinct * 2 <= p.distinct
    ):
        return (
            "multicategorical",
            f"'{t.separator}'-separated lists in {t.separator_fraction:.0%} of values, "
            f"{t.items_distinct:,} distinct items in {p.distinct:,} distinct lists",
            t.separator,
        )
    prose = t.space_fraction >= TEXT_SPACES or t.mean_length >= TEXT_LENGTH
    repeats = p.unique_ratio <= IDENTIFIER_RATIO
    if repeats and p.distinct <= MAX_CATEGORIES:
        return "categorical", f"{unique}: values repeat", None
    if prose:
        return (
            "text",
            (f"{unique}, {t.space_fraction:.0%} with spaces, mean length {t.mean_length:.0f}: free text"),
            None,
        )
    if not repeats:
        return "ignore", f"{unique}, short and without spaces: an identifier", None
    return "categorical", f"{unique}: short values that repeat", None
