"""The store's column types: whatever a reader loads is rewritten once into types every stage handles."""

from __future__ import annotations

import decimal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relpool.db import inspect_database
from relpool.db.sources import read_database
from relpool.db.store_types import store_type
from relpool.encode import HashingEmbedder
from relpool.query.task import build_task

T0 = pd.Timestamp("2022-01-01")


def _orders(n_users: int, rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "order_id": np.arange(rows),
            "user_id": rng.integers(0, n_users, rows),
            "ts": T0 + pd.to_timedelta(rng.integers(0, 200 * 86400, rows), unit="s"),
            "amount": rng.random(rows),
        }
    )


def test_pandas_tz_aware_parquet_nanoseconds_is_a_time_column(tmp_path):
    """pandas writes tz-aware columns as timestamp(ns, tz); DuckDB cannot cast TIMESTAMPTZ_NS to TIMESTAMP."""
    orders = _orders(20, 200)
    orders["ts"] = orders["ts"].dt.tz_localize("Europe/Paris")
    pd.DataFrame({"user_id": np.arange(20)}).to_parquet(tmp_path / "users.parquet")
    orders.to_parquet(tmp_path / "orders.parquet")
    inspection = inspect_database(tmp_path)
    assert inspection.database.columns("orders")["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert inspection.schema.tables["orders"].time_column == "ts"
    assert inspection.validation.errors == []
    first = inspection.database.scalar("SELECT min(ts) FROM orders")
    assert pd.Timestamp(first) == orders["ts"].min()  # the same instant, now in microseconds


@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
def test_timestamp_units_other_than_microseconds_become_timestamp(tmp_path, unit):
    values = pa.array([0, 86400, 2 * 86400], pa.int64()).cast(pa.timestamp("s")).cast(pa.timestamp(unit))
    pq.write_table(pa.table({"id": [1, 2, 3], "at": values}), tmp_path / "t.parquet")
    db = read_database(tmp_path / "t.parquet")
    assert db.columns("t")["at"] == "TIMESTAMP"
    assert db.scalar('SELECT max("at") FROM t') == pd.Timestamp("1970-01-03").to_pydatetime()


def test_decimal_and_huge_integer_keys_stay_exact_and_distinct(tmp_path):
    """DECIMAL(20, 0) ids (ETL tools), DECIMAL(12, 0), UBIGINT and HUGEINT: never floats that merge ids."""
    base, n = 10**18, 100
    big = [decimal.Decimal(base + i) for i in range(n)]
    users = pa.table(
        {
            "user_id": pa.array(big, pa.decimal128(20, 0)),
            "small_id": pa.array([decimal.Decimal(i) for i in range(n)], pa.decimal128(12, 0)),
            "u64": pa.array([2**63 + i for i in range(n)], pa.uint64()),
            "price": pa.array([decimal.Decimal(f"{i}.25") for i in range(n)], pa.decimal128(10, 2)),
        }
    )
    orders = _orders(n, 500)
    orders = pa.table(
        {
            "order_id": orders["order_id"],
            "ts": orders["ts"],
            "user_id": pa.array([decimal.Decimal(base + int(i)) for i in orders["user_id"]], pa.decimal128(20, 0)),
        }
    )
    pq.write_table(users, tmp_path / "users.parquet")
    pq.write_table(orders, tmp_path / "orders.parquet")
    inspection = inspect_database(tmp_path)
    db = inspection.database
    assert db.columns("users") == {"user_id": "BIGINT", "small_id": "BIGINT", "u64": "VARCHAR", "price": "DOUBLE"}
    assert db.columns("orders")["user_id"] == "BIGINT"
    frame = db.execute("SELECT * FROM users").df()
    assert frame["user_id"].nunique() == n and frame["user_id"].dtype == np.int64
    assert frame["u64"].nunique() == n and str(2**63) in set(frame["u64"])  # exact, as text
    assert [(fk.columns, fk.references_table) for fk in inspection.schema.tables["orders"].foreign_keys] == [
        (("user_id",), "users")
    ]
    task = build_task(inspection, "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH users.user_id")
    assert task.tables["train"]["entity"].nunique() == n


def _duckdb_with_uuid_and_enum(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    con.execute(
        "CREATE TABLE accounts AS SELECT uuid() AS account_id, i AS n, "
        "(['sad', 'ok', 'happy'][1 + i % 3])::mood AS mood, "
        "(i::HUGEINT + 170141183460469231731687303715884105000) AS huge FROM range(40) t(i)"
    )
    con.execute(
        "CREATE TABLE logins AS SELECT i AS login_id, a.account_id, uuid() AS session, "
        "TIMESTAMP '2022-01-01' + INTERVAL (i) HOUR AS at, "
        "(['sad', 'ok', 'happy'][1 + i % 3])::mood AS mood FROM range(1200) t(i) JOIN accounts a ON a.n = i % 40"
    )
    con.close()
    return path


def test_uuid_enum_and_hugeint_columns_are_text(tmp_path):
    db_path = _duckdb_with_uuid_and_enum(tmp_path / "types.duckdb")
    inspection = inspect_database(db_path)
    db = inspection.database
    assert db.columns("accounts") == {"account_id": "VARCHAR", "n": "BIGINT", "mood": "VARCHAR", "huge": "VARCHAR"}
    assert db.scalar("SELECT count(DISTINCT huge) FROM accounts") == 40
    assert inspection.schema.tables["accounts"].primary_key == ("account_id",)
    assert [fk.references_table for fk in inspection.schema.tables["logins"].foreign_keys] == ["accounts"]
    task = build_task(
        inspection, "PREDICT COUNT(logins.* WHERE logins.mood = 'happy', 0, 7, days) > 1 FOR EACH accounts.account_id"
    )
    assert task.task_type == "binary"
    multiclass = build_task(inspection, "PREDICT accounts.mood FOR EACH accounts.account_id")
    assert multiclass.task_type == "multiclass"


def test_fit_on_uuid_keys_and_columns(tmp_path):
    import relpool

    db_path = _duckdb_with_uuid_and_enum(tmp_path / "types.duckdb")
    relpool.fit(
        db_path,
        "PREDICT COUNT(logins.*, 0, 7, days) FOR EACH accounts.account_id",
        tmp_path / "m",
        channels=8,
        fanout=(4, 2),
        epochs=1,
        max_steps=2,
        batch_size=16,
        step="1 days",
        text_embedder=HashingEmbedder(8),
        baselines=False,
    )
    assert (tmp_path / "m" / "config.json").is_file()


@pytest.mark.parametrize(
    "dtype, stored",
    [
        ("TIMESTAMP", None),
        ("TIMESTAMP WITH TIME ZONE", None),
        ("TIMESTAMP_NS", "TIMESTAMP"),
        ("TIMESTAMPTZ_NS", "TIMESTAMPTZ"),
        ("UUID", "VARCHAR"),
        ("ENUM('a', 'b')", "VARCHAR"),
        ("DECIMAL(18,0)", "BIGINT"),
        ("DECIMAL(20,0)", "INTEGER?"),
        ("DECIMAL(5,3)", "DOUBLE"),
        ("HUGEINT", "INTEGER?"),
        ("UBIGINT", "INTEGER?"),
        ("BIGINT", None),
        ("UINTEGER", None),
        ("VARCHAR", None),
        ("DOUBLE", None),
        ("INTERVAL", None),
        ("BIGINT[]", None),
    ],
)
def test_store_type_rules(dtype, stored):
    assert store_type(dtype) == stored
