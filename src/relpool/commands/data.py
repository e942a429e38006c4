"""The commands that read or write databases: inspect one, build a task's tables from it, write a synthetic one.

No model is trained here: these are the steps before ``fit``, and what ``synth`` writes is a database too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from relpool.commands.shared import DbArg, QueryArg, SchemaOpt, StepOpt, TestAtOpt, ValAtOpt, err, stdout


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
    family: Annotated[
        str,
        typer.Option(
            help="signal: a marker category's amounts carry the state; interaction: only a purchase of the "
            "customer's home category does, so no aggregate of one column shows it; affinity: only purchases "
            "near the customer's own hidden style, which its taste columns show noisily; sizes: signal with "
            "heavy-tailed weekly counts; affinity_sizes: both; affinity_level: a regression, next week's basket "
            "is the level of the purchases near the style, their number and the week's varying."
        ),
    ] = "signal",
    size_spread: Annotated[
        float, typer.Option(help="sizes families: max / min of a customer's weekly transactions.")
    ] = 100.0,
):
    """Write a synthetic shop database with a known signal fraction, the query to run and the best achievable score."""
    from relpool.synth import SynthSpec, generate

    spec = SynthSpec(
        entities=entities,
        rows_per_entity=rows_per_entity,
        snr=snr,
        seed=seed,
        format=fmt,
        periods=periods,
        family=family,
        size_spread=size_spread,
    )
    with err.status(f"Writing {entities:,} customers…"):
        truth = generate(spec, out)
    metric = truth["task"]["metric"]
    best = truth["oracle"][f"test_{metric}"]
    stdout.print(
        f"{truth['rows_total']:,} rows in {out / truth['database']} ({truth['seconds']:.1f} s); "
        f"signal in {truth['signal']['fraction']:.3f} of transactions; oracle test {metric.upper()} "
        f"{'n/a' if best is None else f'{best:.4f}'}",
        highlight=False,
        soft_wrap=True,
    )
    stdout.print(f"query: {truth['query']}", highlight=False, soft_wrap=True)
