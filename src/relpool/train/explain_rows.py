"""What an explanation says about rows: the entity a key names, each sampled row's path from the
entity, and its key and values read back from the store, as plain JSON values."""

from __future__ import annotations

import datetime as dt
import math
from collections import deque

import numpy as np
import pandas as pd
from torch_geometric.data import HeteroData

from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.errors import RelpoolError
from relpool.train.data import key_to_dense_id

ROW_KEY = "_row"
"""The key of a row of a table without a primary key: its dense id (the store's rowid)."""


def entity_row(inspection: Inspection, table: str, key_text: str) -> tuple[int, object]:
    """The dense id of the ``table`` row whose single-column primary key is ``key_text`` (converted to
    the column's type), and the key as stored; one clear error where there is none."""
    key = inspection.schema.tables[table].primary_key
    if not key or len(key) != 1:
        what = f"its primary key is ({', '.join(key)})" if key else "it has no primary key"
        raise RelpoolError(f"--entity needs a single-column primary key of '{table}'; {what}")
    column = key[0]
    dtype = inspection.database.columns(table)[column]
    found = inspection.database.execute(
        f"SELECT rowid, {quote(column)} FROM {quote(table)} WHERE {quote(column)} = TRY_CAST(? AS {dtype}) LIMIT 1",
        [key_text],
    ).fetchall()
    if not found:
        raise RelpoolError(f"no {table} has {column} = {key_text!r}")
    return int(found[0][0]), plain(found[0][1])


def paths(batch: HeteroData, seed_type: str) -> dict[tuple[str, int], list[str]]:
    """(node type, batch index) -> the tables along the sampled edges from the seed (node 0 of
    ``seed_type``) to that node, both ends included; breadth first, so the shortest such path."""
    following: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for source, _, target in batch.edge_types:  # messages flow source -> target, the sampler walked back
        index = batch[source, _, target].edge_index.numpy()
        for neighbour, node in zip(index[0].tolist(), index[1].tolist()):
            following.setdefault((target, node), []).append((source, neighbour))
    found = {(seed_type, 0): [seed_type]}
    queue = deque([(seed_type, 0)])
    while queue:
        node = queue.popleft()
        for nxt in following.get(node, []):
            if nxt not in found:
                found[nxt] = [*found[node], nxt[0]]
                queue.append(nxt)
    return found


def read_rows(inspection: Inspection, table: str, ids: list[int], columns: list[str]) -> dict[int, tuple[dict, dict]]:
    """dense id -> (key, values) of the given rows: the key by the table's primary key (``{"_row": id}``
    without one), the values of ``columns`` (those the model reads, and the time column)."""
    schema = inspection.schema.tables[table]
    key = list(schema.primary_key or ())
    present = inspection.database.columns(table)
    wanted = [c for c in dict.fromkeys(key + columns) if c in present]
    select = ", ".join(["rowid"] + [quote(c) for c in wanted])
    with inspection.database.with_relation("__ids", pd.DataFrame({"i": np.asarray(ids, dtype=np.int64)})) as cursor:
        frame = cursor.execute(f"SELECT {select} FROM {quote(table)} WHERE rowid IN (SELECT i FROM __ids)").df()
    rows = {}
    for record in frame.to_dict("records"):
        rowid = int(record.pop("rowid"))
        row_key = {c: plain(record[c]) for c in key} if key else {ROW_KEY: rowid}
        rows[rowid] = (row_key, {c: plain(record[c]) for c in wanted if c not in key})
    return rows


def plain(value):
    """A store value as JSON has it: numbers and text as they are, times in ISO form, missing as None."""
    if isinstance(value, np.ndarray | list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def find_example(inspection, table: str, entities: pd.DataFrame, key_text: str) -> tuple[pd.DataFrame, int, object]:
    """The example (entity, cutoff) of the entity keyed ``key_text`` among ``entities``, its dense id and its key;
    one clear error when the key is unknown or the entity does not exist at the cutoff."""
    seed, key = entity_row(inspection, table, key_text)
    existing = key_to_dense_id(inspection, table, entities["entity"])
    where = np.flatnonzero(existing == seed)
    if not len(where):
        cutoff = pd.Timestamp(entities["cutoff"].iloc[0]).isoformat() if len(entities) else "the cutoff"
        raise RelpoolError(
            f"{table} {key_text!r} does not exist at {cutoff} (its row is newer, or it does not pass the query's WHERE)"
        )
    return entities.iloc[where[:1]].reset_index(drop=True), seed, key
