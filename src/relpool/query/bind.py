"""Bind a parsed query to a schema: check every name, find the foreign-key paths, type the target.

The result, a :class:`BoundQuery`, holds SQL fragments the compiler assembles; every user mistake
(an unknown column, a future window in WHERE, SUM over text…) is a RelpoolError with the query shown
and a caret under the culprit. Names are looked up in names.py and aggregations checked in aggregation.py;
here are the expressions and the query as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.db.visibility import table_time_sql
from relpool.query.aggregation import aggregate_value, aggregation_path
from relpool.query.ast import (
    Aggregation,
    BoolOp,
    ColumnRef,
    Comparison,
    Expr,
    Literal,
    Not,
    Query,
    aggregations_in,
    column_refs_in,
)
from relpool.query.literals import as_integer, literal_family, literal_sql
from relpool.query.names import NUMERIC, Names
from relpool.query.paths import Path
from relpool.query.target_kind import infer_kind
from relpool.tasks import TaskKind

ZERO_WHEN_EMPTY = ("COUNT", "COUNT_DISTINCT", "SUM")


@dataclass(frozen=True)
class BoundAggregation:
    node: Aggregation
    path: Path
    value_sql: str  # the aggregate over the path's rows, alias r
    row_filter_sql: str | None
    family: str  # of the aggregate's value: integer, float, string, boolean, time, list


@dataclass
class BoundQuery:
    query: Query
    entity_table: str
    entity_column: str
    entity_time_sql: str | None  # the entity row's time (alias e); None: entities always exist
    kind: TaskKind
    aggregations: list[BoundAggregation]  # target ones first
    target_sql: str  # over alias e (entity row) and a0, a1… (aggregates)
    filter_sql: str | None
    static_target: str | None = None  # the entity column an autocomplete task predicts
    item_table: str | None = None  # link prediction: the table whose keys are ranked
    notes: list[str] = field(default_factory=list)

    @property
    def target_window(self) -> tuple[int, int, str] | None:
        targets = aggregations_in(self.query.target)
        if not targets:
            return None
        first = targets[0]
        return first.start, first.end, first.unit

    @property
    def hidden_columns(self) -> set[tuple[str, str]]:
        """Columns no model input may contain: the static target itself."""
        return {(self.entity_table, self.static_target)} if self.static_target else set()


def bind(query: Query, inspection: Inspection) -> BoundQuery:
    return _Binder(query, inspection).bind()


class _Binder(Names):
    def __init__(self, query: Query, inspection: Inspection):
        super().__init__(query, inspection)
        self.aggregations: list[BoundAggregation] = []
        self.notes: list[str] = []

    # ---- the query ----
    def bind(self) -> BoundQuery:
        q = self.query
        self.entity = self.table(q.entity.table, q.entity.position)
        self.column(q.entity)
        key = self.schema.tables[self.entity].primary_key
        if not key or key != (q.entity.column,):
            what = (
                f"its primary key is ({', '.join(key)})" if key else "it has no primary key (declare one with --schema)"
            )
            raise self.fail(
                f"FOR EACH needs the single-column primary key of '{self.entity}'; {what}", q.entity.position
            )

        static_target = None
        if isinstance(q.target, ColumnRef):
            static_target = self._static_target(q.target)
        elif not aggregations_in(q.target):
            raise self.fail("the target must aggregate a related table or name a column of the entity table", 8)
        for agg in aggregations_in(q.target):
            if agg.start < 0:
                raise self.fail(
                    f"the target window of {agg} must start at or after the cutoff (start >= 0): "
                    f"predicting the past is not forecasting",
                    agg.position,
                )
        target_sql, family = self.expr(q.target, "target")

        filter_sql = None
        if static_target and aggregations_in(q.entity_filter):
            raise self.fail(
                "with a column target, WHERE can only use columns of the entity table",
                aggregations_in(q.entity_filter)[0].position,
            )
        if q.entity_filter is not None:
            for agg in aggregations_in(q.entity_filter):
                if agg.end > 0:
                    raise self.fail(
                        f"WHERE may only look at the past, but the window of {agg} ends {agg.end} "
                        f"{agg.unit} after the cutoff",
                        agg.position,
                    )
            for ref in column_refs_in(q.entity_filter):
                if static_target and ref.column == static_target and ref.table == self.entity:
                    raise self.fail(f"WHERE uses the target column {ref}: that would leak the label", ref.position)
            filter_sql, filter_family = self.expr(q.entity_filter, "filter")
            if filter_family != "boolean":
                raise self.fail("WHERE needs a condition (a comparison, AND, OR, NOT)", len("PREDICT "))

        kind, item_table = infer_kind(q, self.schema, family, self.fail)
        time_sql = table_time_sql(self.db, self.schema.tables[self.entity], "e")
        return BoundQuery(
            q,
            self.entity,
            q.entity.column,
            time_sql,
            kind,
            self.aggregations,
            target_sql,
            filter_sql,
            static_target,
            item_table,
            self.notes,
        )

    def _static_target(self, ref: ColumnRef) -> str:
        self.column(ref)
        if ref.table != self.entity:
            raise self.fail(
                f"a column target must belong to the entity table '{self.entity}', not '{ref.table}'", ref.position
            )
        table = self.schema.tables[self.entity]
        if ref.column in (table.primary_key or ()) or ref.column == table.time_column:
            raise self.fail(f"{ref} is the entity's key or time column and cannot be predicted", ref.position)
        return ref.column

    # ---- expressions: SQL text and the value's type family ----
    def expr(self, node: Expr, where: str, path: Path | None = None) -> tuple[str, str]:
        if isinstance(node, Literal):
            return literal_sql(node.value), literal_family(node.value)
        if isinstance(node, ColumnRef):
            return self._column_sql(node, where, path)
        if isinstance(node, Aggregation):
            if where == "row filter":
                raise self.fail("an aggregation cannot be nested inside another aggregation's WHERE", node.position)
            return self._aggregation(node)
        if isinstance(node, Not):
            inner, family = self.expr(node.item, where, path)
            self._need_boolean(family, node.item)
            return f"(NOT {inner})", "boolean"
        if isinstance(node, BoolOp):
            parts = []
            for item in node.items:
                sql, family = self.expr(item, where, path)
                self._need_boolean(family, item)
                parts.append(sql)
            return "(" + f" {node.op} ".join(parts) + ")", "boolean"
        return self._comparison(node, where, path)

    def _comparison(self, node: Comparison, where: str, path: Path | None) -> tuple[str, str]:
        left, lf = self.expr(node.left, where, path)
        right, rf = self.expr(node.right, where, path)
        if isinstance(node.right, Literal) and node.right.value is None:
            if node.op not in ("=", "!="):
                raise self.fail("NULL can only be compared with = or !=", _position(node.left))
            return f"({left} IS {'NOT ' if node.op == '!=' else ''}NULL)", "boolean"
        if {lf, rf} == {"integer", "boolean"} and node.op in ("=", "!="):
            # SQLite (and pandas writing to it) stores booleans as 0/1 integers: TRUE means 1, FALSE 0.
            left, right = (as_integer(node.left, left), as_integer(node.right, right))
            lf = rf = "integer"
        comparable = lf == rf or {lf, rf} <= set(NUMERIC) or "null" in (lf, rf)
        if not comparable:
            raise self.fail(f"cannot compare a value of type {lf} with a value of type {rf}", _position(node.left))
        return f"({left} {node.op} {right})", "boolean"

    def _need_boolean(self, family: str, node: Expr, what: str = "AND, OR and NOT need conditions") -> None:
        if family == "boolean":
            return
        hint = ""
        if isinstance(node, ColumnRef) and family in NUMERIC:
            hint = f"; compare it, e.g. {node} = 1 (SQLite stores booleans as 0 and 1)"
        elif isinstance(node, ColumnRef):
            hint = f"; compare it, e.g. {node} = 'value'"
        raise self.fail(f"{what}, but this is a value of type {family}{hint}", _position(node))

    def _column_sql(self, ref: ColumnRef, where: str, path: Path | None) -> tuple[str, str]:
        if ref.column == "*":
            raise self.fail(f"{ref} is only allowed inside COUNT(...)", ref.position)
        family = self.column(ref)
        if where == "row filter":
            assert path is not None  # a row filter belongs to an aggregation's path
            if ref.table != path.table:
                raise self.fail(
                    f"inside {path.table}'s aggregation, conditions can use {path.table}'s columns, not {ref}",
                    ref.position,
                )
            return f"r.{quote(ref.column)}", family
        if ref.table != self.entity:
            raise self.fail(
                f"{ref} is not a column of the entity table '{self.entity}'; aggregate it instead, "
                f"e.g. LAST({ref}, -30, 0, days)",
                ref.position,
            )
        return f"e.{quote(ref.column)}", family

    def _aggregation(self, node: Aggregation) -> tuple[str, str]:
        path = aggregation_path(self, node, self.entity, self.notes)
        value_sql, family = aggregate_value(self, node)
        row_filter = None
        if node.row_filter is not None:
            row_filter, filter_family = self.expr(node.row_filter, "row filter", path)
            self._need_boolean(filter_family, node.row_filter, "WHERE needs a condition")
        index = len(self.aggregations)
        self.aggregations.append(BoundAggregation(node, path, value_sql, row_filter, family))
        sql = f"a{index}.value"
        return (f"coalesce({sql}, 0)" if node.function in ZERO_WHEN_EMPTY else sql), family


def _position(node: Expr) -> int:
    return getattr(node, "position", 0) or (_position(node.left) if isinstance(node, Comparison) else 0)
