"""In Python: a dict of pandas DataFrames, one table per entry."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from relpool.db.database import Database
from relpool.errors import RelpoolError


def read_frames(frames: Mapping) -> Database:
    if not frames:
        raise RelpoolError("the dict of DataFrames is empty: give at least one table")
    db = Database.empty("dict of DataFrames")
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise RelpoolError(f"table '{name}' is a {type(frame).__name__}, expected a pandas DataFrame")
        if frame.columns.empty:
            # DuckDB cannot store a table without columns
            raise RelpoolError(f"table '{name}' has no columns; give it at least a key column, or leave it out")
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise RelpoolError(f"table '{name}' has a column Arrow cannot type: {exc}") from None
        db.add_arrow(str(name), table)
    return db
