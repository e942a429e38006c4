"""Checks on a task's labels, at build time: a task nothing can be learnt from is one clear error.

Training would otherwise fail much later and obscurely (a loss that wants two classes, sklearn on zero
rows, a metric that is never defined). Problems only in validation or test are warnings: the model
can still be trained, but the metrics there are undefined ("n/a").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relpool.errors import RelpoolError

if TYPE_CHECKING:
    from relpool.query.task import Task

SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}
MANY_TRAINING_ROWS = 500_000
MIN_CLASSES_FOR_ID_CHECK = 10  # a handful of classes in a tiny task is no sign of an id


def check_labels(task: "Task", splits: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Raise for what makes ``splits`` unusable; return (notes, warnings) for what does not."""
    warnings = []
    for split in splits:
        _check_rows(task, split)
        problem = _single_class(task, split)
        if problem and split == "train" and task.task_type != "regression":
            raise RelpoolError(f"{problem}: there is nothing to learn; check the query")
        if problem:
            if task.task_type == "regression" and split == "train":
                # A constant is still a valid (if trivial) regression; small test tasks have them.
                warnings.append(f"{problem}: a model can only learn that constant; check the query")
            elif task.task_type == "regression":
                warnings.append(f"{problem}: r2 is not meaningful there (MAE and RMSE still are)")
            else:
                what = "AUROC and average precision are" if task.task_type == "binary" else "some metrics are"
                warnings.append(f"{problem}: {what} undefined there (n/a)")
    if "train" in splits and task.task_type == "multiclass":
        _check_class_count(task)
    notes = []
    rows = len(task.tables["train"]) if "train" in splits else 0
    if rows > MANY_TRAINING_ROWS:
        cutoffs = len(task.cutoffs["train"])
        notes.append(f"{rows:,} training examples ({cutoffs:,} cutoffs); each epoch samples only --max-steps x "
                     f"--batch-size of them, so a longer --step (fewer cutoffs) builds the task much faster")
    return notes, warnings


def _check_rows(task: "Task", split: str) -> None:
    if len(task.tables[split]):
        return
    name, dropped = SPLIT_NAMES[split], task.dropped[split]
    at = _cutoffs_text(task.cutoffs[split])
    if dropped:
        target = task.bound.aggregations[0].node if task.bound.aggregations else task.bound.query.target
        raise RelpoolError(f"the {name} split has no labelled examples: every one of its {dropped:,} labels "
                           f"(cutoffs {at}) is NULL, because {target} has no value there")
    raise RelpoolError(f"the {name} split has no examples: no {task.bound.entity_table} exists at its cutoffs "
                       f"({at}), or none passes the query's WHERE; use --val-at / --test-at to move them")


def _single_class(task: "Task", split: str) -> str | None:
    labels = task.tables[split]["label"]
    name = SPLIT_NAMES[split]
    if task.task_type == "binary":
        values = labels.astype(bool)
        if values.all() or not values.any():
            return f"the label is always {str(bool(values.iloc[0])).lower()} in the {name} examples ({len(values):,})"
    if task.task_type == "multiclass" and split == "train":
        classes = labels.astype(str).unique()
        if len(classes) == 1:
            return f"the target has only one class ({classes[0]!r}) in the {name} examples ({len(labels):,})"
    if task.task_type == "regression":
        values = labels.astype(float)
        if len(values) and values.nunique(dropna=True) == 1:
            return f"the label is always {values.iloc[0]:g} in the {name} examples ({len(values):,})"
    return None


def _check_class_count(task: "Task") -> None:
    labels = task.tables["train"]["label"].astype(str)
    classes = labels.nunique()
    if classes > MIN_CLASSES_FOR_ID_CHECK and classes > len(labels) / 2:
        raise RelpoolError(f"the target has {classes:,} classes among {len(labels):,} training examples: most "
                           f"values occur once, as an id or a time would; predict something with fewer distinct "
                           f"values (or a count or condition on it)")


def _cutoffs_text(cutoffs: list) -> str:
    return ", ".join(str(c) for c in cutoffs) if len(cutoffs) <= 2 else f"{cutoffs[0]} .. {cutoffs[-1]}"
