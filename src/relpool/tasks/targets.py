"""How a task's labels become training targets, and predictions map back to labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Targets:
    """Fitted on the training labels by the task's kind; stored in config.json so a loaded model maps
    its outputs back exactly as at training (``to_dict`` is that stored form: keep its keys)."""

    task_type: str  # the kind's name
    classes: list[str] | None = None  # multiclass: index -> label
    mean: float = 0.0  # regression: targets are standardised with the training labels
    std: float = 1.0
    item_keys: list | None = None  # link prediction: item dense id -> key, at training time

    def to_dict(self) -> dict:
        return {
            "task_type": self.task_type,
            "classes": self.classes,
            "mean": self.mean,
            "std": self.std,
            "item_keys": self.item_keys,
        }
