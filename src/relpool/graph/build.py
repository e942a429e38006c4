"""Build the temporal graph of a database: one node type per table, two edge types per foreign key.

Dense node ids are DuckDB rowids of the store tables (0..n-1, see :mod:`relpool.encode.rows`), so
the graph, the encoded column frames and the training tables all agree on which row is node ``i``.
Keys (composite ones included) are mapped to dense ids by a join inside DuckDB; dangling and NULL
foreign keys become no edge and are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.db.visibility import table_time_sql
from relpool.graph.hetero import TemporalGraph

NEVER_VISIBLE = np.iinfo(np.int64).max
"""Time of a row whose time is NULL or unparsable: after every cutoff, so never sampled."""


@dataclass
class BuiltGraph:
    graph: TemporalGraph
    dropped_edges: dict[str, int] = field(default_factory=dict)  # "child(cols)->parent": rows without a parent


def build_graph(inspection: Inspection) -> BuiltGraph:
    db, schema = inspection.database, inspection.schema
    graph = TemporalGraph()
    for name, table in schema.tables.items():
        if table.time_column:
            graph.add_node_type(name, inspection.rows[name], node_times(inspection, name))
        else:
            graph.add_node_type(name, inspection.rows[name])
    dropped = {}
    for name, table in schema.tables.items():
        for fk in table.foreign_keys:
            on = " AND ".join(f"c.{quote(a)} = p.{quote(b)}" for a, b in zip(fk.columns, fk.references_columns))
            child, parent = (
                db.execute(
                    f"SELECT c.rowid, coalesce(p.rowid, -1) FROM {quote(name)} c "
                    f"LEFT JOIN {quote(fk.references_table)} p ON {on} ORDER BY c.rowid"
                )
                .fetchnumpy()
                .values()
            )
            # Edge types are (child, fk_<columns>, parent) and (parent, rev_fk_<columns>, child).
            dropped[fk.describe(name)] = graph.add_foreign_key(
                name, "_".join(fk.columns), fk.references_table, child, parent
            )
    return BuiltGraph(graph, dropped)


def node_times(inspection: Inspection, table: str) -> np.ndarray:
    """int64 seconds since the epoch (UTC) per row in dense-id order; NULL -> never visible."""
    expr = table_time_sql(inspection.database, inspection.schema.tables[table])
    seconds = inspection.database.execute(
        f"SELECT coalesce(CAST(epoch({expr}) AS BIGINT), {NEVER_VISIBLE}) FROM {quote(table)} ORDER BY rowid"
    ).fetchnumpy()
    return np.asarray(next(iter(seconds.values())), dtype=np.int64)
