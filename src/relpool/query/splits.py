"""Cutoff times for train / validation / test, as RelBench chooses them.

Test is the last cutoff whose label window still lies inside the data, validation the window before
it, and training cutoffs step back from there so no training label window overlaps validation's.
"The data" is the range of its times with the few far outside the bulk left out
(:class:`relpool.db.measure.TimeSpread`): three rows dated 9999 must not put the test cutoff in 9999,
nor one dated 1066 start 97,000 weekly training cutoffs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from relpool.db.times import utc_timestamp
from relpool.errors import RelpoolError
from relpool.query.ast import UNITS

if TYPE_CHECKING:
    from relpool.db.inspection import Inspection


# Window bounds and steps beyond two centuries are typos (and overflow DuckDB's and pandas' dates).
MAX_OFFSET = {"hours": 200 * 366 * 24, "days": 200 * 366, "weeks": 200 * 53, "months": 200 * 12, "years": 200}


def offset(n: int, unit: str) -> pd.DateOffset:
    return pd.DateOffset(**{unit: n})


def parse_step(text: str) -> tuple[int, str]:
    """'7 days' or '12 hours' -> (7, 'days')."""
    if not isinstance(text, str):
        raise RelpoolError(f"--step must be text such as '7 days', got {text!r}")
    parts = text.split()
    if len(parts) == 2 and parts[0].lstrip("+").isdigit() and parts[1].lower() in UNITS and int(parts[0]) > 0:
        n, unit = int(parts[0]), parts[1].lower()
        if n > MAX_OFFSET[unit]:
            raise RelpoolError(f"--step {text!r} is more than 200 years (at most {MAX_OFFSET[unit]:,} {unit})")
        return n, unit
    raise RelpoolError(
        f"--step must look like '7 days' (a positive number and one of {', '.join(UNITS)}), got {text!r}"
    )


def parse_time(text: str, what: str) -> pd.Timestamp:
    if isinstance(text, (int, float)) and not isinstance(text, bool):  # pandas would read nanoseconds
        raise RelpoolError(f"{what}: give a date or time such as '2013-10-01', not the number {text!r}")
    stamp = utc_timestamp(text)
    if stamp is None:
        raise RelpoolError(f"{what}: cannot read {text!r} as a date or time (e.g. 2013-10-01)")
    return stamp


@dataclass(frozen=True)
class Cutoffs:
    train: list[pd.Timestamp]
    val: list[pd.Timestamp]
    test: list[pd.Timestamp]

    def as_dict(self) -> dict[str, list[pd.Timestamp]]:
        return {"train": self.train, "val": self.val, "test": self.test}


def forecast_cutoffs(
    first: pd.Timestamp,
    last: pd.Timestamp,
    window: tuple[int, int, str],
    step: tuple[int, str] | None = None,
    val_at: pd.Timestamp | None = None,
    test_at: pd.Timestamp | None = None,
) -> Cutoffs:
    """Cutoffs for a label window (c + start, c + end] over data spanning [first, last]."""
    try:
        return _forecast_cutoffs(first, last, window, step, val_at, test_at)
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise RelpoolError(
            f"the cutoffs fall outside the dates relpool can represent; check the window "
            f"({window[0]}, {window[1]}] {window[2]}, --step, --val-at and --test-at against the "
            f"data's times {first} .. {last}"
        ) from None


def _forecast_cutoffs(first, last, window, step, val_at, test_at) -> Cutoffs:
    start, end, unit = window
    length = offset(end - start, unit)
    step_offset = offset(*step) if step else length
    latest_test = last - offset(end, unit)
    test_at = test_at if test_at is not None else latest_test
    if test_at > latest_test:
        raise RelpoolError(
            f"the test cutoff {test_at} leaves an incomplete label window: the data ends at {last}, "
            f"so the last cutoff with a full window is {latest_test}"
        )
    val_at = val_at if val_at is not None else test_at - length
    if val_at >= test_at:
        raise RelpoolError(f"the validation cutoff {val_at} must come before the test cutoff {test_at}")
    train, cutoff = [], val_at - length
    while cutoff >= first:
        train.append(cutoff)
        cutoff = cutoff - step_offset
    if not train:
        raise RelpoolError(
            f"not enough history for training: the data spans {first} .. {last}, and the first training "
            f"cutoff would be {val_at - length}; use a shorter window, --val-at or --test-at"
        )
    return Cutoffs(sorted(train), [val_at], [test_at])


def data_time_range(inspection: Inspection) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Earliest and latest in-range time over every table's time column (far-out times left out)."""
    spreads = [s for s in inspection.time_spreads.values() if s is not None and s.first is not None]
    if not spreads:
        return None
    return min(pd.Timestamp(s.first) for s in spreads), max(pd.Timestamp(s.last) for s in spreads)


def check_cutoff_in_range(inspection: Inspection, at: str | pd.Timestamp) -> str | None:
    """A warning when a prediction time lies far outside the database's times, else None.

    Far outside: before its earliest time (nothing is visible yet), or later than its latest time by
    more than the whole span of its times (every input is older than anything seen in training).
    """
    at = parse_time(at, "--at") if isinstance(at, str) else parse_time(str(pd.Timestamp(at)), "--at")
    span = data_time_range(inspection)
    if span is None:
        return None
    first, last = span
    width = max(last - first, pd.Timedelta(days=1))
    if at < first:
        return (
            f"--at {at} is before every time in the database ({first} .. {last}): no row is visible then, "
            f"so the predictions see no history"
        )
    if at > last + width:
        return (
            f"--at {at} is {(at - last).days:,} days after the newest time in the database ({first} .. {last}), "
            f"more than the data's whole span: every input row is that much older than in training"
        )
    return None
