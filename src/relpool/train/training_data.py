"""What one ``relpool fit`` trains on, prepared once, and the network it trains (its shape from the task and
the prepared data; its first weights from the seed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.progress import track

from relpool.autofeat import FeatureTable, FeatureTimes
from relpool.db.inspection import Inspection
from relpool.encode.text import TextEmbedder
from relpool.nn.model import ModelSpec, RelationalModel
from relpool.query.task import SPLITS, Task
from relpool.tasks import Targets
from relpool.train.example_features import compute_features, feature_matrix, input_columns
from relpool.train.fit_options import FitOptions
from relpool.train.history import FEATURES as HISTORY_FEATURES
from relpool.train.prepare import Prepared


@dataclass
class Training:
    """One fit's prepared inputs: the data, the task, its targets and splits, and the hybrid GNN's features."""

    prepared: Prepared
    task: Task
    targets: Targets
    splits: dict
    embedder: TextEmbedder
    features: FeatureTable | None = None
    feature_columns: list[str] = field(default_factory=list)
    feature_times: FeatureTimes | None = None


def add_features(training: Training, console: Console) -> None:
    """The hybrid GNN's inputs: every example's auto-features, computed once for all three splits (the
    autofeat baseline reuses them), the columns chosen on the training examples."""
    task, inspection = training.task, training.prepared.inspection
    times = FeatureTimes.of_task(task)
    examples = pd.concat([task.tables[s] for s in SPLITS], ignore_index=True)
    split = np.repeat(SPLITS, [len(task.tables[s]) for s in SPLITS])
    table = compute_features(
        inspection,
        task.bound,
        times,
        examples,
        track=lambda items, what: track(items, f"{what} (auto-features)", console=console, transient=True),
    )
    columns = input_columns(table, split == "train")
    matrix = feature_matrix(table, columns)
    for name in SPLITS:
        training.splits[name].features = matrix[torch.as_tensor(split == name)]
    training.features, training.feature_columns, training.feature_times = table, columns, times


def build_network(training: Training, options: FitOptions) -> RelationalModel:
    task, targets, graph = training.task, training.targets, training.prepared.graph
    spec = ModelSpec(
        task_type=task.task_type,
        entity_table=task.bound.entity_table,
        node_types=graph.node_types,
        edge_types=[list(e) for e in graph.edge_types],
        out_dim=task.kind.out_dim(targets),
        channels=options.channels,
        layers=options.layers,
        pool=options.pool,
        pool_query=options.pool_query,
        pool_options=options.pool_options,
        item_table=task.bound.item_table,
        num_items=len(targets.item_keys or []),
        history_features=len(HISTORY_FEATURES) if task.kind.ranks_items else 0,
        entity_features=training.feature_columns,
    )
    torch.manual_seed(options.loop.seed)
    model = RelationalModel(spec, training.prepared.col_stats, training.prepared.col_names)
    if model.features is not None:
        train = training.splits["train"].features
        assert train is not None  # set with the feature columns
        model.features.fit(train.numpy())
    return model


@dataclass
class FitRun:
    """What a finished training run hands to whatever runs after it (baselines, the report, another network
    on the same data), so nothing is read twice."""

    training: Training  # the prepared database, task, splits and auto-features
    metrics: dict

    @property
    def inspection(self) -> Inspection:
        return self.training.prepared.inspection

    @property
    def task(self) -> Task:
        return self.training.task

    @property
    def features(self) -> FeatureTable | None:
        """The auto-features of the train, val and test examples, in that order."""
        return self.training.features
