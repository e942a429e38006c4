"""Which prepared database a loaded model predicts on: read and encoded once, reused while it is unchanged.

The first call on a database reads it with the model's own schema, re-encodes every table with the
statistics and column types learned at training and loads the weights into the network; later calls on
the same unchanged database file or folder reuse all of that (:mod:`relpool.db.fingerprint`). A database
pinned by :meth:`Sessions.pin` (a server's start and reload) is reused without that check. With a cache folder
in effect (:func:`relpool.train.prepared_cache.cache_folder`) a read maps the graph and tables a previous
process stored there instead of rebuilding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from rich.console import Console

from relpool.db.fingerprint import fingerprint
from relpool.errors import RelpoolError
from relpool.graph.sampler import warm_up
from relpool.nn.model import RelationalModel
from relpool.query.bind import BoundQuery, bind
from relpool.query.parser import parse_query
from relpool.train.checkpoint import load_tensors
from relpool.train.config import ModelConfig
from relpool.train.ensemble import other_members
from relpool.train.loop import CPU, Loop
from relpool.train.prepare import Prepared, prepare_for_model
from relpool.train.prepared_cache import cache_folder


@dataclass
class Session:
    """One database prepared for this model, with the network loaded: reused while the database is unchanged."""

    fingerprint: tuple | None
    prepared: Prepared
    loop: Loop
    bound: BoundQuery
    notes: list[str] = field(default_factory=list)
    pinned: object = None  # the database argument :meth:`Sessions.pin` pinned this session to
    on_cpu: Loop | None = None  # the network on the CPU for explanations, when ``loop`` runs on a GPU


class Sessions:
    """The model directory ``folder``'s network on prepared databases, one at a time (``current``)."""

    def __init__(self, folder: Path, settings: ModelConfig, device: torch.device):
        self.folder, self.settings, self.device = folder, settings, device
        self.others = other_members(folder)  # checked now: a damaged ensemble is refused when the model loads
        self.current: Session | None = None

    def pin(self, db, console: Console) -> Session:
        """Read and encode ``db`` now and keep it for every later call on the same ``db`` argument, unchecked;
        the previous session serves until the new one is ready, so a failed reload leaves it in place."""
        session = self._read(db, console, fingerprint(db))
        session.pinned, self.current = db, session
        return session

    def get(self, db, console: Console) -> Session:
        """The session for ``db``: the pinned or cached one while ``db`` is unchanged, else ``db`` read anew."""
        if self.current is not None and _same(self.current.pinned, db):
            return self.current
        key = fingerprint(db)
        if key is None or self.current is None or self.current.fingerprint != key:
            self.current = None  # release the previous database before reading the next
            session = self._read(db, console, key)
            if key is not None:
                self.current = session
            return session
        for text in self.current.notes:
            console.print(f"note: {text}", highlight=False, soft_wrap=True)
        return self.current

    def explaining(self, session: Session) -> Loop:
        """The session's network on the CPU, where the attribution code runs."""
        if session.loop.device.type == "cpu":
            return session.loop
        if session.on_cpu is None:
            session.on_cpu = self.network(session.prepared, CPU)
        return session.on_cpu

    def _read(self, db, console: Console, key: tuple | None) -> Session:
        notes: list[str] = []

        def note(text: str) -> None:
            notes.append(text)
            console.print(f"note: {text}", highlight=False, soft_wrap=True)

        warm_up()  # the sampler's numba set-up, while the database is read
        prepared = prepare_for_model(db, self.settings, note, cache_folder())
        bound = bind(parse_query(self.settings.query), prepared.inspection)
        return Session(key, prepared, self.network(prepared), bound, notes)

    def network(self, prepared: Prepared, device: torch.device | None = None) -> Loop:
        """The model's network on ``prepared``, its weights loaded, on ``device`` (default: the model's); a
        served seed ensemble's other members (:mod:`relpool.train.ensemble`) beside it."""
        model, *others = (self._load(prepared, w) for w in [self.folder / "model.safetensors", *self.others])
        options = self.settings.options.loop
        device = device or self.device
        return Loop(model, prepared.graph, prepared.tables, self.settings.targets, options, device, others)

    def _load(self, prepared: Prepared, weights: Path) -> RelationalModel:
        model = RelationalModel(self.settings.model, prepared.col_stats, prepared.col_names)
        try:
            model.load_state_dict(load_tensors(weights))
        except RuntimeError as exc:
            raise RelpoolError(
                f"the weights {weights} do not fit the model described by {self.folder}/config.json: "
                f"{str(exc).splitlines()[0]}"
            ) from None
        return model


def _same(pinned, db) -> bool:
    """Whether ``db`` is the database argument a session was pinned to (a path by value, DataFrames by identity)."""
    return pinned is not None and (pinned is db or (isinstance(db, str | Path) and str(pinned) == str(db)))
