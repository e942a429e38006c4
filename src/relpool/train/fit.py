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

import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import torch
from rich.console import Console

from relpool.db import inspect_database
from relpool.db.fingerprint import fingerprint
from relpool.db.inspection import Inspection
from relpool.encode import MiniLMEmbedder
from relpool.encode.text import embedder_to_json
from relpool.errors import Interrupted, RelpoolError
from relpool.files import write_atomically
from relpool.query.task import Task, build_task
from relpool.train import distributed
from relpool.train.data import fit_targets, prepare_splits
from relpool.train.data_parallel import Schedule, train_ranks
from relpool.train.device import resolve_device
from relpool.train.fit_options import FitOptions
from relpool.train.loop import Loop
from relpool.train.memory import check_batch_fits
from relpool.train.model_dir import write_model_dir
from relpool.train.options import check_options, check_workers, resolve_text_embedder
from relpool.train.out_of_memory import is_out_of_memory, out_of_memory
from relpool.train.output import FitOutput, gone_message, is_interrupt, plan_fit_output
from relpool.train.prepare import Cached, prepare_training, stats_cutoff
from relpool.train.prepared_cache import cache_folder
from relpool.train.progress import ProgressBars
from relpool.train.resume import has_checkpoint, restore_checkpoint, run_identity
from relpool.train.split_predictions import predict_split, score_splits
from relpool.train.trainer import Callbacks, EarlyStopping
from relpool.train.training_data import FitRun, Training, add_features, build_network
from relpool.train.workers import WorkerDied, WorkerJob, run_workers


def fit(
    db,
    query: str,
    out: str | Path,
    options: FitOptions | None = None,
    schema: str | Path | None = None,
    resume: bool = False,
    console: Console | None = None,
    text_embedder=None,
    force: bool = False,
    finish: Callable[[Path, FitRun], None] | None = None,
    inspection: Inspection | None = None,
    task: Task | None = None,
    device: str | torch.device = "cpu",
    workers: int = 1,
    training: Training | None = None,
    cache: str | Path | None = None,
) -> dict:
    """Train on ``db`` for ``query``; write the model directory ``out``; return the metrics.

    ``inspection`` (of ``db`` with ``schema``) and ``task`` (built from it for ``query`` and the options' split
    settings) are reused when a caller already has them; so is ``training`` (a previous run's prepared
    database, task, splits and auto-features, :attr:`FitRun.training`), for a network that differs from that
    run's only in how it samples and trains. ``finish`` is called with the folder being built and
    the run, once the model is written and before the folder is renamed to ``out`` (the CLI writes the report
    there, so a failed report leaves no half-finished model directory). ``device``: cpu, cuda or auto;
    ``workers``: data-parallel processes started here (:mod:`.workers`); under torchrun, its group instead.
    ``cache``: a folder keeping the prepared graph and columns memory-mapped for reuse (:mod:`.prepared_cache`).
    """
    options = options or FitOptions()
    check_options(options)  # the CLI's sentences, for options built directly too
    check_workers(workers)
    text_embedder = resolve_text_embedder(text_embedder)
    console = console or Console(stderr=True)
    device, group = resolve_device(device), distributed.from_environment()
    if group is not None:  # under torchrun: every rank reads the database; rank 0 writes the model
        if workers > 1:
            raise RelpoolError(
                "--workers starts processes on one machine; under torchrun give --nproc-per-node instead"
            )
        device = distributed.worker_device(device, group)
        distributed.join(group, device)
        if not group.main:
            return _follow(group, db, query, options, schema, Console(quiet=True), text_embedder, device)
    protected = [p for p in (db, schema) if isinstance(p, (str, Path))]
    output = plan_fit_output(out, protected, resume=resume, force=force)
    try:
        started = time.perf_counter()
        if training is None:
            cached = Cached(cache_folder(cache), db, fingerprint(db), partial(_note, console))
            training = _prepare(db, query, options, schema, console, text_embedder, inspection, task, cached)
        else:
            _check_fits(training, options)
        folder, metrics = _train(training, output, options, resume, console, started, (device, workers, group))
        if finish is not None:
            finish(folder, FitRun(training, metrics))
        output.check_present()
        output.staged.commit()
        return metrics
    except BaseException as exc:
        if is_interrupt(exc):  # Ctrl-C, also as DuckDB's "Query interrupted" during a query
            if output.in_use and has_checkpoint(output.checkpoint):
                raise Interrupted("interrupted; resume with --resume") from None
            output.staged.discard()
            raise Interrupted("interrupted; nothing was written") from None
        if isinstance(exc, WorkerDied) and output.in_use and has_checkpoint(output.checkpoint):
            raise RelpoolError(f"{exc}; the checkpoint holds the last complete epoch: continue with --resume") from None
        gone = output.in_use and not output.staged.partial.is_dir()
        output.staged.discard()
        if gone and isinstance(exc, (OSError, RelpoolError)):
            raise RelpoolError(gone_message(output.staged.partial)) from None
        if is_out_of_memory(exc):
            raise RelpoolError(out_of_memory(options, training is None, cache_folder(cache) is not None)) from None
        raise
    finally:
        output.staged.release()
        distributed.leave()


def _prepare(
    db,
    query: str,
    options: FitOptions,
    schema,
    console: Console,
    text_embedder,
    inspection: Inspection | None,
    task: Task | None,
    cached: Cached | None = None,
) -> Training:
    torch.set_num_threads(options.loop.threads)
    with console.status("Reading the database, building the task, graph and column encoders…"):
        inspection = inspection or inspect_database(db, schema)
        inspection.raise_for_errors()
        task = task or build_task(inspection, query, options.step, options.val_at, options.test_at)
        embedder = text_embedder or MiniLMEmbedder()
        prepared = prepare_training(inspection, task, embedder, cached)
        targets = fit_targets(task, inspection)
        splits = prepare_splits(inspection, task, targets)
        training = Training(prepared, task, targets, splits, embedder)
        _check_fits(training, options)
    for note in task.bound.notes + task.notes:
        _note(console, note)
    for warning in task.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False, soft_wrap=True)
    if options.features and not task.kind.ranks_items:
        add_features(training, console)
    return training


def _note(console: Console, text: str) -> None:
    console.print(f"note: {text}", highlight=False, soft_wrap=True)


def _check_fits(training: Training, options: FitOptions) -> None:
    """Refuse, before training starts, a batch whose sampled subgraph would not fit in memory."""
    torch.set_num_threads(options.loop.threads)
    train = training.splits["train"]
    check_batch_fits(
        training.prepared.graph,
        training.task.bound.entity_table,
        train.seeds,
        train.cutoffs,
        fanout=options.loop.fanout,
        strategy=options.loop.strategy,
        history_window=options.loop.history_window,
        batch_size=options.loop.batch_size,
        channels=options.channels,
        layers=options.layers,
    )


def _loop_and_schedule(
    training: Training, options: FitOptions, device: torch.device, group: distributed.Group | None, checkpoint: Path
) -> tuple[Loop, Schedule]:
    """The network on ``device`` in a fresh loop, and what it trains on (a torchrun worker with its share of
    this machine's cores)."""
    task, targets, splits = training.task, training.targets, training.splits
    k = task.bound.query.rank_top
    metric = task.kind.main_metric(k)
    loop_options = options.loop
    if group is not None:
        loop_options = replace(loop_options, threads=distributed.threads_per_worker(group, loop_options.threads))
        torch.set_num_threads(loop_options.threads)
    prepared = training.prepared
    loop = Loop(build_network(training, options), prepared.graph, prepared.tables, targets, loop_options, device)
    stopping = EarlyStopping(metric, metric in task.kind.lower_is_better, options.patience)
    run_id = run_identity(task.bound.query.text, options, embedder_to_json(training.embedder))
    return loop, Schedule(
        splits["train"], splits["val"], targets, k, stopping, None, options.epochs, checkpoint, run_id
    )


def _follow(group: distributed.Group, db, query, options, schema, console, text_embedder, device) -> dict:
    """A torchrun worker other than rank 0: the same data and network, its part of every batch; rank 0 writes."""
    try:
        training = _prepare(db, query, options, schema, console, text_embedder, None, None)
        loop, schedule = _loop_and_schedule(training, options, device, group, Path())
        train_ranks(loop, schedule, group, Callbacks())
        return {}
    finally:
        distributed.leave()


def _train(
    training: Training,
    output: FitOutput,
    options: FitOptions,
    resume: bool,
    console: Console,
    started: float,
    parallel: tuple[torch.device, int, distributed.Group | None],
) -> tuple[Path, dict]:
    """Train with early stopping (continuing a checkpoint with ``resume``), here or in ``workers`` processes;
    write the model; return its folder (the staging folder) and the metrics."""
    device, workers, group = parallel
    prepared, task, targets, splits = training.prepared, training.task, training.targets, training.splits
    loop, schedule = _loop_and_schedule(training, options, device, group, output.checkpoint)
    model, stopping, k, metric = loop.model, schedule.stopping, schedule.k, schedule.stopping.metric
    out = output.create()
    if resume and has_checkpoint(output.checkpoint):
        schedule.best = restore_checkpoint(output.checkpoint, loop, stopping, schedule.run_id, output.staged.final)
        console.print(f"resuming after epoch {stopping.epoch}")
        if stopping.stopped and stopping.epoch < options.epochs:
            console.print(
                f"note: that run had stopped early ({stopping.bad_epochs} epochs without improvement); "
                f"a larger --patience trains on",
                highlight=False,
            )
    elif resume:
        console.print(f"note: no checkpoint to resume in {output.staged.final}; training from the start")
    if workers > 1:  # rank 0 of the workers writes the checkpoint; its best weights and state are the run's
        run_workers(WorkerJob.of(loop, schedule), workers)
        best = restore_checkpoint(output.checkpoint, loop, stopping, schedule.run_id, output.staged.final)
    else:
        best = train_ranks(loop, schedule, group, ProgressBars(console), output.check_present)
    if best is None:
        raise RelpoolError("training produced no usable model: no epoch was trained")
    model.load_state_dict(best)
    final = {split: predict_split(loop, splits[split], targets, k) for split in ("val", "test")}
    scores = score_splits(final, targets, k)
    metrics = {
        "task_type": task.task_type,
        "metric": metric,
        "val": scores["val"],
        "test": scores["test"],
        "n_train": len(splits["train"]),
        "n_val": len(splits["val"]),
        "n_test": len(splits["test"]),
        "best_epoch": stopping.best_epoch,
        "epochs_run": stopping.epoch,
        "history": stopping.history,
        "pool": options.pool,
        "features": bool(training.feature_columns),
        "seconds": time.perf_counter() - started,
    }
    output.check_present()
    write_model_dir(
        out,
        model,
        prepared.inspection,
        task,
        prepared.tables,
        targets,
        options,
        stats_cutoff(task),
        metrics,
        embedder_to_json(training.embedder),
        training.feature_times,
    )
    for split, predicted in final.items():
        write_atomically(out / f"predictions_{split}.parquet", partial(predicted.to_parquet, index=False))
    return out, metrics
