"""Seconds to write predictions to every target kind of ``relpool predict --out``, and PostgreSQL's COPY
against pandas' INSERTs side by side.

A frame shaped as a binary task's predictions (text key, cutoff, float32 probability) of ``--rows``
rows goes through ``relpool.sinks.write_predictions`` (model_id and created_at added, one transaction
or an atomic rename) to Parquet, CSV, DuckDB, SQLite and, when the server binaries are installed, a
PostgreSQL server started for the run (tests/postgres_server.py). Each figure is the median of
``--repeats`` fresh writes (``--mode replace``). Writes bench/results/predict_targets.json.

    python bench/predict_targets.py [--rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from common import machine, versions, write_result  # noqa: E402
from postgres_server import postgres_server, server_binaries  # noqa: E402

from relpool.sinks import write_predictions  # noqa: E402
from relpool.sinks.sql_table import _copy_rows  # noqa: E402

TARGETS = {"parquet": "p.parquet", "csv": "p.csv", "duckdb": "p.duckdb::preds", "sqlite": "p.sqlite::preds"}


def predictions(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tailnum": [f"N{i:07d}" for i in range(rows)],
            "cutoff": pd.Timestamp("2013-12-01"),
            "probability": np.random.default_rng(0).random(rows).astype("float32"),
        }
    )


def median_seconds(write, repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        write("create" if i == 0 else "replace")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def insert_methods(frame: pd.DataFrame, url: str, repeats: int) -> dict[str, float]:
    """pandas' ``to_sql`` into PostgreSQL with its default INSERTs and with the sinks' COPY method."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    out = {}
    for name, method in (("insert", None), ("copy", _copy_rows)):

        def write(_mode: str, method=method) -> None:
            with engine.begin() as con:
                frame.to_sql("methods", con, if_exists="replace", index=False, method=method)

        out[name] = median_seconds(write, repeats)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame = predictions(args.rows)
    seconds: dict[str, float] = {}
    methods = None
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        targets = {kind: str(folder / name) for kind, name in TARGETS.items()}
        binaries = server_binaries()
        if binaries is not None:
            url = stack.enter_context(postgres_server(binaries))
            targets["postgresql"] = f"{url}::preds"
        for kind, target in targets.items():

            def write(mode: str, target=target) -> None:
                write_predictions(frame, target, model_id="bench", input_db=None, mode=mode)

            seconds[kind] = median_seconds(write, args.repeats)
            print(f"{kind}: {seconds[kind]:.2f} s ({args.rows / seconds[kind]:,.0f} rows/s)")
        if binaries is not None:
            methods = insert_methods(frame, url, args.repeats)
            print(f"postgresql to_sql: INSERT {methods['insert']:.2f} s, COPY {methods['copy']:.2f} s")
    result = {
        "machine": machine(),
        "versions": versions("pandas", "pyarrow", "duckdb", "sqlalchemy", "psycopg"),
        "rows": args.rows,
        "repeats": args.repeats,
        "seconds": seconds,
        "rows_per_second": {k: round(args.rows / s) for k, s in seconds.items()},
        "ratio_to_parquet": {k: round(s / seconds["parquet"], 1) for k, s in seconds.items()},
        "postgresql_to_sql_seconds": methods,
        "postgresql_insert_over_copy": round(methods["insert"] / methods["copy"], 1) if methods else None,
    }
    print(f"written {write_result('predict_targets', result)}")


if __name__ == "__main__":
    main()
