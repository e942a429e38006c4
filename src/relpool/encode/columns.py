"""How a store column of a given DuckDB type is read as each semantic type, in SQL.

Both inference (to check a user's override is possible) and materialisation (to read the values)
use :func:`column_sql`, so what can be chosen is exactly what can be read.
"""

from __future__ import annotations

import torch_frame

from relpool.db.infer.profile import family, split_items_sql
from relpool.db.sql import quote
from relpool.db.times import time_expression
from relpool.errors import RelpoolError

STYPES = {
    "numerical": torch_frame.numerical,
    "categorical": torch_frame.categorical,
    "timestamp": torch_frame.timestamp,
    "multicategorical": torch_frame.multicategorical,
    "text": torch_frame.text_embedded,
}
"""relpool's semantic type (``COLUMN_TYPES`` minus ``ignore``) -> pytorch-frame stype."""


def column_sql(name: str, dtype: str, semantic: str, separator: str | None = None) -> str:
    """SQL reading column ``name`` as ``semantic``: DOUBLE, VARCHAR, TIMESTAMP or VARCHAR[]."""
    q, kind = quote(name), family(dtype)
    if semantic == "numerical" and kind in ("integer", "float", "boolean"):
        return f"CAST({q} AS DOUBLE)"
    if semantic == "numerical" and kind == "string":
        return f"TRY_CAST({q} AS DOUBLE)"  # text that is not a number is missing
    if semantic in ("categorical", "text") and kind != "list":
        return f"CAST({q} AS VARCHAR)"
    if semantic == "timestamp" and kind in ("time", "string", "integer"):
        return time_expression(name, dtype)  # the same reading of times as the rest of relpool
    if semantic == "multicategorical" and kind == "list":
        return f"CAST({q} AS VARCHAR[])"
    if semantic == "multicategorical" and kind == "string":
        return split_items_sql(name, separator) if separator else f"CASE WHEN {q} IS NOT NULL THEN [{q}] END"
    raise RelpoolError(f"column '{name}' is {dtype}, which cannot be read as {semantic}")
