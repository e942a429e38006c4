"""Auto-features: the entity's own and parents' columns plus aggregates of every related table, per
(entity, cutoff) example, under the GNN's time rule.

The autofeat baseline trains LightGBM on them; the hybrid GNN takes them as inputs beside its sampled
subgraph, so the network sees every row of a history (not a 16-row sample) and learns what the
aggregates miss. Both compute them here, with the same two times, so the two see the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from relpool.autofeat.aggregates import aggregate_features
from relpool.autofeat.entity import entity_features
from relpool.autofeat.plan import plan_groups
from relpool.autofeat.table import FeatureTable, registered
from relpool.autofeat.wanted import wanted_groups
from relpool.db.inspection import Inspection
from relpool.query.bind import BoundQuery
from relpool.query.task import Task

__all__ = ["FeatureTable", "FeatureTimes", "auto_features", "registered"]


@dataclass(frozen=True)
class FeatureTimes:
    """Which rows decide the features' shape: categories' top values are counted at the last training cutoff,
    and tables without a time column are bounded by the first validation cutoff (as the GNN's encoders are)."""

    last_train: pd.Timestamp
    first_val: pd.Timestamp | None

    def to_json(self) -> dict:
        first = None if self.first_val is None else self.first_val.isoformat()
        return {"last_train": self.last_train.isoformat(), "first_val": first}

    @staticmethod
    def of_task(task: Task) -> FeatureTimes:
        """A task's: its last training cutoff and first validation cutoff."""
        return FeatureTimes(task.tables["train"]["cutoff"].max(), min(task.tables["val"]["cutoff"], default=None))

    @staticmethod
    def from_json(data: dict) -> FeatureTimes:
        first = data["first_val"]
        return FeatureTimes(pd.Timestamp(data["last_train"]), None if first is None else pd.Timestamp(first))


def auto_features(
    inspection: Inspection,
    bound: BoundQuery,
    times: FeatureTimes,
    aggregates: bool = True,
    track: Callable[[Iterable, str], Iterable] = lambda items, _: items,
    wanted: Sequence[str] | None = None,
) -> FeatureTable:
    """Features of the registered examples (:func:`registered`): the entity's columns only, or with
    ``aggregates`` also its parents' columns and every related table's aggregates.

    ``wanted`` (a trained model's feature names): only those, planned from their names (:mod:`.wanted`), the
    same values as the full computation's.
    """
    own = entity_features(inspection, bound, with_parents=aggregates, cutoff=times.first_val, wanted=wanted)
    if not aggregates:
        return own
    if wanted is None:
        groups = plan_groups(inspection, bound.entity_table, times.last_train, times.first_val)
        return FeatureTable.concat([own, aggregate_features(inspection.database, groups, track=track)])
    groups = wanted_groups(inspection, bound.entity_table, wanted)
    return FeatureTable.concat([own, aggregate_features(inspection.database, groups, track=track, wanted=set(wanted))])
