"""bench/relational_snr_families.py keeps an entry's seconds per S value, so invocations of other S values that
save into one entry, one after the other or at once, count each S value's time once."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))  # after the installed packages: bench has modules like common.py
from relational_snr_families import seconds_of  # noqa: E402


def test_a_fresh_entry_counts_its_own_s_values():
    assert seconds_of({}, {}, {"0.5": 10}) == {"seconds": 10, "seconds_per_snr": {"0.5": 10}}


def test_another_invocation_s_values_are_kept_and_re_saving_counts_nothing_twice():
    other = {"seconds": 20, "seconds_per_snr": {"0.05": 20}}
    first = seconds_of(other, {"0.05": {}}, {"0.5": 10})
    assert first == {"seconds": 30, "seconds_per_snr": {"0.05": 20, "0.5": 10}}
    again = seconds_of(first, {"0.05": {}}, {"0.5": 25})  # this invocation's next save reads its own entry back
    assert again == {"seconds": 45, "seconds_per_snr": {"0.05": 20, "0.5": 25}}


def test_an_entry_recorded_without_per_s_seconds_counts_its_whole_time_once():
    legacy = {"seconds": 100}
    first = seconds_of(legacy, {"0.1": {}}, {"0.5": 10})
    assert first == {"seconds": 110, "seconds_per_snr": {"0.5": 10}, "seconds_unsplit": 100}
    assert seconds_of(first, {"0.1": {}}, {"0.5": 30})["seconds"] == 130
    assert seconds_of(legacy, {}, {"0.1": 40, "0.5": 30})["seconds"] == 70  # every S run again: none kept
