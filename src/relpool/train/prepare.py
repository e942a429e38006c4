"""What fit, evaluate, predict and explain start from: a database read, checked, graphed and encoded once.

Training encodes with statistics of the rows visible at the first validation cutoff and infers column
types; a trained model re-encodes with the types and statistics stored in its config (never
recomputed), after checking the database still has the tables, keys and columns it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from relpool.db.fingerprint import fingerprint
from relpool.db.inspection import Inspection
from relpool.encode.materialize import EncodedTable, materialize_database, materialize_table
from relpool.encode.text import TextEmbedder, embedder_from_json, embedder_to_json
from relpool.errors import RelpoolError
from relpool.graph.build import build_graph
from relpool.graph.hetero import TemporalGraph
from relpool.query.task import Task
from relpool.train.config import ModelConfig
from relpool.train.drift import inspect_for_model
from relpool.train.prepared_cache import Built, prepared_with_cache
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


def prepare_training(
    inspection: Inspection, task: Task, embedder: TextEmbedder, cached: Cached | None = None
) -> Prepared:
    """The graph and every table encoded with statistics and column types learned at :func:`stats_cutoff`;
    taken from (or stored in) the cache when ``cached`` names one (:mod:`.prepared_cache`)."""

    def build() -> Built:
        tables = materialize_database(
            inspection,
            stats_cutoff=stats_cutoff(task),
            text_embedder=embedder,
            hidden_columns=task.bound.hidden_columns,
        )
        return build_graph(inspection).graph, tables

    settings = {
        "schema": inspection.schema.to_dict(),
        "stats_cutoff": str(stats_cutoff(task)),
        "hidden_columns": sorted(map(list, task.bound.hidden_columns)),
        "text_embedder": embedder_to_json(embedder),
    }
    return Prepared(inspection, *_built(cached, settings, build))


@dataclass
class Cached:
    """Where and under which database fingerprint (taken before the database was read) to cache a preparation."""

    folder: Path | None
    db: object
    key: tuple | None
    note: Callable[[str], None]


def _built(cached: Cached | None, settings: dict, build: Callable[[], Built]) -> Built:
    if cached is None:
        return build()
    return prepared_with_cache(cached.folder, cached.db, cached.key, settings, build, cached.note)


def prepare_for_model(db, config: ModelConfig, note: Callable[[str], None], cache: Path | None = None) -> Prepared:
    """``db`` read with the model's schema and encoded the way the model was trained; refused where it cannot be.

    ``note`` receives each table or column the database has and the model ignores, before any refusal.
    With ``cache`` the graph and tables come from (or are stored in) that prepared-data cache."""
    key = fingerprint(db)  # before the read: a write during it makes the entry unreachable
    inspection, notes = inspect_for_model(db, config)
    for text in notes:
        note(text)
    inspection.raise_for_errors()
    settings = {
        "schema": inspection.schema.to_dict(),
        "text_embedder": config.text_embedder,
        "encoders": {
            t: [{c: asdict(v) for c, v in e.column_types.items()}, e.col_stats] for t, e in config.encoders.items()
        },
    }
    built = _built(
        Cached(cache, db, key, note),
        settings,
        lambda: (build_graph(inspection).graph, encode_for_model(inspection, config)),
    )
    graph, tables = built
    spec = config.model
    if graph.node_types != spec.node_types or [list(e) for e in graph.edge_types] != spec.edge_types:
        raise RelpoolError("the database's tables or foreign keys differ from the ones the model was trained on")
    return Prepared(inspection, graph, tables)


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
