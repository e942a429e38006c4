"""What an explanation says about rows: the entity a key names, each sampled row's path from the
entity (and its attention along it), its key and values read back from the store, as plain JSON values,
and the shares of tables, columns and rows an explanation reports."""

from __future__ import annotations

import datetime as dt
import math
from collections import deque

import numpy as np
import pandas as pd
from torch import Tensor
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
    return {node: [seed_type, *(edge[0][0] for edge in route)] for node, route in _routes(batch, seed_type).items()}


def path_attention(
    batch: HeteroData, seed_type: str, weights: list[dict[tuple, Tensor]]
) -> dict[tuple[str, int], float]:
    """(node type, batch index) -> the product of the attention weights along the node's path to the seed
    (the path of :func:`paths`), each edge weighed in the layer that carries the node's input over it to the
    seed: the edge next to the seed in the last layer, the one before it in the layer before, and so on.
    ``weights``: :meth:`~relpool.nn.model.RelationalModel.attention`. Nodes whose path crosses an edge type
    without weights (a pool that weighs no row above another), or is longer than the layers, get none."""
    found = {}
    for node, route in _routes(batch, seed_type).items():
        if not route or len(route) > len(weights):
            continue
        product = 1.0
        for layer, (edge_type, position) in zip(reversed(weights), route):  # the seed's edge in the last layer
            if edge_type not in layer:
                break
            product *= float(layer[edge_type][position])
        else:
            found[node] = product
    return found


def _routes(batch: HeteroData, seed_type: str) -> dict[tuple[str, int], list[tuple[tuple, int]]]:
    """(node type, batch index) -> the sampled edges (edge type, position in its edge index) from the seed
    (node 0 of ``seed_type``) to that node, the seed's first; breadth first, so the shortest such route."""
    following: dict[tuple[str, int], list[tuple[tuple[str, int], tuple, int]]] = {}
    for edge_type in batch.edge_types:  # messages flow source -> target, the sampler walked back
        source, _, target = edge_type
        index = batch[edge_type].edge_index.numpy()
        for position, (neighbour, node) in enumerate(zip(index[0].tolist(), index[1].tolist())):
            following.setdefault((target, node), []).append(((source, neighbour), edge_type, position))
    found: dict[tuple[str, int], list[tuple[tuple, int]]] = {(seed_type, 0): []}
    queue = deque([(seed_type, 0)])
    while queue:
        node = queue.popleft()
        for nxt, edge_type, position in following.get(node, []):
            if nxt not in found:
                found[nxt] = [*found[node], (edge_type, position)]
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


def shares(
    inspection: Inspection,
    names: dict[str, list[str]],
    scores: dict,
    batch,
    seed_type: str,
    top: int,
    auto: list[tuple],
    attention: dict[tuple[str, int], float],
    order: str = "score",
) -> dict:
    """tables, columns and the top rows, as shares of the total of ``scores`` ([rows, columns] per node type:
    :func:`~relpool.nn.occlusion.blend` of the occlusion row scores and the attribution's column split) and of
    a hybrid GNN's ``auto`` features ((source table, name, score): a feature is a column of its source table).
    A row with a path ``attention`` weight (:func:`~relpool.train.explain_rows.path_attention`) carries it.
    ``order``: the top rows by score, or with "attention" by that weight first (rows without one after, by score)."""
    total = float(sum(s.sum() for s in scores.values())) + sum(score for *_, score in auto) or 1.0  # all zero: 0
    tables = {t: float(s.sum()) / total for t, s in scores.items()}
    for source, _, score in auto:
        tables[source] = tables.get(source, 0.0) + score / total
    columns = [
        {"table": t, "column": c, "score": float(v) / total}
        for t, s in scores.items()
        for c, v in zip(names[t], s.sum(dim=0).tolist())
    ] + [{"table": source, "column": name, "score": score / total} for source, name, score in auto]
    ranked = sorted(
        (
            (-float(score) / total, t, int(n_id), i)
            for t in scores
            for i, (n_id, score) in enumerate(zip(batch[t].n_id.tolist(), scores[t].sum(dim=1).tolist()))
        ),
        key=(lambda r: (-attention.get((r[1], r[3]), -1.0), r)) if order == "attention" else None,
    )[:top]
    route = paths(batch, seed_type)
    looked_up = {}
    for t in dict.fromkeys(t for _, t, _, _ in ranked):
        ids = [n for _, u, n, _ in ranked if u == t]
        present = inspection.database.columns(t)
        read = [c for c in names[t] if c in present]
        time_column = inspection.schema.tables[t].time_column
        looked_up[t] = read_rows(inspection, t, ids, read + ([time_column] if time_column else []))
    rows = []
    for share, t, n_id, i in ranked:
        key, values = looked_up[t][n_id]
        row = {"table": t, "key": key, "score": -share, "path": route.get((t, i), [t]), "values": values}
        if (t, i) in attention:
            row["attention"] = attention[t, i]
        rows.append(row)
    return {
        "tables": [{"table": t, "score": s} for t, s in sorted(tables.items(), key=lambda x: (-x[1], x[0]))],
        "columns": sorted(columns, key=lambda c: (-c["score"], c["table"], c["column"])),
        "rows": rows,
    }


ORDERS = ("score", "attention")
"""How an explanation's rows are ordered: by score (|change of the output| without the row), or by the attention
weight along the row's path, which on ``bench/explain.py``'s shops picks out the signal rows of an adaptive
pool more often than the score does (docs/benchmarks.md, "Explanation faithfulness")."""


def check_known_order(order: str) -> None:
    """Refuse an unknown ``order``: before the database is read, so a typo costs no preparation."""
    if order not in ORDERS:
        raise RelpoolError(f"--order must be one of {', '.join(ORDERS)}, got '{order}'")


def check_order(order: str, weighs_rows: bool, pool: str) -> None:
    """Refuse an unknown ``order``, and "attention" for a model whose pool weighs no row above another."""
    check_known_order(order)
    if order == "attention" and not weighs_rows:
        raise RelpoolError(
            f"--order attention needs a model whose pool weighs rows (adaptive); this one pools with '{pool}'"
        )
