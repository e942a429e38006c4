"""Where predictions go: a Parquet/CSV file, a table in a SQLite/DuckDB file, or a table behind a SQLAlchemy URL.

``open_target(TARGET, mode=..., input_db=DB)`` checks everything that can be checked before predicting
(the target's form, that ``create`` finds nothing there, the input-database rule), so a long predict
never ends in a refusal; :meth:`Destination.write` then writes atomically, adding ``model_id`` and
``created_at``. ``write_predictions`` does both at once.

The user's input database is never written to unless they name it as the target *and* pass
``allow_input_db``, and then only as a new table: appending to or replacing a table there is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from relpool.errors import RelpoolError
from relpool.files import check_output_path
from relpool.sinks.columns import with_provenance
from relpool.sinks.duckdb_table import duckdb_table_exists, write_duckdb
from relpool.sinks.flat_file import write_file
from relpool.sinks.identity import is_input_database
from relpool.sinks.target import FileTarget, TableTarget, Target, already_exists, parse_target

MODES = ("create", "append", "replace")
__all__ = ["MODES", "Destination", "open_target", "write_predictions"]


@dataclass(frozen=True)
class Destination:
    """A checked target and how to write it."""

    target: Target
    mode: str

    def write(self, predictions: pd.DataFrame, model_id: str) -> None:
        """``predictions`` with ``model_id`` and ``created_at``, all of them or (on any failure) nothing."""
        from relpool.sinks.sql_table import write_table  # SQLAlchemy: only when writing to a server table

        frame = with_provenance(predictions, model_id)
        target = self.target
        if isinstance(target, FileTarget):
            write_file(target, frame, self.mode)
        elif target.kind == "duckdb":
            write_duckdb(target, frame, self.mode)
        else:
            write_table(target, frame, self.mode)

    def __str__(self) -> str:
        return str(self.target)


def open_target(
    target: str,
    *,
    input_db,
    mode: str = "create",
    allow_input_db: bool = False,
    protect: Sequence[str | Path] = (),
) -> Destination:
    """``target`` parsed and checked against ``mode`` and the input database ``input_db`` (a DB argument,
    or None); ``protect``: other paths never to write over or into (the model directory)."""
    from relpool.sinks.sql_table import table_exists

    if mode not in MODES:
        raise RelpoolError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    parsed = parse_target(target)
    inputs = [input_db] if isinstance(input_db, (str, Path)) else []
    if isinstance(parsed, FileTarget):
        path = _checked_path(parsed.path, [*inputs, *protect], "a file name ending in .parquet or .csv")
        if path.exists() and mode == "create":
            raise already_exists(parsed)
        return Destination(FileTarget(path, parsed.format), mode)
    into_input = is_input_database(parsed, input_db)
    if into_input:
        _check_input_rules(parsed, mode, allow_input_db)
    if parsed.path is not None:
        path = _checked_path(parsed.path, [*protect] if into_input else [*inputs, *protect], "a database file")
        parsed = TableTarget(parsed.kind, parsed.table, parsed.schema, path=path)
    exists = duckdb_table_exists(parsed) if parsed.kind == "duckdb" else table_exists(parsed)
    if exists and into_input:
        raise RelpoolError(f"{parsed} already exists in the input database; relpool never writes over its tables")
    if exists and mode == "create":
        raise already_exists(parsed)
    return Destination(parsed, mode)


def write_predictions(
    predictions: pd.DataFrame,
    target: str,
    *,
    model_id: str,
    input_db,
    mode: str = "create",
    allow_input_db: bool = False,
    protect: Sequence[str | Path] = (),
) -> Destination:
    """Write ``predictions`` (``Model.predict``'s frame) to ``target`` as ``relpool predict --out`` does."""
    destination = open_target(target, input_db=input_db, mode=mode, allow_input_db=allow_input_db, protect=protect)
    destination.write(predictions, model_id)
    return destination


def _check_input_rules(target: TableTarget, mode: str, allow_input_db: bool) -> None:
    if not allow_input_db:
        raise RelpoolError(
            f"refusing to write into the input database {target.where}: relpool never changes the database it "
            "reads; write somewhere else, or pass --allow-input-db to add a new table to it"
        )
    if mode != "create":
        raise RelpoolError(
            f"--mode {mode} into the input database {target.where} is refused: "
            "relpool only adds new tables to it, never changes an existing one"
        )


def _checked_path(path: Path, protected: list, what: str) -> Path:
    checked = check_output_path(path, protected, make_parents=True)
    if checked.is_dir():
        raise RelpoolError(f"--out {path} is a folder; give {what}")
    return checked
