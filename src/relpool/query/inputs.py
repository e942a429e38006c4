"""The related rows an example may see: rows reachable from its entity with time <= its cutoff.

This is the time rule every input stage obeys; baselines build features from it, and the leakage
tests check it directly.
"""

from __future__ import annotations

import pandas as pd

from relpool.db.inspection import Inspection
from relpool.db.visibility import visible_sql
from relpool.errors import RelpoolError
from relpool.query.paths import find_paths


def visible_rows(inspection: Inspection, entity_table: str, table: str, examples: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` related to each example (columns ``entity``, ``cutoff``) and visible at its cutoff.

    Returns the table's columns plus ``example`` (the example's row index) and ``__t`` (the row's time).
    Rows without a time on their path are always visible, as in the graph.
    """
    paths = find_paths(inspection.database, inspection.schema, entity_table, table)
    if not paths:
        raise RelpoolError(f"'{table}' is not related to '{entity_table}' through one or two foreign keys")
    path = paths[0]
    visible = visible_sql("r.__t" if path.has_time else None, "x.cutoff")
    frame = examples[["entity", "cutoff"]].reset_index(names="example")
    with inspection.database.with_relation("__examples", frame) as cursor:
        return (
            cursor.execute(
                f"SELECT x.example, r.* FROM __examples x JOIN ({path.sql}) r ON r.__entity = x.entity "
                f"WHERE {visible} "
                f"ORDER BY x.example, r.__t"
            )
            .df()
            .drop(columns="__entity")
        )
