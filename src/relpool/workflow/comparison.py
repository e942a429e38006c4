"""Every model a run trained, side by side in metrics.json, and the one relpool serves: the best on validation.

Candidates are the trained network (the hybrid GNN, or the plain one with ``--no-features``), each
baseline relpool can serve (:mod:`relpool.baselines.served`: the LightGBM ones; link prediction's are
count rankings) and the blend of the network with the autofeat one (:mod:`relpool.workflow.blend`, scored
on validation cross-fitted, so its tuned weight earns it no advantage). The choice is made on validation only, never test; ties keep the network. metrics.json's
``val`` and ``test`` become the chosen model's, every candidate's stay under ``models``; predict, evaluate
and explain then load the chosen one (:class:`relpool.train.predict.Model`).
"""

from __future__ import annotations

from relpool.baselines import BaselineResult
from relpool.tasks import metric_text, task_kind


def model_name(metrics: dict) -> str:
    """A trained network's name among the candidates: "hybrid" (auto-features as inputs) or "gnn", with the
    variant of a candidate network (:mod:`relpool.workflow.candidates`) after a dash: "hybrid-recent"."""
    base = "hybrid" if metrics.get("features") else "gnn"
    return f"{base}-{metrics['variant']}" if metrics.get("variant") else base


def choose(
    metrics: dict,
    compared: dict[str, BaselineResult],
    networks: dict[str, dict] | None = None,
    blend: dict | None = None,
) -> None:
    """Add ``models`` (name -> val, test, seconds), ``chosen`` and ``chosen_because`` to the served network's
    ``metrics``, and make its ``val``/``test`` the chosen model's. ``networks``: every network the run trained
    (name -> metrics, the served one first, already the best of them on validation); default ``metrics`` alone.
    Only the served network competes with the baselines and ``blend`` (its ``models`` entry: val, test, seconds,
    val_tuned, weight), which is listed as "blend" and is chosen last among ties; the other networks are listed."""
    networks = networks or {model_name(metrics): metrics}
    own, main = next(iter(networks)), metrics["metric"]
    models = {n: {"val": m["val"], "test": m["test"], "seconds": m["seconds"]} for n, m in networks.items()}
    for kind, result in compared.items():
        models[kind] = {k: result.metrics[k] for k in ("val", "test", "seconds")}
    servable = [own, *(kind for kind, result in compared.items() if result.served is not None)]
    if blend is not None:
        models["blend"] = blend
        servable.append("blend")
    lower = main in task_kind(metrics["task_type"]).lower_is_better
    scored = {n: v for n in servable if (v := models[n]["val"].get(main)) is not None}
    ranked = sorted(scored, key=scored.__getitem__, reverse=not lower)  # stable: the network first among ties
    chosen = ranked[0] if ranked else own
    listed = dict.fromkeys([*networks, *servable])  # the networks not served are shown, not compared again
    rivals = ", ".join(
        f"{n} {metric_text(v)}" for n in listed if n != chosen and (v := models[n]["val"].get(main)) is not None
    )
    if chosen in scored:
        how = f" with weight {blend['weight']:g} on the network, cross-fitted" if chosen == "blend" and blend else ""
        because = f"the best validation {main}{how}: {metric_text(scored[chosen])}" + (
            f" (vs {rivals})" if rivals else ""
        )
    else:
        because = f"validation {main} is undefined for every model; the trained network is kept"
    metrics.update(
        val=models[chosen]["val"], test=models[chosen]["test"], models=models, chosen=chosen, chosen_because=because
    )
