"""Task kinds (binary, regression, multiclass, link prediction), chosen by the name config.json stores.

A kind owns what differs between them: metrics and the main one, target fitting and encoding, the
head's size, the loss, predictions and their column names, scoring, label statistics and checks,
and the LightGBM objective. Importing this package registers every kind, so ``task_kind(name)``
sees them all.
"""

from relpool.tasks.base import TaskKind, available_kinds, is_better, kind_for_family, register, task_kind
from relpool.tasks.binary import Binary
from relpool.tasks.link import Link, softmax_link_loss
from relpool.tasks.metrics import metric_text
from relpool.tasks.multiclass import Multiclass
from relpool.tasks.regression import Regression
from relpool.tasks.targets import Targets

__all__ = [
    "TaskKind",
    "Targets",
    "available_kinds",
    "is_better",
    "kind_for_family",
    "register",
    "task_kind",
    "Binary",
    "Regression",
    "Multiclass",
    "Link",
    "softmax_link_loss",
    "metric_text",
]
