"""Writing relpool's own output files: atomically, and never over the user's database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from relpool.errors import RelpoolError


def check_output_path(path: str | Path, protected: list[str | Path]) -> Path:
    """Refuse an output path that is (or is inside a folder that is) one of the user's inputs."""
    out = Path(path).expanduser().resolve()
    for item in protected:
        p = Path(str(item)).expanduser()
        if p.exists() and (out == p.resolve() or p.resolve() in out.parents):
            raise RelpoolError(f"refusing to write {path}: it would overwrite or go inside the input {item}")
    if not out.parent.is_dir():
        raise RelpoolError(f"cannot write {path}: folder {out.parent} does not exist")
    return out


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``path`` and rename it into place only if it succeeds."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
