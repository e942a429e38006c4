"""One CSV file into the store, read by DuckDB's sniffer, with what the sniffer gets wrong caught.

- Types are sampled over the whole file, so a late odd value cannot break the load half-way.
- Not UTF-8: decoded into a temporary UTF-8 copy first (:mod:`.csv_encoding`).
- Ragged rows (fewer or more fields than the header) make the sniffer fall back to one text
  column holding whole lines, silently. One column whose name holds a delimiter is re-read with
  that delimiter; rows that still do not fit are one error naming the file and the lines.
- ``;``-separated files with decimal commas ("1,5"): such text columns are re-read as numbers.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from relpool.db.database import Database
from relpool.db.sources.csv_encoding import is_utf8, utf8_copy
from relpool.db.sql import first_row, literal, quote
from relpool.errors import RelpoolError

DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = r"[+-]?[0-9]+(,[0-9]+)?"


def add_csv(db: Database, name: str, path: Path) -> list[str] | None:
    """Read ``path`` into table ``name``; return the header's names as the file has them (None if unsure)."""
    try:
        return _add(db, name, path, path)
    except RelpoolError:
        if is_utf8(path):
            raise
        with utf8_copy(path) as copy:
            return _add(db, name, copy, path)


def _add(db: Database, name: str, readable: Path, path: Path) -> list[str] | None:
    db.add_sql(name, _scan(readable), what=str(path))
    columns = db.columns(name)
    if len(columns) == 1:
        header = next(iter(columns))
        delimiter = max(DELIMITERS, key=header.count)
        if header.count(delimiter):
            db.execute(f"DROP TABLE {quote(name)}")
            _check_rows_fit(db, readable, path, delimiter)
            db.add_sql(name, _scan(readable, delim=delimiter), what=str(path))
    _read_decimal_commas(db, name, readable, path)
    return _header(readable, len(db.columns(name)))


def _header(readable: Path, count: int) -> list[str] | None:
    """The first line's fields, split by the delimiter that gives ``count`` of them (a cheap look, no sniffing)."""
    opener = gzip.open if readable.name.lower().endswith(".gz") else open
    try:
        with opener(readable, "rt", encoding="utf-8-sig", errors="replace", newline="") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    for delimiter in DELIMITERS:
        fields = next(csv.reader(head.splitlines(), delimiter=delimiter), [])
        if len(fields) == count:
            return fields
    return None


def _scan(readable: Path, **options: str) -> str:
    settings = "".join(f", {key} = {literal(value)}" for key, value in options.items())
    return f"SELECT * FROM read_csv({literal(str(readable))}, auto_detect = true, sample_size = -1{settings})"


def _check_rows_fit(db: Database, readable: Path, path: Path, delimiter: str) -> None:
    """Raise naming the lines whose field count is not the header's."""
    with db.cursor() as cursor:
        try:
            cursor.execute(
                f"SELECT count(*) FROM read_csv({literal(str(readable))}, delim = {literal(delimiter)}, header = true, "
                "sample_size = -1, ignore_errors = true, store_rejects = true, "
                "rejects_table = 'relpool_rejects', rejects_scan = 'relpool_reject_scans')"
            )
            good = cursor.fetchall()[0][0]  # read to the end: the rejects tables appear only then
            made_sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'relpool_rejects'"
            made = first_row(cursor.execute(made_sql), made_sql)[0]
            bad = (
                cursor.execute("SELECT line, error_message FROM relpool_rejects ORDER BY line").fetchall()
                if made
                else []
            )
        finally:
            cursor.execute("DROP TABLE IF EXISTS relpool_rejects")
            cursor.execute("DROP TABLE IF EXISTS relpool_reject_scans")
    if bad:
        shown = repr(delimiter) if delimiter != "\t" else "tab"
        raise RelpoolError(
            f"cannot read {path}: {len(bad)} of {good + len(bad)} rows do not have the header's fields "
            f"(first at line {bad[0][0]}: {bad[0][1]}); fix those lines, or quote fields that contain {shown}"
        )


def _read_decimal_commas(db: Database, name: str, readable: Path, path: Path) -> None:
    """Re-read with ``decimal_separator = ','`` when text columns hold only numbers like 1,5."""
    before = db.columns(name)
    text = [c for c, t in before.items() if t == "VARCHAR"]
    if not text:
        return
    probes = ", ".join(
        f"bool_or(contains({quote(c)}, ',')) AND bool_and(regexp_full_match({quote(c)}, '{_DECIMAL_COMMA}'))"
        for c in text
    )
    commas = [c for c, hit in zip(text, db.row(f"SELECT {probes} FROM {quote(name)}")) if hit]
    if not commas:
        return
    delimiter = db.scalar(f"SELECT Delimiter FROM sniff_csv({literal(str(readable))})")
    if delimiter == ",":
        return  # "1,5" was a quoted field of a comma file: ambiguous, kept as text
    trial = "_relpool_decimal_trial"
    db.add_sql(trial, _scan(readable, decimal_separator=",", delim=delimiter), what=str(path))
    after = db.columns(trial)
    if list(after) == list(before) and all(after[c] == before[c] or c in commas for c in before):
        db.execute(f"DROP TABLE {quote(name)}")
        db.execute(f"ALTER TABLE {quote(trial)} RENAME TO {quote(name)}")
    else:
        db.execute(f"DROP TABLE {quote(trial)}")
