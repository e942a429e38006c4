"""Every model a run trained, side by side in metrics.json (``models``), and which one ``relpool`` serves.

The trained relpool model (the hybrid GNN, or the plain one with ``--no-features``) is what predict,
evaluate and explain load, so it is the one ``chosen``; the sentence beside it says plainly when a
baseline scored better on validation, the split every choice is made on (never test).
"""

from __future__ import annotations

from relpool.baselines import BaselineResult
from relpool.tasks import metric_text, task_kind


def model_name(metrics: dict) -> str:
    """The trained model's name among the candidates: "hybrid" (auto-features as inputs) or "gnn"."""
    return "hybrid" if metrics.get("features") else "gnn"


def add_comparison(metrics: dict, compared: dict[str, BaselineResult]) -> None:
    """``models`` (name -> val, test, seconds), ``chosen`` and ``chosen_because``, into ``metrics``."""
    name, main = model_name(metrics), metrics["metric"]
    models = {name: {"val": metrics["val"], "test": metrics["test"], "seconds": metrics["seconds"]}}
    for kind, result in compared.items():
        models[kind] = {k: result.metrics[k] for k in ("val", "test", "seconds")}
    lower = main in task_kind(metrics["task_type"]).lower_is_better
    scored = {n: m["val"].get(main) for n, m in models.items() if m["val"].get(main) is not None}
    best = min(scored, key=scored.__getitem__) if lower else max(scored, key=scored.__getitem__) if scored else None
    others = ", ".join(f"{n} {metric_text(v)}" for n, v in scored.items() if n != name)
    own = metric_text(metrics["val"].get(main))
    if best is None or best == name:
        because = f"the best validation {main} ({own}{'; ' + others if others else ''})"
    else:
        because = (
            f"the trained relpool model; the {best} baseline scored better on validation {main} "
            f"({metric_text(scored[best])} vs {own}), but relpool cannot serve a baseline yet"
        )
    metrics.update(models=models, chosen=name, chosen_because=because)
