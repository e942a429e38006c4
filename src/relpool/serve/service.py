"""One loaded model answering requests on one prepared database: what the HTTP endpoints call.

The database is read and encoded at start-up and on :meth:`Service.reload` only (:meth:`Model.prepare`
pins it), so a request is a lookup of its entities, their sampling and a forward pass. Every prediction and
explanation holds one lock: the model's DuckDB connection and network are shared state, and on a few cores
requests gain nothing from running side by side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pandas as pd
from rich.console import Console

from relpool.errors import RelpoolError
from relpool.query.splits import check_cutoff_in_range, parse_time
from relpool.train.explain_rows import plain
from relpool.train.predict import Model


class Service:
    def __init__(self, model: Model, db, console: Console | None = None):
        self.model, self.db = model, db
        # One thread for torch: a request's tensors are small, and waking a second thread on busy cores cost
        # more than it saved (the 1-entity forward pass on nycflights13: 1.5 s with 2 threads, 0.08 s with 1).
        model.threads = 1
        self._lock = threading.Lock()  # one model call at a time
        self._reloading = threading.Lock()  # one reload at a time, beside the requests
        self._quiet = Console(quiet=True)  # notes were printed once, at start-up; requests repeat none
        self._prepare(console or Console(stderr=True))

    def _prepare(self, console: Console) -> None:
        start = time.perf_counter()
        self._inspection = self.model.prepare(self.db, console)
        self.prepare_seconds = time.perf_counter() - start
        self.prepared_at = pd.Timestamp.now(tz="UTC").isoformat()

    def reload(self) -> dict:
        """Read and encode the database again (it changed). Requests go on meanwhile on the database as
        prepared before, which a failed reload leaves in place; the new one answers once it is ready."""
        with self._reloading:
            self._prepare(self._quiet)
        return self.health()

    def predict(self, entities: Sequence[str | int], at: str | None) -> list[dict]:
        """One JSON object per key: entity, cutoff and the task kind's prediction columns."""
        with self._lock:
            self._check_time(at)
            frame = self.model.predict(self.db, at=at, console=self._quiet, entities=list(entities))
        frame = frame.rename(columns={self.model.settings.entity_column: "entity"})
        return [{name: plain(value) for name, value in row.items()} for row in frame.to_dict("records")]

    def explain(self, entity: str | int, at: str | None, top: int) -> dict:
        """What ``relpool explain --json`` prints for the entity."""
        with self._lock:
            self._check_time(at)
            return self.model.explain(self.db, str(entity), at=at, top=top, console=self._quiet)

    def health(self) -> dict:
        model = self.model
        network = "hybrid" if model.spec.entity_features else "gnn"
        served = model.served.kind if model.served else ("blend" if model.blend else network)
        return {
            "status": "ok",
            "model": str(model.folder),
            "served": served,
            "task_type": model.targets.task_type,
            "entity_table": model.spec.entity_table,
            "entity_column": model.settings.entity_column,
            "prepared_at": self.prepared_at,
            "prepare_seconds": round(self.prepare_seconds, 3),
        }

    def _check_time(self, at: str | None) -> None:
        """A time outside the data is refused, where ``predict`` only warns: a service answers requests,
        and a caller who asks about a time with no history should hear it, not get a quiet guess."""
        if at is None:
            return
        parse_time(at, "at")
        problem = check_cutoff_in_range(self._inspection, at)
        if problem:
            raise RelpoolError(problem.replace("--at", "at", 1))
