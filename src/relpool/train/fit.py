"""``relpool fit``: database + query -> trained model directory with metrics.

DIR/model.safetensors   best weights (safetensors: no pickle)
DIR/config.json         everything needed to rebuild: schema, query, options, encoder statistics,
                        targets, model shape, versions, and the weights' SHA-256
DIR/metrics.json        {"task_type", "metric", "val", "test", "n_train", "seconds", …}
DIR/predictions_val.parquet, predictions_test.parquet
                        entity, cutoff, label and the best model's prediction per example (for the report)
DIR/checkpoint/         the last epoch (model, optimizer, loop state), for --resume

The directory is built in ``.DIR.partial`` beside ``DIR`` and renamed into place when complete
(:mod:`relpool.train.output`): a failed run leaves nothing, Ctrl-C keeps the checkpoint for ``--resume``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from relpool.db import inspect_database
from relpool.encode import MiniLMEmbedder, materialize_database
from relpool.encode.text import embedder_to_json
from relpool.errors import Interrupted, RelpoolError
from relpool.files import write_atomically
from relpool.graph.build import build_graph
from relpool.nn.model import ModelSpec, RelationalModel
from relpool.query.task import build_task
from relpool.tasks import is_better, metric_text
from relpool.train.checkpoint import (load_json, load_tensors, optimizer_tensors, restore_optimizer, save_json,
                                      save_tensors)
from relpool.train.data import fit_targets, prepare_splits
from relpool.train.history import FEATURES as HISTORY_FEATURES
from relpool.train.loop import Loop, LoopOptions
from relpool.train.memory import check_batch_fits
from relpool.train.model_dir import write_model_dir
from relpool.train.output import FitOutput, gone_message, is_interrupt, plan_fit_output

EVAL_SEED = 12345


@dataclass
class FitOptions:
    pool: str = "adaptive"
    layers: int = 2
    channels: int = 64
    epochs: int = 10
    patience: int = 3
    loop: LoopOptions = field(default_factory=LoopOptions)
    step: str | None = None
    val_at: str | None = None
    test_at: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def fit(db, query: str, out: str | Path, options: FitOptions | None = None, schema: str | Path | None = None,
        resume: bool = False, console: Console | None = None, text_embedder=None, force: bool = False,
        finish: Callable[[Path], None] | None = None) -> dict:
    """Train on ``db`` for ``query``; write the model directory ``out``; return the metrics.

    ``finish`` is called with the folder being built, once the model is written and before it is renamed to
    ``out`` (the CLI writes the report there, so a failed report leaves no half-finished model directory).
    """
    options = options or FitOptions()
    console = console or Console(stderr=True)
    protected = [p for p in (db, schema) if isinstance(p, (str, Path))]
    output = plan_fit_output(out, protected, resume=resume, force=force)
    try:
        return _fit(db, query, output, options, schema, resume, console, text_embedder, finish)
    except BaseException as exc:
        if is_interrupt(exc):  # Ctrl-C, also as DuckDB's "Query interrupted" during a query
            if output.in_use and (output.checkpoint / "state.json").is_file():
                raise Interrupted("interrupted; resume with --resume") from None
            output.staged.discard()
            raise Interrupted("interrupted; nothing was written") from None
        gone = output.in_use and not output.staged.partial.is_dir()
        output.staged.discard()
        if gone and isinstance(exc, (OSError, RelpoolError)):
            raise RelpoolError(gone_message(output.staged.partial)) from None
        if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "memory" in str(exc).lower()):
            # torch's allocator: "DefaultCPUAllocator: not enough memory: ..."
            raise RelpoolError(_out_of_memory(options)) from None
        raise
    finally:
        output.staged.release()


def _out_of_memory(options: FitOptions) -> str:
    loop = options.loop
    return (f"ran out of memory training with --fanout {','.join(map(str, loop.fanout))}, --batch-size "
            f"{loop.batch_size} and --channels {options.channels}; lower them")


def _fit(db, query: str, output: FitOutput, options: FitOptions, schema, resume: bool, console: Console,
         text_embedder, finish) -> dict:
    started = time.perf_counter()
    torch.set_num_threads(options.loop.threads)

    with console.status("Reading the database, building the task, graph and column encoders…"):
        inspection = inspect_database(db, schema)
        inspection.raise_for_errors()
        task = build_task(inspection, query, options.step, options.val_at, options.test_at)
        graph = build_graph(inspection).graph
        stats_cutoff = task.cutoffs["val"][0]
        embedder = text_embedder or MiniLMEmbedder()
        tables = materialize_database(inspection, stats_cutoff=stats_cutoff, text_embedder=embedder,
                                      hidden_columns=task.bound.hidden_columns)
        targets = fit_targets(task, inspection)
        splits = prepare_splits(inspection, task, targets)
        check_batch_fits(graph, task.bound.entity_table, splits["train"].seeds, splits["train"].cutoffs,
                         fanout=options.loop.fanout, strategy=options.loop.strategy,
                         batch_size=options.loop.batch_size, channels=options.channels, layers=options.layers)
    for note in task.bound.notes + task.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    for warning in task.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False, soft_wrap=True)
    k = task.bound.query.rank_top
    kind = task.kind
    metric = kind.main_metric(k)
    spec = ModelSpec(
        task_type=task.task_type, entity_table=task.bound.entity_table, node_types=graph.node_types,
        edge_types=[list(e) for e in graph.edge_types],
        out_dim=kind.out_dim(targets), channels=options.channels, layers=options.layers,
        pool=options.pool, item_table=task.bound.item_table, num_items=len(targets.item_keys or []),
        history_features=len(HISTORY_FEATURES) if kind.ranks_items else 0)
    torch.manual_seed(options.loop.seed)
    model = RelationalModel(spec, {t: e.col_stats for t, e in tables.items()},
                            {t: e.tensor_frame.col_names_dict for t, e in tables.items()})
    loop = Loop(model, graph, tables, targets, options.loop)

    state = {"epoch": 0, "best": None, "best_epoch": 0, "bad_epochs": 0, "history": []}
    run_id = _run_identity(query, options, embedder_to_json(embedder))
    out = output.create()
    checkpoint_dir = output.checkpoint
    if resume and (checkpoint_dir / "state.json").exists():
        state = _restore(checkpoint_dir, loop, run_id, output.staged.final)
        console.print(f"resuming after epoch {state['epoch']}")
        if state["bad_epochs"] >= options.patience and state["epoch"] < options.epochs:
            console.print(f"note: that run had stopped early ({state['bad_epochs']} epochs without improvement); "
                          f"a larger --patience trains on", highlight=False)
    elif resume:
        console.print(f"note: no checkpoint to resume in {output.staged.final}; training from the start")
    best_weights = load_tensors(checkpoint_dir / f"best-{state['best_epoch']}.safetensors") if state["best_epoch"] else None

    def predict(split: str) -> pd.DataFrame:
        """The split's examples (entity, cutoff, label) beside the model's predictions."""
        data = splits[split]
        outputs = loop.predict_outputs(data.seeds, data.cutoffs, EVAL_SEED, data.history)
        return pd.concat([data.frame.reset_index(drop=True), kind.predictions(outputs, targets, k)], axis=1)

    def evaluate(predicted: pd.DataFrame) -> dict[str, float]:
        return kind.score(predicted["label"], predicted[kind.column], k)

    steps = len(loop.steps(splits["train"], 0))
    with _progress(console) as progress:
        epochs = progress.add_task("epochs", total=options.epochs, completed=state["epoch"], info="")
        batches = progress.add_task("batches", total=steps, info="")
        for epoch in range(state["epoch"] + 1, options.epochs + 1):
            if state["bad_epochs"] >= options.patience:
                break
            progress.reset(batches, total=steps)
            loss = loop.train_epoch(splits["train"], epoch, on_step=lambda value: progress.update(
                batches, advance=1, info=f"loss {value:.4f}"))
            val = evaluate(predict("val"))
            state["history"].append({"epoch": epoch, "loss": loss, "val": val})
            if val[metric] is None and state["best"] is None:
                # Undefined on validation (one class there): nothing to stop early on; keep the latest epoch.
                state.update(best_epoch=epoch, bad_epochs=0)
                best_weights = {k: v.clone() for k, v in model.state_dict().items()}
            elif val[metric] is not None and is_better(metric, val[metric], state["best"]):
                state.update(best=val[metric], best_epoch=epoch, bad_epochs=0)
                best_weights = {k: v.clone() for k, v in model.state_dict().items()}
            else:
                state["bad_epochs"] += 1
            state["epoch"] = epoch
            output.check_present()
            _checkpoint(checkpoint_dir, loop, state, run_id, best_weights)
            progress.update(epochs, advance=1, info=f"val {metric} {metric_text(val[metric])} "
                                                    f"(best {metric_text(state['best'])})")

    if best_weights is None:
        raise RelpoolError("training produced no usable model: no epoch was trained")
    model.load_state_dict(best_weights)
    final = {split: predict(split) for split in ("val", "test")}
    metrics = {
        "task_type": task.task_type, "metric": metric, "val": evaluate(final["val"]), "test": evaluate(final["test"]),
        "n_train": len(splits["train"]), "n_val": len(splits["val"]), "n_test": len(splits["test"]),
        "best_epoch": state["best_epoch"], "epochs_run": state["epoch"], "history": state["history"],
        "pool": options.pool, "seconds": time.perf_counter() - started,
    }
    output.check_present()
    write_model_dir(out, model, inspection, task, tables, targets, options, stats_cutoff, metrics,
                    embedder_to_json(embedder))
    for split, predicted in final.items():
        write_atomically(out / f"predictions_{split}.parquet", lambda p, f=predicted: f.to_parquet(p, index=False))
    if finish is not None:
        finish(out)
    output.check_present()
    output.staged.commit()
    return metrics


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False)


def _checkpoint(folder: Path, loop: Loop, state: dict, run_id: dict, best_weights: dict) -> None:
    """Tensor files are named by epoch and state.json, written last, names the ones to use: a kill
    at any moment leaves a consistent checkpoint (the previous one, or this one)."""
    folder.mkdir(exist_ok=True)
    epoch, best = state["epoch"], state["best_epoch"]
    tensors, groups = optimizer_tensors(loop.optimizer)
    save_tensors(folder / f"model-{epoch}.safetensors", loop.model.state_dict())
    save_tensors(folder / f"optimizer-{epoch}.safetensors", tensors)
    if best_weights is not None and not (folder / f"best-{best}.safetensors").exists():
        save_tensors(folder / f"best-{best}.safetensors", best_weights)
    save_json(folder / "state.json", {**state, "optimizer": groups, "run": run_id})
    keep = {f"model-{epoch}.safetensors", f"optimizer-{epoch}.safetensors", f"best-{best}.safetensors", "state.json"}
    for old in folder.iterdir():
        if old.name not in keep:
            old.unlink()


# How long to train and when to stop early do not change what any epoch computes (each is seeded by
# (seed, epoch)), so a checkpoint may be continued with other values: --resume --epochs 20 trains on.
NOT_IDENTITY = ("epochs", "patience")


def _run_identity(query: str, options: FitOptions, text_embedder: dict) -> dict:
    """What a checkpoint must have been trained with to be continued: query, options and embedder."""
    kept = {k: v for k, v in options.to_dict().items() if k not in NOT_IDENTITY}
    return json.loads(json.dumps({"query": query, "options": kept, "text_embedder": text_embedder}))  # as read back


def _restore(folder: Path, loop: Loop, run_id: dict, out: Path) -> dict:
    saved = load_json(folder / "state.json")
    run = saved.get("run")
    if isinstance(run, dict) and isinstance(run.get("options"), dict):  # checkpoints that recorded them
        run = {**run, "options": {k: v for k, v in run["options"].items() if k not in NOT_IDENTITY}}
    if run != run_id:
        raise RelpoolError(f"{out} holds a checkpoint of a different run (query or options differ); "
                           f"use another --out, or --force instead of --resume to start over")
    epoch = saved["epoch"]
    try:
        loop.model.load_state_dict(load_tensors(folder / f"model-{epoch}.safetensors"))
    except RuntimeError:
        raise RelpoolError(f"the checkpoint in {out} does not fit this version's network (written by an older "
                           f"relpool?); use --force instead of --resume to start over") from None
    restore_optimizer(loop.optimizer, load_tensors(folder / f"optimizer-{epoch}.safetensors"), saved["optimizer"])
    return {k: saved[k] for k in ("epoch", "best", "best_epoch", "bad_epochs", "history")}
