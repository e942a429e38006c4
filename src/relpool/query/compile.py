"""Compile a bound query to DuckDB SQL producing (entity, cutoff, label) rows, set-based.

Labels use only rows with time in (cutoff + start, cutoff + end]; the entity filter only windows
ending at or before the cutoff; an entity whose own row is newer than the cutoff does not exist then.
"""

from __future__ import annotations

from relpool.db.sql import quote
from relpool.db.visibility import visible_sql
from relpool.query.bind import BoundQuery

INTERVAL = {"hours": "to_hours", "days": "to_days", "weeks": "to_weeks", "months": "to_months", "years": "to_years"}


def forecast_sql(bound: BoundQuery, cutoffs_relation: str) -> str:
    """Labels for every (entity, cutoff) in ``cutoffs_relation`` (a relation with one column ``cutoff``)."""
    ctes = [
        f"base AS (SELECT e.*, e.{quote(bound.entity_column)} AS __entity, c.cutoff AS __cutoff "
        f"FROM {quote(bound.entity_table)} e CROSS JOIN {cutoffs_relation} c "
        f"WHERE {visible_sql(bound.entity_time_sql, 'c.cutoff')})",
        "pairs AS (SELECT DISTINCT __entity, __cutoff FROM base)",
    ]
    joins = []
    for i, agg in enumerate(bound.aggregations):
        node = agg.node
        low = f"p.__cutoff + {INTERVAL[node.unit]}({node.start})"
        high = f"p.__cutoff + {INTERVAL[node.unit]}({node.end})"
        row_filter = f" AND ({agg.row_filter_sql})" if agg.row_filter_sql else ""
        ctes.append(f"rows{i} AS ({agg.path.sql})")
        ctes.append(
            f"agg{i} AS (SELECT p.__entity, p.__cutoff, {agg.value_sql} AS value FROM pairs p "
            f"JOIN rows{i} r ON r.__entity = p.__entity AND r.__t > {low} AND r.__t <= {high}{row_filter} "
            f"GROUP BY p.__entity, p.__cutoff)"
        )
        joins.append(f"LEFT JOIN agg{i} a{i} ON a{i}.__entity = e.__entity AND a{i}.__cutoff = e.__cutoff")
    where = f"WHERE {bound.filter_sql}" if bound.filter_sql else ""
    return (
        f"WITH {', '.join(ctes)} SELECT e.__entity AS entity, e.__cutoff AS cutoff, {bound.target_sql} AS label "
        f"FROM base e {' '.join(joins)} {where} ORDER BY cutoff, entity"
    )


def static_sql(bound: BoundQuery, all_visible_at: str) -> str:
    """Autocomplete: one row per entity; its cutoff is its own time, or ``all_visible_at`` without one."""
    target = bound.static_target
    assert target is not None  # an autocomplete query predicts an entity column
    cutoff = bound.entity_time_sql or all_visible_at
    where = [f"e.{quote(target)} IS NOT NULL"]
    if bound.entity_time_sql:
        where.append(f"{bound.entity_time_sql} IS NOT NULL")
    if bound.filter_sql:
        where.append(bound.filter_sql)
    return (
        f"SELECT e.{quote(bound.entity_column)} AS entity, {cutoff} AS cutoff, "
        f"e.{quote(target)} AS label FROM {quote(bound.entity_table)} e "
        f"WHERE {' AND '.join(where)} ORDER BY cutoff, entity"
    )


def entities_sql(bound: BoundQuery, cutoff_literal: str) -> str:
    """Autocomplete prediction: every entity existing at the cutoff that passes WHERE, labelled or not."""
    where = [visible_sql(bound.entity_time_sql, cutoff_literal)]
    if bound.filter_sql:
        where.append(bound.filter_sql)
    return (
        f"SELECT e.{quote(bound.entity_column)} AS entity, {cutoff_literal} AS cutoff "
        f"FROM {quote(bound.entity_table)} e WHERE {' AND '.join(where)} ORDER BY entity"
    )
