"""The examples of the entities a caller names (``Model.predict(db, at, entities=[...])``, ``relpool serve``).

Keys arrive as text or JSON numbers; each is converted to the primary key's stored type (as ``explain
--entity`` converts it), so ``5`` and ``"5"`` name the same integer key. Only the named entities go on to
sampling and the hybrid GNN's auto-features, so a request's work grows with its own size, not the database's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.train.data import key_to_dense_id

SHOWN = 3  # unknown keys quoted in one message


def requested_examples(
    inspection: Inspection, table: str, examples: pd.DataFrame, keys: Sequence[object]
) -> pd.DataFrame:
    """The rows of ``examples`` (entity, cutoff: every entity existing at the cutoff) for ``keys``, in their
    order (a key given twice is predicted twice); one clear error for an empty list, a key no row of
    ``table`` has, or an entity that does not exist at the cutoff."""
    if len(keys) == 0:
        raise RelpoolError("give at least one entity to predict for")
    typed = _typed(inspection, table, keys)
    position = pd.Index(examples["entity"]).get_indexer(typed)
    missing = np.flatnonzero(position < 0)
    if len(missing):
        unknown = missing[key_to_dense_id(inspection, table, typed.iloc[missing]) < 0]
        column = _key_column(inspection, table)
        if len(unknown):
            raise RelpoolError(f"no {table} has {column} = {_listed([keys[int(i)] for i in unknown])}")
        cutoff = pd.Timestamp(examples["cutoff"].iloc[0]).isoformat() if len(examples) else "the cutoff"
        raise RelpoolError(
            f"{table} {_listed([keys[int(i)] for i in missing])} does not exist at {cutoff} "
            "(its row is newer, or it does not pass the query's WHERE)"
        )
    return examples.iloc[position].reset_index(drop=True)


def _typed(inspection: Inspection, table: str, keys: Sequence[object]) -> pd.Series:
    """``keys`` converted to the key column's stored type (NULL where one cannot be), in order."""
    column = _key_column(inspection, table)
    dtype = inspection.database.columns(table)[column]
    texts = pd.DataFrame({"k": [str(k) for k in keys], "i": np.arange(len(keys))})
    with inspection.database.with_relation("__wanted", texts) as cursor:
        frame = cursor.execute(f"SELECT TRY_CAST(k AS {dtype}) AS k FROM __wanted ORDER BY i").df()
    return frame["k"]


def _key_column(inspection: Inspection, table: str) -> str:
    key = inspection.schema.tables[table].primary_key
    if not key or len(key) != 1:  # binding requires it of FOR EACH; kept as a message, not an assert
        raise RelpoolError(f"entities are named by a single-column primary key, which '{table}' lacks")
    return key[0]


def _listed(keys: list[object]) -> str:
    shown = ", ".join(repr(k) for k in keys[:SHOWN])
    return shown + (f" (and {len(keys) - SHOWN} more)" if len(keys) > SHOWN else "")
