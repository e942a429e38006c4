"""The checkpoint ``--resume`` continues from: the last epoch's weights and optimiser, the best weights, the
early-stopping state, and the identity of the run (query, options, embedder) it belongs to.

Tensor files are named by epoch and ``state.json``, written last, names the ones to use: a kill at any
moment leaves a consistent checkpoint (the previous one, or this one).
"""

from __future__ import annotations

import json
from pathlib import Path

from relpool.errors import RelpoolError
from relpool.train.checkpoint import (
    load_json,
    load_tensors,
    optimizer_tensors,
    restore_optimizer,
    save_json,
    save_tensors,
)
from relpool.train.fit_options import FitOptions
from relpool.train.loop import Loop
from relpool.train.trainer import EarlyStopping, Weights

# How long to train and when to stop early do not change what any epoch computes (each is seeded by
# (seed, epoch)), so a checkpoint may be continued with other values: --resume --epochs 20 trains on.
NOT_IDENTITY = ("epochs", "patience")


def run_identity(query: str, options: FitOptions, text_embedder: dict) -> dict:
    """What a checkpoint must have been trained with to be continued: query, options and embedder."""
    kept = {k: v for k, v in options.to_dict().items() if k not in NOT_IDENTITY}
    return json.loads(json.dumps({"query": query, "options": kept, "text_embedder": text_embedder}))  # as read back


def has_checkpoint(folder: Path) -> bool:
    return (folder / "state.json").is_file()


def save_checkpoint(folder: Path, loop: Loop, stopping: EarlyStopping, run_id: dict, best: Weights | None) -> None:
    folder.mkdir(exist_ok=True)
    epoch, best_epoch = stopping.epoch, stopping.best_epoch
    tensors, groups = optimizer_tensors(loop.optimizer)
    save_tensors(folder / f"model-{epoch}.safetensors", loop.model.state_dict())
    save_tensors(folder / f"optimizer-{epoch}.safetensors", tensors)
    if best is not None and not (folder / f"best-{best_epoch}.safetensors").exists():
        save_tensors(folder / f"best-{best_epoch}.safetensors", best)
    save_json(folder / "state.json", {**stopping.to_json(), "optimizer": groups, "run": run_id})
    keep = {
        f"model-{epoch}.safetensors",
        f"optimizer-{epoch}.safetensors",
        f"best-{best_epoch}.safetensors",
        "state.json",
    }
    for old in folder.iterdir():
        if old.name not in keep:
            old.unlink()


def restore_checkpoint(folder: Path, loop: Loop, stopping: EarlyStopping, run_id: dict, out: Path) -> Weights | None:
    """Load the last epoch into ``loop`` and ``stopping``; return the best weights so far."""
    saved = load_json(folder / "state.json")
    run = saved.get("run")
    if isinstance(run, dict) and isinstance(run.get("options"), dict):  # checkpoints that recorded them
        run = {**run, "options": {k: v for k, v in run["options"].items() if k not in NOT_IDENTITY}}
    if run != run_id:
        raise RelpoolError(
            f"{out} holds a checkpoint of a different run (query or options differ); "
            f"use another --out, or --force instead of --resume to start over"
        )
    epoch = saved["epoch"]
    try:
        loop.model.load_state_dict(load_tensors(folder / f"model-{epoch}.safetensors"))
    except RuntimeError:
        raise RelpoolError(
            f"the checkpoint in {out} does not fit this version's network (written by an older "
            f"relpool?); use --force instead of --resume to start over"
        ) from None
    restore_optimizer(loop.optimizer, load_tensors(folder / f"optimizer-{epoch}.safetensors"), saved["optimizer"])
    stopping.restore(saved)
    return load_tensors(folder / f"best-{stopping.best_epoch}.safetensors") if stopping.best_epoch else None
