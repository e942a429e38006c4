"""Column encoders: every table's columns as a pytorch-frame TensorFrame, in dense-id (rowid) order,
with statistics learned only from rows visible at the stats cutoff."""

from relpool.encode.materialize import EncodedTable, materialize_database, materialize_table
from relpool.encode.rows import check_dense_rowids, ordered_select, visible_predicate
from relpool.encode.stats import UNKNOWN
from relpool.encode.stypes import ColumnType, TableColumnTypes, infer_column_types
from relpool.encode.text import HashingEmbedder, MiniLMEmbedder, TextEmbedder

__all__ = [
    "UNKNOWN",
    "ColumnType",
    "EncodedTable",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "TableColumnTypes",
    "TextEmbedder",
    "check_dense_rowids",
    "infer_column_types",
    "materialize_database",
    "materialize_table",
    "ordered_select",
    "visible_predicate",
]
