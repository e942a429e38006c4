"""Every model a run trained, side by side in metrics.json, and the one relpool serves: the best on validation.

Candidates are the trained network (the hybrid GNN, or the plain one with ``--no-features``) and each
baseline relpool can serve (:mod:`relpool.baselines.served`: the LightGBM ones; link prediction's are
count rankings). The choice is made on validation only, never test; ties keep the network. metrics.json's
``val`` and ``test`` become the chosen model's, every candidate's stay under ``models``; predict, evaluate
and explain then load the chosen one (:class:`relpool.train.predict.Model`).
"""

from __future__ import annotations

from relpool.baselines import BaselineResult
from relpool.tasks import metric_text, task_kind


def model_name(metrics: dict) -> str:
    """The trained network's name among the candidates: "hybrid" (auto-features as inputs) or "gnn"."""
    return "hybrid" if metrics.get("features") else "gnn"


def choose(metrics: dict, compared: dict[str, BaselineResult]) -> None:
    """Add ``models`` (name -> val, test, seconds), ``chosen`` and ``chosen_because`` to the network's ``metrics``,
    and make its ``val``/``test`` the chosen model's."""
    own, main = model_name(metrics), metrics["metric"]
    models = {own: {"val": metrics["val"], "test": metrics["test"], "seconds": metrics["seconds"]}}
    for kind, result in compared.items():
        models[kind] = {k: result.metrics[k] for k in ("val", "test", "seconds")}
    servable = [own, *(kind for kind, result in compared.items() if result.served is not None)]
    lower = main in task_kind(metrics["task_type"]).lower_is_better
    scored = {n: v for n in servable if (v := models[n]["val"].get(main)) is not None}
    ranked = sorted(scored, key=scored.__getitem__, reverse=not lower)  # stable: the network first among ties
    chosen = ranked[0] if ranked else own
    rivals = ", ".join(f"{n} {metric_text(v)}" for n, v in scored.items() if n != chosen)
    if chosen in scored:
        because = f"the best validation {main}: {metric_text(scored[chosen])}" + (f" (vs {rivals})" if rivals else "")
    else:
        because = f"validation {main} is undefined for every model; the trained network is kept"
    metrics.update(
        val=models[chosen]["val"], test=models[chosen]["test"], models=models, chosen=chosen, chosen_because=because
    )
