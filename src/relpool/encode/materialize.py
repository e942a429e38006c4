"""Every table's encoded columns as one pytorch-frame TensorFrame, in dense-id order.

Row ``i`` of a table's frame is the store row with ``rowid = i`` (see :mod:`relpool.encode.rows`).
Statistics come from the rows visible at ``stats_cutoff`` (the first validation cutoff, so no
training or validation example is normalised with later data); the values of all rows are encoded
with them. ``stats_cutoff`` has no default: ``None`` (every row) must be asked for.

Rows are read and encoded CHUNK_ROWS at a time (rowid ranges, which DuckDB filters without a
scan) and the chunks' frames concatenated, so memory beyond the encoded tensors stays one chunk's
pandas frame however long the table is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import torch_frame
from torch_frame import TensorFrame
from torch_frame.data import Dataset
from torch_frame.data.stats import StatType

from relpool.db.database import Database
from relpool.db.inspection import Inspection
from relpool.db.schema import TableSchema
from relpool.db.sql import quote
from relpool.encode.rows import Cutoff, check_dense_rowids, ordered_select, visible_predicate
from relpool.encode.stats import map_unseen, visible_col_stats
from relpool.encode.stypes import TableColumnTypes, infer_column_types
from relpool.encode.text import MiniLMEmbedder, TextEmbedder, text_embedder_config

CHUNK_ROWS = 1_000_000


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


def materialize_database(
    inspection: Inspection,
    *,
    stats_cutoff: Cutoff,
    text_embedder: TextEmbedder | None = None,
    hidden_columns: Collection[tuple[str, str]] = (),
) -> dict[str, EncodedTable]:
    """Encode every table; text columns use ``text_embedder`` (default: cached MiniLM, loaded if needed).

    ``hidden_columns`` are (table, column) pairs no input may contain, e.g. ``BoundQuery.hidden_columns``.
    """
    embedder = text_embedder or MiniLMEmbedder()
    return {
        name: materialize_table(
            inspection.database,
            table,
            stats_cutoff=stats_cutoff,
            text_embedder=embedder,
            hidden={column for t, column in hidden_columns if t == name},
        )
        for name, table in inspection.schema.tables.items()
    }


def materialize_table(
    database: Database,
    table: TableSchema,
    *,
    stats_cutoff: Cutoff,
    text_embedder: TextEmbedder | None = None,
    column_types: TableColumnTypes | None = None,
    hidden: Collection[str] = (),
    col_stats: dict[str, dict[StatType, Any]] | None = None,
) -> EncodedTable:
    """Encode one table; ``column_types`` defaults to inference at the same cutoff, without ``hidden``.

    ``column_types`` and ``col_stats`` kept from training re-encode a database exactly as the model
    saw it (e.g. to predict): values unseen then read as the unknown category.
    """
    if col_stats is not None and column_types is None:
        raise ValueError("col_stats from training need the column_types they were computed for")
    num_rows = check_dense_rowids(database, table.name)
    types = column_types or infer_column_types(database, table, stats_cutoff, hidden)
    col_to_stype = types.col_to_stype
    visible = visible_predicate(database, table, stats_cutoff)
    stats_rows = database.scalar(f"SELECT count(*) FROM {quote(table.name)}{f' WHERE {visible}' if visible else ''}")
    if not col_to_stype:
        return EncodedTable(table.name, TensorFrame({}, {}, num_rows=num_rows), {}, types, stats_rows)

    column_sql = {name: column.sql() for name, column in types.encoded.items()}
    if col_stats is None:
        col_stats = visible_col_stats(database, table.name, column_sql, col_to_stype, visible)
    text_config = None
    if torch_frame.text_embedded in col_to_stype.values():
        text_config = text_embedder_config(text_embedder or MiniLMEmbedder())
    chunks = [
        _encode_rows(
            database,
            table.name,
            column_sql,
            col_to_stype,
            col_stats,
            text_config,
            range(lo, min(lo + CHUNK_ROWS, num_rows)),
        )
        for lo in range(0, max(num_rows, 1), CHUNK_ROWS)
    ]
    tensor_frame = chunks[0] if len(chunks) == 1 else torch_frame.cat(chunks)
    return EncodedTable(table.name, tensor_frame, col_stats, types, stats_rows)


def _encode_rows(
    database: Database,
    table: str,
    column_sql: dict[str, str],
    col_to_stype: dict[str, torch_frame.stype],
    col_stats: dict[str, dict[StatType, Any]],
    text_config: dict | None,
    rows: range,
) -> TensorFrame:
    """The TensorFrame of the rows with rowid in ``rows``, encoded with the given statistics."""
    expressions = [f"{sql} AS {quote(name)}" for name, sql in column_sql.items()]
    frame = database.execute(ordered_select(table, expressions, f"rowid >= {rows.start} AND rowid < {rows.stop}")).df()
    frame = map_unseen(frame, col_stats, col_to_stype)
    for col, stype in col_to_stype.items():
        if stype == torch_frame.text_embedded:
            frame[col] = frame[col].fillna("")  # missing text embeds as zeros, like empty text
    dataset = Dataset(frame, col_to_stype, col_to_text_embedder_cfg=text_config)
    dataset.materialize(col_stats=col_stats)
    return dataset.tensor_frame
