"""The ``--out TARGET`` text, parsed: a Parquet/CSV file, a table in a SQLite/DuckDB file, or a table at a URL.

``preds.parquet``, ``preds.csv``, ``preds.duckdb::late_planes``, ``preds.sqlite::late_planes`` and
``postgresql://user@host/db::analytics.late_planes`` (schema optional). The text after the last ``::``
names the table; a URL's IPv6 host (``[::1]``) holds ``::`` too, so a table part with ``/`` or ``]`` in it
is no table. A file's kind comes from its header bytes when it exists (a ``.db`` file may be either),
otherwise from its suffix. Table names are plain SQL identifiers, so no quoting can go wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relpool.db.sources.duckdb_file import DUCKDB_MAGIC
from relpool.db.sources.sqlite import SQLITE_MAGIC
from relpool.errors import RelpoolError

if TYPE_CHECKING:
    import sqlalchemy as sa

FILE_SUFFIXES = {".parquet": "parquet", ".csv": "csv"}
DATABASE_SUFFIXES = {".duckdb": "duckdb", ".ddb": "duckdb", ".sqlite": "sqlite", ".sqlite3": "sqlite"}
AMBIGUOUS_SUFFIXES = (".db",)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")  # PostgreSQL cuts names at 63 bytes
EXAMPLES = "preds.parquet, preds.csv, preds.duckdb::TABLE, preds.sqlite::TABLE or postgresql://host/db::SCHEMA.TABLE"


@dataclass(frozen=True)
class FileTarget:
    """A Parquet or CSV file."""

    path: Path
    format: str  # "parquet" or "csv"

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class TableTarget:
    """A table in a SQLite or DuckDB file (``path``) or behind a SQLAlchemy URL (``url``)."""

    kind: str  # "sqlite", "duckdb" or "url"
    table: str
    schema: str | None = None
    path: Path | None = None
    url: sa.URL | None = None

    @property
    def where(self) -> str:
        """The database, as shown to the user (a URL without its password)."""
        return str(self.path) if self.url is None else self.url.render_as_string(hide_password=True)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def __str__(self) -> str:
        return f"table {self.name} in {self.where}"


Target = FileTarget | TableTarget


def parse_target(text: str) -> Target:
    """``text`` as a target, or one RelpoolError saying what is wrong with it and what a target looks like."""
    head, sep, tail = text.rpartition("::")
    if sep and "://" in text and ("/" in tail or "]" in tail):
        head, sep, tail = text, "", ""  # the '::' was inside an IPv6 host
    if not sep:
        return _file(text)
    if not head:
        raise RelpoolError(f"--out {text} names no file or URL before '::' (expected {EXAMPLES})")
    if not tail:
        raise RelpoolError(f"--out {text} names no table after '::' (expected {EXAMPLES})")
    schema, table = _table_name(tail, text)
    if "://" in head:
        return _url_table(head, schema, table, text)
    path = Path(head).expanduser()
    return _file_table(database_kind(path, text), path, schema, table, text)


def _file_table(kind: str, path: Path, schema: str | None, table: str, text: str) -> TableTarget:
    if schema is not None and kind == "sqlite":
        raise RelpoolError(f"--out {text}: a SQLite file has no schemas; name the table alone ({path}::{table})")
    return TableTarget(kind, table, schema, path=path)


def database_kind(path: Path, text: str) -> str:
    """Which database a file is ("sqlite" or "duckdb"): an existing one by its header bytes, a new one by its suffix."""
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as f:
            head = f.read(16)
        if head.startswith(SQLITE_MAGIC):
            return "sqlite"
        if head[8:12] == DUCKDB_MAGIC:
            return "duckdb"
        raise RelpoolError(f"--out {text}: {path} exists and is neither a SQLite nor a DuckDB database")
    suffix = path.suffix.lower()
    if suffix in DATABASE_SUFFIXES:
        return DATABASE_SUFFIXES[suffix]
    if suffix in AMBIGUOUS_SUFFIXES:
        raise RelpoolError(f"--out {text}: a new {suffix} file could be SQLite or DuckDB; name it .sqlite or .duckdb")
    raise RelpoolError(
        f"--out {text}: unknown database file suffix {suffix or '(none)'!r} (expected .duckdb or .sqlite)"
    )


def _file(text: str) -> FileTarget:
    if "://" in text:
        raise RelpoolError(f"--out {text} names no table; add '::TABLE' after the URL")
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES:
        return FileTarget(path, FILE_SUFFIXES[suffix])
    if suffix in DATABASE_SUFFIXES or suffix in AMBIGUOUS_SUFFIXES:
        raise RelpoolError(f"--out {text} names no table; add it after '::' ({text}::TABLE)")
    raise RelpoolError(f"--out must end in .parquet or .csv, or name a table ({EXAMPLES}), got {path.name}")


def _table_name(text: str, target: str) -> tuple[str | None, str]:
    parts = text.split(".")
    if len(parts) > 2 or not all(IDENTIFIER.fullmatch(p) for p in parts):
        raise RelpoolError(
            f"--out {target}: {text!r} is not a table name relpool writes (letters, digits and underscores, "
            "at most 63, not starting with a digit; SCHEMA.TABLE for a schema)"
        )
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _url_table(head: str, schema: str | None, table: str, text: str) -> TableTarget:
    """A ``sqlite:///`` or ``duckdb:///`` URL is its file (as the readers treat it); others stay URLs."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(head)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise RelpoolError(f"--out {text}: {head} is not a valid SQLAlchemy URL") from None
    backend = url.get_backend_name()
    if backend in ("sqlite", "duckdb"):
        if not url.database or url.database == ":memory:":
            raise RelpoolError(f"--out {text}: the URL names no file (an in-memory database would vanish)")
        path = Path(url.database).expanduser()
        kind = database_kind(path, text) if path.is_file() else backend
        return _file_table(kind, path, schema, table, text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver relpool installs
    return TableTarget("url", table, schema, url=url)


def already_exists(target: Target) -> RelpoolError:
    """The refusal of the default mode, ``create``, naming the two modes that write anyway."""
    return RelpoolError(
        f"{target} already exists; use --mode append to add the rows, or --mode replace to overwrite it"
    )
