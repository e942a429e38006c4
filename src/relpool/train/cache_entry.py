"""One entry of the prepared-data cache: a folder written whole, or not at all, and trusted only when complete.

An entry is filled in a hidden temporary folder beside its final name and renamed into place after its
manifest, written last, lists every file with its size. Reading checks the manifest and the sizes; an
entry without a manifest, with a missing or resized file, or whose arrays fail to load is damaged: the
caller rebuilds it, never trusting a half-written entry (a killed run, a full disk, a concurrent writer).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict | None:
    """The entry's manifest when the entry is complete, else None (no entry, or a damaged one)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
        if all((folder / name).stat().st_size == size for name, size in files.items()):
            return manifest
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def write_entry(folder: Path, fill: Callable[[Path], dict]) -> None:
    """``fill`` writes the entry's files into a temporary folder and returns its manifest; the folder then
    replaces ``folder`` (a damaged entry there is removed). A concurrent writer's complete entry is kept."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    try:
        tmp.mkdir(parents=True)
        manifest = fill(tmp)
        manifest["files"] = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        (tmp / MANIFEST).write_text(json.dumps(manifest))
        if folder.exists():
            if read_manifest(folder) is not None:  # another process stored it meanwhile
                return
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_entry(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
