"""Which models the report compares, under the names its tables, plots and predictions share.

A run's metrics may list its candidates (``"models"``: name -> val/test metrics, with ``"chosen"`` and
``"chosen_because"``); older model directories have the GNN alone, with the baselines beside it.
Callers key the test predictions by :func:`model_label`, so a model's row and its frame meet.
"""

from __future__ import annotations

LABELS = {"gnn": "GNN", "hybrid": "hybrid GNN", "blend": "blend"}


def model_label(name: str) -> str:
    """What the report calls candidate ``name``: "gnn" -> "GNN", "hybrid" -> "hybrid GNN", a candidate
    network "hybrid-recent" -> "hybrid GNN (recent)", "blend" -> "blend", any other (entity, autofeat, …) -> "<name> baseline"."""
    network, _, variant = name.partition("-")
    if network in LABELS:
        return LABELS[network] + (f" ({variant})" if variant else "")
    return f"{name} baseline"


def candidates(gnn: dict, baselines: dict[str, dict]) -> dict[str, dict]:
    """Display name -> metrics of every model shown: the run's candidates when it lists them (then the
    baselines it does not list), else the GNN and the baselines."""
    listed = gnn.get("models") or {"gnn": gnn}
    return {
        model_label(name): m
        for name, m in {**listed, **{k: v for k, v in baselines.items() if k not in listed}}.items()
    }


def chosen_label(gnn: dict) -> str | None:
    """The display name of the candidate the run chose, when it chose among several."""
    return model_label(gnn["chosen"]) if gnn.get("models") and gnn.get("chosen") else None


def threshold(metrics: dict, split: str = "test") -> float | None:
    """The probability a binary model's F1 counts as positive from, chosen on validation, if it has one."""
    return metrics.get(split, {}).get("threshold")
