"""CSV files that are not UTF-8, which is all DuckDB's reader takes without a downloaded extension.

Such a file is copied, decoded, into a temporary UTF-8 file (the user's file is only read):
UTF-16 when it starts with a UTF-16 byte-order mark, else Windows-1252 (the superset of Latin-1
that spreadsheets on Windows write), its five unassigned bytes becoming U+FFFD.
"""

from __future__ import annotations

import codecs
import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_CHUNK = 1 << 20


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open(path) as f:
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def guess_encoding(path: Path) -> str:
    with _open(path) as f:
        head = f.read(2)
    return "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "cp1252"


@contextmanager
def utf8_copy(path: Path) -> Iterator[Path]:
    """A temporary UTF-8 copy of ``path``, deleted on exit."""
    encoding = guess_encoding(path)
    with tempfile.TemporaryDirectory(prefix="relpool-csv-") as folder:
        copy = Path(folder) / (path.name[:-3] if path.name.lower().endswith(".gz") else path.name)
        with _open(path) as raw, copy.open("w", encoding="utf-8", newline="") as out:
            text = codecs.getreader(encoding)(raw, "replace")  # errors="replace" (positional, as typeshed has it)
            shutil.copyfileobj(text, out, _CHUNK)
        yield copy
