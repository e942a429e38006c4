"""Text embeddings on disk, keyed by a SHA-256 of each text, so a string is embedded once ever.

A cache directory holds shards, one per write: ``<uuid>/keys.npy`` (hex digests) and
``<uuid>/vectors.npy`` (float32 rows). Plain ``.npy`` read with ``allow_pickle=False``: loading a
cache can never run code. A shard is written under a hidden name and renamed into place, so
readers never see half a shard and concurrent writers never clash.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from relpool.errors import RelpoolError


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    def __init__(self, directory: str | Path, dim: int) -> None:
        self.directory = Path(directory)
        self.dim = dim
        self._index: dict[str, tuple[Path, int]] | None = None

    def lookup(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [n, dim], found [n] bool); rows not found are zeros."""
        index = self._load_index()
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        found = np.zeros(len(texts), dtype=bool)
        by_shard: dict[Path, tuple[list[int], list[int]]] = {}
        for i, text in enumerate(texts):
            hit = index.get(text_key(text))
            if hit:
                positions, rows = by_shard.setdefault(hit[0], ([], []))
                positions.append(i)
                rows.append(hit[1])
        for shard, (positions, rows) in by_shard.items():
            vectors[positions] = np.load(shard / "vectors.npy", mmap_mode="r", allow_pickle=False)[rows]
            found[positions] = True
        return vectors, found

    def store(self, texts: list[str], vectors: np.ndarray) -> None:
        if not texts:
            return
        keys = np.array([text_key(t) for t in texts], dtype="S64")
        name = uuid.uuid4().hex
        tmp, final = self.directory / f".{name}.tmp", self.directory / name
        try:
            tmp.mkdir(parents=True)
            np.save(tmp / "keys.npy", keys, allow_pickle=False)
            np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, final)
        except OSError as exc:
            raise RelpoolError(f"cannot write the text embedding cache {self.directory}: {exc.strerror}") from None
        index = self._load_index()
        for row, key in enumerate(keys):
            index[key.decode()] = (final, row)

    def _load_index(self) -> dict[str, tuple[Path, int]]:
        if self._index is None:
            index: dict[str, tuple[Path, int]] = {}
            shards = sorted(self.directory.iterdir()) if self.directory.is_dir() else []
            for shard in shards:
                if not shard.name.startswith(".") and (shard / "keys.npy").is_file():
                    self._add_shard(index, shard)
            self._index = index
        return self._index

    def _add_shard(self, index: dict[str, tuple[Path, int]], shard: Path) -> None:
        try:
            keys = np.load(shard / "keys.npy", allow_pickle=False)
            shape = np.load(shard / "vectors.npy", mmap_mode="r", allow_pickle=False).shape
        except (OSError, ValueError) as exc:
            raise RelpoolError(f"the text embedding cache shard {shard} is unreadable ({exc}); delete it") from None
        if shape != (len(keys), self.dim):
            raise RelpoolError(
                f"the text embedding cache shard {shard} holds {shape} vectors, expected "
                f"({len(keys)}, {self.dim}); delete it"
            )
        for row, key in enumerate(keys):
            index[key.decode()] = (shard, row)
