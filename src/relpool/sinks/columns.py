"""The columns every written prediction carries beside predict's own, and list values in text-only stores.

``model_id`` says which trained model made a row and ``created_at`` (UTC, one instant per write) when,
so rows appended over many runs stay attributable. Link prediction's top-k lists stay lists where the
store has them (Parquet, DuckDB) and become JSON text where it has not (CSV, SQLite, other SQL servers).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from relpool.errors import RelpoolError

MODEL_ID, CREATED_AT = "model_id", "created_at"


def with_provenance(predictions: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """``predictions`` with ``model_id`` and ``created_at`` (now, UTC) added as the last columns."""
    clash = [c for c in (MODEL_ID, CREATED_AT) if c in predictions.columns]
    if clash:
        raise RelpoolError(f"the predictions already have a column {clash[0]!r}, which relpool adds when writing")
    frame = predictions.reset_index(drop=True).copy()
    frame[MODEL_ID] = model_id
    frame[CREATED_AT] = pd.Timestamp.now(tz="UTC")
    return frame


def lists_as_json(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of lists (top-k items) as JSON text, for stores without list types."""
    listed = [c for c in frame.columns if frame[c].dtype == object and _holds_lists(frame[c])]
    if not listed:
        return frame
    return frame.assign(**{c: frame[c].map(_json) for c in listed})


def check_same_columns(existing: list[str], frame: pd.DataFrame, target: object) -> None:
    """Appending needs the table's columns to be the predictions' (in any order): one error otherwise."""
    if set(existing) != set(frame.columns):
        raise RelpoolError(
            f"cannot append to {target}: its columns ({', '.join(existing)}) are not the predictions' "
            f"({', '.join(frame.columns)}); use --mode replace or another table"
        )


def _holds_lists(column: pd.Series) -> bool:
    """A column of lists, told by its first value (predict's columns hold one kind of value each)."""
    first = column.first_valid_index()
    return first is not None and _is_list(column[first])


def _is_list(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _json(value: object) -> object:
    if not _is_list(value):
        return value  # None stays NULL
    return json.dumps([v.item() if isinstance(v, np.generic) else v for v in list(value)])  # type: ignore[call-overload]
