"""Parquet and CSV files, written beside their place and renamed into it (:func:`relpool.files.write_atomically`).

Appending keeps the earlier rows as they are: a CSV file's bytes are copied and the new rows added
after them without a header; a Parquet file's rows are read back and the new ones converted to its schema.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.sinks.columns import check_same_columns, lists_as_json
from relpool.sinks.target import FileTarget, already_exists


def write_file(target: FileTarget, frame: pd.DataFrame, mode: str) -> None:
    path = target.path
    if path.exists() and mode == "create":
        raise already_exists(target)
    append = mode == "append" and path.exists()
    if target.format == "csv":
        frame = lists_as_json(frame)
        header = _csv_header(target) if append else None
        if header is not None:
            check_same_columns(header, frame, target)
        write_atomically(path, lambda tmp: _write_csv(frame, tmp, path, header))
    else:
        table = _parquet_rows(target, frame) if append else pa.Table.from_pandas(frame, preserve_index=False)
        write_atomically(path, lambda tmp: pq.write_table(table, tmp))


def _write_csv(frame: pd.DataFrame, tmp: Path, path: Path, header: list[str] | None) -> None:
    """The whole frame; or, given the existing file's ``header``, the file's bytes and then the new rows."""
    if header is None:
        frame.to_csv(tmp, index=False)
        return
    shutil.copyfile(path, tmp)
    with tmp.open("rb+") as f:
        if f.seek(0, os.SEEK_END):
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # the last line lacks its newline
                f.write(b"\n")
    frame[header].to_csv(tmp, mode="a", header=False, index=False)


def _csv_header(target: FileTarget) -> list[str]:
    try:
        return list(pd.read_csv(target.path, nrows=0).columns)
    except (OSError, ValueError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise RelpoolError(f"cannot append to {target}: it is not a readable CSV file ({exc})") from None


def _parquet_rows(target: FileTarget, frame: pd.DataFrame) -> pa.Table:
    """The existing file's rows and then the new ones, in the file's own schema."""
    try:
        earlier = pq.read_table(target.path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise RelpoolError(f"cannot append to {target}: it is not a readable Parquet file ({exc})") from None
    check_same_columns(earlier.column_names, frame, target)
    try:
        new = pa.Table.from_pandas(frame[earlier.column_names], schema=earlier.schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise RelpoolError(f"cannot append to {target}: the predictions' types are not its own ({exc})") from None
    return pa.concat_tables([earlier, new])
