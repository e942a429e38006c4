"""What fit, evaluate, predict and explain start from: a database read, checked, graphed and encoded once.

Training encodes with statistics of the rows visible at the first validation cutoff and infers column
types; a trained model re-encodes with the types and statistics stored in its config (never
recomputed), after checking the database still has the tables, keys and columns it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd

from relpool.db.inspection import Inspection
from relpool.encode.materialize import EncodedTable, materialize_database, materialize_table
from relpool.encode.text import TextEmbedder, embedder_from_json
from relpool.errors import RelpoolError
from relpool.graph.build import build_graph
from relpool.graph.hetero import TemporalGraph
from relpool.query.task import Task
from relpool.train.config import ModelConfig
from relpool.train.drift import inspect_for_model
from relpool.train.stats_json import col_stats_from_json


@dataclass
class Prepared:
    """One database as every model input needs it: inspected, as a temporal graph, every table encoded."""

    inspection: Inspection
    graph: TemporalGraph
    tables: dict[str, EncodedTable]

    @property
    def col_stats(self) -> dict[str, dict]:
        return {t: e.col_stats for t, e in self.tables.items()}

    @property
    def col_names(self) -> dict[str, dict]:
        return {t: e.tensor_frame.col_names_dict for t, e in self.tables.items()}


def stats_cutoff(task: Task) -> pd.Timestamp:
    """Encoder statistics see only rows visible at the first validation cutoff: no example is normalised with later data."""
    return task.cutoffs["val"][0]


def prepare_training(inspection: Inspection, task: Task, embedder: TextEmbedder) -> Prepared:
    """The graph and every table encoded with statistics and column types learned at :func:`stats_cutoff`."""
    tables = materialize_database(
        inspection, stats_cutoff=stats_cutoff(task), text_embedder=embedder, hidden_columns=task.bound.hidden_columns
    )
    return Prepared(inspection, build_graph(inspection).graph, tables)


def prepare_for_model(db, config: ModelConfig, note: Callable[[str], None]) -> Prepared:
    """``db`` read with the model's schema and encoded the way the model was trained; refused where it cannot be.

    ``note`` receives each table or column the database has and the model ignores, before any refusal."""
    inspection, notes = inspect_for_model(db, config)
    for text in notes:
        note(text)
    inspection.raise_for_errors()
    graph = build_graph(inspection).graph
    spec = config.model
    if graph.node_types != spec.node_types or [list(e) for e in graph.edge_types] != spec.edge_types:
        raise RelpoolError("the database's tables or foreign keys differ from the ones the model was trained on")
    return Prepared(inspection, graph, encode_for_model(inspection, config))


def encode_for_model(inspection: Inspection, config: ModelConfig) -> dict[str, EncodedTable]:
    """Every table encoded with the column types and statistics the model was trained with."""
    embedder = embedder_from_json(config.text_embedder)
    tables = {}
    for name, table in inspection.schema.tables.items():
        stored = config.encoders.get(name)
        if stored is None:
            raise RelpoolError(f"the model has no encoder for table '{name}'")
        present = inspection.database.columns(name)
        missing = [c for c, t in stored.column_types.items() if t.semantic != "ignore" and c not in present]
        if missing:
            raise RelpoolError(f"table '{name}' lacks column(s) {', '.join(missing)} the model was trained with")
        try:
            tables[name] = materialize_table(
                inspection.database,
                table,
                stats_cutoff=None,
                text_embedder=embedder,
                column_types=stored.table_types(name),
                col_stats=col_stats_from_json(stored.col_stats),
            )
        except duckdb.Error as exc:  # a column's values no longer convert the way they did at training
            first = " ".join(str(exc).split("LINE")[0].split())
            raise RelpoolError(f"table '{name}' cannot be encoded the way the model was trained: {first}") from None
    return tables
