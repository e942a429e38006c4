"""Checks on a task's labels, at build time: a task nothing can be learnt from is one clear error.

Training would otherwise fail much later and obscurely (a loss that wants two classes, sklearn on zero
rows, a metric that is never defined). Problems only in validation or test are warnings: the model
can still be trained, but the metrics there are undefined ("n/a"). What a split's labels must hold
depends on the task's kind (:meth:`relpool.tasks.TaskKind.check_split`); the rows checked here do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relpool.errors import RelpoolError

if TYPE_CHECKING:
    from relpool.query.task import Task

SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}
MANY_TRAINING_ROWS = 500_000


def check_labels(task: Task, splits: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Raise for what makes ``splits`` unusable; return (notes, warnings) for what does not."""
    warnings = []
    for split in splits:
        _check_rows(task, split)
        warning = task.kind.check_split(task.tables[split]["label"], SPLIT_NAMES[split], split == "train")
        if warning:
            warnings.append(warning)
    if "train" in splits:
        task.kind.check_training(task.tables["train"]["label"])
    notes = []
    rows = len(task.tables["train"]) if "train" in splits else 0
    if rows > MANY_TRAINING_ROWS:
        cutoffs = len(task.cutoffs["train"])
        notes.append(
            f"{rows:,} training examples ({cutoffs:,} cutoffs); each epoch samples only --max-steps x "
            f"--batch-size of them, so a longer --step (fewer cutoffs) builds the task much faster"
        )
    return notes, warnings


def _check_rows(task: Task, split: str) -> None:
    if len(task.tables[split]):
        return
    name, dropped = SPLIT_NAMES[split], task.dropped[split]
    at = _cutoffs_text(task.cutoffs[split])
    if dropped:
        target = task.bound.aggregations[0].node if task.bound.aggregations else task.bound.query.target
        raise RelpoolError(
            f"the {name} split has no labelled examples: every one of its {dropped:,} labels "
            f"(cutoffs {at}) is NULL, because {target} has no value there"
        )
    raise RelpoolError(
        f"the {name} split has no examples: no {task.bound.entity_table} exists at its cutoffs "
        f"({at}), or none passes the query's WHERE; use --val-at / --test-at to move them"
    )


def _cutoffs_text(cutoffs: list) -> str:
    return ", ".join(str(c) for c in cutoffs) if len(cutoffs) <= 2 else f"{cutoffs[0]} .. {cutoffs[-1]}"
