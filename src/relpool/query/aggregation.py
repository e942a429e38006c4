"""One aggregation of a query, checked against the schema: its table and window, the foreign-key path its
rows are reached by, and its value's SQL and type.

Apart from the binder (bind.py) because this is where a query meets the schema's relationships; the binder
adds only the aggregation's own WHERE, an expression like any other.
"""

from __future__ import annotations

from relpool.db.sql import quote
from relpool.query.ast import Aggregation
from relpool.query.names import NUMERIC, Names
from relpool.query.paths import Path, find_paths
from relpool.query.splits import MAX_OFFSET


def aggregation_path(names: Names, node: Aggregation, entity: str, notes: list[str]) -> Path:
    """The path from ``entity`` to the aggregated rows, once the table and window are checked."""
    table = names.table(node.target.table, node.target.position)
    if table == entity:
        raise names.fail(
            f"{node.function} aggregates rows related to '{entity}', not its own rows", node.target.position
        )
    if node.start >= node.end:
        raise names.fail(
            f"the window ({node.start}, {node.end}] of {node} is empty: start must be below end", node.position
        )
    if max(abs(node.start), abs(node.end)) > MAX_OFFSET[node.unit]:
        raise names.fail(
            f"the window ({node.start}, {node.end}] of {node} reaches more than 200 years from "
            f"the cutoff (at most {MAX_OFFSET[node.unit]:,} {node.unit})",
            node.position,
        )
    paths = find_paths(names.db, names.schema, entity, table)
    if not paths:
        raise names.fail(
            f"'{table}' is not related to '{entity}' through one or two foreign keys", node.target.position
        )
    path = _choose_path(names, node, paths, entity, notes)
    if not path.has_time:
        raise names.fail(
            f"{node} needs a time column, and neither '{table}' nor the tables linking it to '{entity}' has one",
            node.position,
        )
    return path


def _choose_path(names: Names, node: Aggregation, paths: list[Path], entity: str, notes: list[str]) -> Path:
    """The path VIA names, else the first (with a note when there were others to choose from)."""
    table = node.target.table
    if node.via is not None:
        names.column(node.via)
        chosen = [p for p in paths if str(node.via) in p.keys]
        if not chosen:
            ways = "; ".join(f"{p.description} (VIA {_distinct_key(p, paths)})" for p in paths)
            raise names.fail(
                f"{node.via} is not a foreign key on a path from '{table}' to '{entity}'; the paths are: {ways}",
                node.via.position,
            )
        paths = chosen
    if len(paths) > 1:
        notes.append(
            f"{table} reaches {entity} in {len(paths)} ways; using {paths[0].description} "
            f"(not {'; '.join(p.description for p in paths[1:])}); "
            f"name another with VIA, e.g. "
            f"{node.function}({node.target} VIA {_distinct_key(paths[1], paths)}, …)"
        )
    return paths[0]


def aggregate_value(names: Names, node: Aggregation) -> tuple[str, str]:
    """The aggregate over the path's rows (alias r) as SQL, and its value's type family."""
    fn, ref = node.function, node.target
    if ref.column == "*":
        if fn != "COUNT":
            raise names.fail(f"{fn} needs a column, not {ref} (only COUNT takes *)", ref.position)
        return "count(*)", "integer"
    family = names.column(ref)
    if ref.column == names.schema.tables[ref.table].time_column and fn in ("MIN", "MAX", "FIRST", "LAST"):
        family = "time"  # the row's time, however it is stored (text times too)
    col = f"r.{quote(ref.column)}"
    if fn in ("SUM", "AVG") and family not in NUMERIC:
        raise names.fail(
            f"{fn} needs a numeric column, and {ref} is {names.db.columns(ref.table)[ref.column]}", ref.position
        )
    return {
        "COUNT": (f"count({col})", "integer"),
        "COUNT_DISTINCT": (f"count(DISTINCT {col})", "integer"),
        "SUM": (f"sum({col})", family),
        "AVG": (f"avg({col})", "float"),
        "MIN": (f"min({col})", family),
        "MAX": (f"max({col})", family),
        "FIRST": (f"arg_min({col}, r.__t)", family),
        "LAST": (f"arg_max({col}, r.__t)", family),
        "LIST_DISTINCT": (f"list(DISTINCT {col}) FILTER (WHERE {col} IS NOT NULL)", "list"),
    }[fn]


def _distinct_key(path: Path, paths: list[Path]) -> str:
    """A foreign-key column of ``path`` that no other of ``paths`` follows (what VIA names to pick it)."""
    others = {key for other in paths if other is not path for key in other.keys}
    return next((key for key in path.keys if key not in others), path.keys[-1])
