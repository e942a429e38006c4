"""``--cache DIR``: a database's graph and encoded tables kept in memory-mapped files and reused.

The entry's key is the database's fingerprint (:mod:`relpool.db.fingerprint`, taken by the caller before
it reads anything, so a write during the read changes the key and the entry is never found again), its
resolved schema, how the tables are encoded (statistics cutoff, hidden columns, text embedder, or a
trained model's column types and statistics) and the versions that shape the arrays. Loaded arrays are
read-only maps of the entry's files: the process holds only the pages it touches, so a graph and columns
larger than the memory left to it still train, and the next ``fit`` or ``predict`` reads nothing anew.

A database without a fingerprint (a server URL, DataFrames) is not cached: its content may change behind
the same name. The folder is given by ``--cache``, ``relpool.fit(cache=...)``, :func:`using_cache`, or
the ``RELPOOL_CACHE`` environment variable, in that order.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path

from relpool.encode.materialize import EncodedTable
from relpool.encode.stored import load_frame, save_frame
from relpool.encode.stypes import ColumnType, TableColumnTypes
from relpool.errors import RelpoolError
from relpool.files import check_output_path, make_folders
from relpool.graph.hetero import TemporalGraph
from relpool.graph.stored import load_graph, save_graph
from relpool.train.cache_entry import read_manifest, remove_entry, write_entry
from relpool.train.model_dir import versions
from relpool.train.stats_json import col_stats_from_json, col_stats_to_json

ENV = "RELPOOL_CACHE"
Built = tuple[TemporalGraph, dict[str, EncodedTable]]
_scoped: ContextVar[str | Path | None] = ContextVar("relpool_cache", default=None)


@contextmanager
def using_cache(cache: str | Path | None) -> Iterator[None]:
    """Every preparation inside the block caches in ``cache`` (a command's ``--cache``), unless given another."""
    token = _scoped.set(cache)
    try:
        yield
    finally:
        _scoped.reset(token)


def cache_folder(cache: str | Path | None = None) -> Path | None:
    """The cache folder in effect: ``cache``, the enclosing :func:`using_cache`, else ``RELPOOL_CACHE``."""
    chosen = cache or _scoped.get() or os.environ.get(ENV) or None
    return Path(chosen).expanduser() if chosen else None


def prepared_with_cache(
    cache: Path | None,
    db,
    key: tuple | None,
    settings: dict,
    build: Callable[[], Built],
    note: Callable[[str], None],
) -> Built:
    """The graph and tables of ``db`` from the cache entry for (``key``, ``settings``), built by ``build`` and
    stored first when there is none (or a damaged one); ``build()`` itself without a cache or a ``key``."""
    if cache is None:
        return build()
    if key is None:
        note(f"--cache is not used for {_shown(db)}: a server or in-memory database has no fingerprint to check")
        return build()
    root = _open(cache, db)
    identity = json.dumps([list(key), settings, versions()], sort_keys=True, default=str)
    folder = root / hashlib.sha256(identity.encode()).hexdigest()[:32]
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("identity") == identity:
        try:
            return _load(folder, manifest)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    if folder.exists():
        note(f"the cache entry {folder} is damaged or incomplete; rebuilding it")
        remove_entry(folder)
    _build_and_store(folder, build, identity, cache)  # returns without the built arrays: the maps replace them
    manifest = read_manifest(folder)
    if manifest is None:
        raise RelpoolError(f"the cache entry {folder} vanished while it was written; run again")
    return _load(folder, manifest)


def _build_and_store(folder: Path, build: Callable[[], Built], identity: str, cache: Path) -> None:
    graph, tables = build()
    try:
        write_entry(folder, lambda tmp: _store(tmp, graph, tables, identity))
    except OSError as exc:
        raise RelpoolError(f"cannot write the cache folder {cache}: {exc.strerror or exc}") from None


def _open(cache: Path, db) -> Path:
    """The cache folder, created; refused inside the database or where it cannot be written."""
    root = check_output_path(cache, [db] if isinstance(db, (str, Path)) else [], make_parents=True)
    make_folders(root, root)
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        raise RelpoolError(f"cannot write the cache folder {cache}: it is not a writable folder")
    return root


def _store(folder: Path, graph: TemporalGraph, tables: dict[str, EncodedTable], identity: str) -> dict:
    save_graph(graph, folder / "graph")
    described = {}
    for i, (name, table) in enumerate(tables.items()):
        save_frame(table.tensor_frame, folder / "tables" / str(i))
        described[name] = {
            "col_stats": col_stats_to_json(table.col_stats),
            "column_types": {c: asdict(t) for c, t in table.column_types.columns.items()},
            "visible_rows": table.column_types.visible_rows,
            "stats_rows": table.stats_rows,
        }
    return {"identity": identity, "tables": described}


def _load(folder: Path, manifest: dict) -> Built:
    tables = {}
    for i, (name, table) in enumerate(manifest["tables"].items()):
        types = TableColumnTypes(
            name, {c: ColumnType(**t) for c, t in table["column_types"].items()}, table["visible_rows"]
        )
        frame = load_frame(folder / "tables" / str(i))
        tables[name] = EncodedTable(name, frame, col_stats_from_json(table["col_stats"]), types, table["stats_rows"])
    return load_graph(folder / "graph"), tables


def _shown(db) -> str:
    return str(db) if isinstance(db, (str, Path)) else "this database"
