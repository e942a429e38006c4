"""Every table's encoded columns as one pytorch-frame TensorFrame, in dense-id order.

Row ``i`` of a table's frame is the store row with ``rowid = i`` (see :mod:`relpool.encode.rows`).
Statistics come from the rows visible at ``stats_cutoff`` (the first validation cutoff, so no
training or validation example is normalised with later data); the values of all rows are encoded
with them. ``stats_cutoff`` has no default: ``None`` (every row) must be asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch_frame
from torch_frame import TensorFrame
from torch_frame.data import Dataset
from torch_frame.data.stats import StatType

from relpool.db.database import Database, quote
from relpool.db.inspection import Inspection
from relpool.db.schema import TableSchema
from relpool.encode.rows import Cutoff, check_dense_rowids, ordered_select, visible_predicate
from relpool.encode.stats import map_unseen, visible_col_stats
from relpool.encode.stypes import TableColumnTypes, infer_column_types
from relpool.encode.text import MiniLMEmbedder, TextEmbedder, text_embedder_config


@dataclass
class EncodedTable:
    name: str
    tensor_frame: TensorFrame  # row i = the store row with rowid i (its dense id)
    col_stats: dict[str, dict[StatType, Any]]  # from the visible rows only
    column_types: TableColumnTypes  # every column's semantic type and reason
    stats_rows: int  # how many rows the statistics were computed on

    @property
    def num_rows(self) -> int:
        return self.tensor_frame.num_rows


def materialize_database(inspection: Inspection, *, stats_cutoff: Cutoff,
                         text_embedder: TextEmbedder | None = None,
                         hidden_columns: Collection[tuple[str, str]] = ()) -> dict[str, EncodedTable]:
    """Encode every table; text columns use ``text_embedder`` (default: cached MiniLM, loaded if needed).

    ``hidden_columns`` are (table, column) pairs no input may contain, e.g. ``BoundQuery.hidden_columns``.
    """
    embedder = text_embedder or MiniLMEmbedder()
    return {name: materialize_table(inspection.database, table, stats_cutoff=stats_cutoff, text_embedder=embedder,
                                    hidden={column for t, column in hidden_columns if t == name})
            for name, table in inspection.schema.tables.items()}


def materialize_table(database: Database, table: TableSchema, *, stats_cutoff: Cutoff,
                      text_embedder: TextEmbedder | None = None, column_types: TableColumnTypes | None = None,
                      hidden: Collection[str] = (),
                      col_stats: dict[str, dict[StatType, Any]] | None = None) -> EncodedTable:
    """Encode one table; ``column_types`` defaults to inference at the same cutoff, without ``hidden``.

    ``column_types`` and ``col_stats`` kept from training re-encode a database exactly as the model
    saw it (e.g. to predict): values unseen then read as the unknown category.
    """
    if col_stats is not None and column_types is None:
        raise ValueError("col_stats from training need the column_types they were computed for")
    num_rows = check_dense_rowids(database, table.name)
    types = column_types or infer_column_types(database, table, stats_cutoff, hidden)
    col_to_stype = types.col_to_stype
    visible = _visible_mask(database, table, stats_cutoff, num_rows)
    if not col_to_stype:
        return EncodedTable(table.name, TensorFrame({}, {}, num_rows=num_rows), {}, types, int(visible.sum()))

    expressions = [f"{column.sql()} AS {quote(name)}" for name, column in types.encoded.items()]
    frame = database.con.execute(ordered_select(table.name, expressions)).df()
    if col_stats is None:
        col_stats = visible_col_stats(frame, visible, col_to_stype)
    frame = map_unseen(frame, col_stats, col_to_stype)
    text_config = None
    if torch_frame.text_embedded in col_to_stype.values():
        for col, stype in col_to_stype.items():
            if stype == torch_frame.text_embedded:
                frame[col] = frame[col].fillna("")  # missing text embeds as zeros, like empty text
        text_config = text_embedder_config(text_embedder or MiniLMEmbedder())
    dataset = Dataset(frame, col_to_stype, col_to_text_embedder_cfg=text_config)
    dataset.materialize(col_stats=col_stats)
    return EncodedTable(table.name, dataset.tensor_frame, dataset.col_stats, types, int(visible.sum()))


def _visible_mask(database: Database, table: TableSchema, stats_cutoff: Cutoff, num_rows: int) -> np.ndarray:
    predicate = visible_predicate(database, table, stats_cutoff)
    if predicate is None:
        return np.ones(num_rows, dtype=bool)
    sql = ordered_select(table.name, [f"{predicate} AS visible"])
    return database.con.execute(sql).fetchnumpy()["visible"].astype(bool)
