"""Everything a training run needs, prepared once: task, graph, encoded tables, seeds and targets.

Seeds are dense node ids (store rowids) of the entity table; cutoffs are int64 UTC seconds, the
sampler's unit. Targets are tensors: 0/1 for binary, standardised values for regression, class
indices for multiclass, and item dense-id lists for link prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from relpool.db.inspection import Inspection
from relpool.db.sql import quote
from relpool.encode.materialize import EncodedTable
from relpool.errors import RelpoolError
from relpool.query.task import SPLITS, Task
from relpool.tasks import Targets, task_kind
from relpool.train.history import ItemHistory, item_history


@dataclass
class SplitData:
    frame: pd.DataFrame  # entity, cutoff, label as the task built them
    seeds: np.ndarray  # int64 dense ids of the entity table
    cutoffs: np.ndarray  # int64 seconds
    target: torch.Tensor | list[torch.Tensor]
    history: ItemHistory | None = None  # link prediction: each example's past uses of items
    features: torch.Tensor | None = None  # the hybrid GNN: each example's auto-features, [examples, features]

    def __len__(self) -> int:
        return len(self.seeds)


def key_to_dense_id(inspection: Inspection, table: str, keys: pd.Series) -> np.ndarray:
    """Dense ids (rowids) of the rows of ``table`` whose single-column primary key is in ``keys``; -1 if none."""
    key = _key_column(inspection, table)
    frame = pd.DataFrame({"k": keys.to_numpy(), "i": np.arange(len(keys))})
    with inspection.database.with_relation("__keys", frame) as cursor:
        ids = cursor.execute(
            f"SELECT coalesce(t.rowid, -1) FROM __keys x LEFT JOIN {quote(table)} t "
            f"ON t.{quote(key)} = x.k ORDER BY x.i"
        ).fetchnumpy()
    return np.asarray(next(iter(ids.values())), dtype=np.int64)


def _key_column(inspection: Inspection, table: str) -> str:
    """The single primary-key column of ``table`` (binding checked that the entity and item tables have one)."""
    key = inspection.schema.tables[table].primary_key
    assert key is not None
    return key[0]


def cutoff_seconds(cutoffs: pd.Series) -> np.ndarray:
    return cutoffs.to_numpy().astype("datetime64[s]").astype(np.int64)


def fit_targets(task: Task, inspection: Inspection) -> Targets:
    """The task's kind fits them on the training labels; ranking kinds also get every item's key."""
    item_keys = None
    if task.kind.ranks_items:
        item_table = task.bound.item_table
        assert item_table is not None  # a ranking query names its item table
        key = _key_column(inspection, item_table)
        keys = inspection.database.execute(f"SELECT {quote(key)} FROM {quote(item_table)} ORDER BY rowid").fetchnumpy()[
            key
        ]
        item_keys = [k.item() if hasattr(k, "item") else k for k in keys]
    return task.kind.fit_targets(task.tables["train"]["label"], item_keys)


def split_data(inspection: Inspection, task: Task, targets: Targets, split: str, history: bool = True) -> SplitData:
    """The split's seeds, cutoffs and targets; with ``history``, link prediction's past uses too."""
    frame = task.tables[split]
    seeds = key_to_dense_id(inspection, task.bound.entity_table, frame["entity"])
    if (seeds < 0).any():
        raise RelpoolError(f"{int((seeds < 0).sum())} {split} entities are missing from '{task.bound.entity_table}'")
    uses = item_history(inspection, task.bound, frame, targets.item_keys) if history and targets.item_keys else None
    target = task_kind(targets.task_type).encode(frame["label"], targets)
    return SplitData(frame, seeds, cutoff_seconds(frame["cutoff"]), target, uses)


def prepare_splits(
    inspection: Inspection, task: Task, targets: Targets, splits: tuple[str, ...] = SPLITS, history: bool = True
) -> dict[str, SplitData]:
    return {split: split_data(inspection, task, targets, split, history) for split in splits}


def gather_frames(tables: dict[str, EncodedTable], batch) -> dict:
    """Each node type's encoded rows for the nodes of a sampled batch."""
    return {t: tables[t].tensor_frame[batch[t].n_id] for t in batch.node_types if batch[t].num_nodes}
