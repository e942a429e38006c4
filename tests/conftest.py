"""Small databases the tests build themselves, written out in every format relpool reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from postgres_server import postgres_server, server_binaries
from typer.testing import CliRunner

from relpool.cli import app


def shop_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    """customers <- transactions -> products, stores <- daily(store, day): keys, times, a composite key."""
    rng = np.random.default_rng(seed)
    n_customers, n_products, n_tx = 60, 25, 400
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "name": [f"customer {i}" for i in range(n_customers)],
            "signup": pd.date_range("2020-01-01", periods=n_customers, freq="D").strftime("%Y-%m-%d"),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": [f"P{i:03d}" for i in range(n_products)],
            "category": rng.choice(["food", "toys", "books"], n_products),
            "price": rng.uniform(1, 50, n_products).round(2),
        }
    )
    stores = pd.DataFrame({"store": ["north", "south", "east"], "opened": [1999, 2005, 2011]})
    days = pd.date_range("2020-01-01", periods=30, freq="D")
    daily = pd.DataFrame(
        {
            "store": np.repeat(stores["store"].to_numpy(), len(days)),
            "day": np.tile(days, len(stores)),
            "visitors": rng.integers(10, 500, len(days) * len(stores)),
        }
    )
    transactions = pd.DataFrame(
        {
            "transaction_id": np.arange(1000, 1000 + n_tx),
            "customer_id": rng.integers(1, n_customers + 1, n_tx),
            "product_id": rng.choice(products["product_id"].to_numpy(), n_tx),
            "store": rng.choice(stores["store"].to_numpy(), n_tx),
            "day": days[rng.integers(0, len(days), n_tx)],
            "amount": rng.uniform(1, 100, n_tx).round(2),
            "quantity": rng.integers(1, 5, n_tx),
        }
    )
    return {
        "customers": customers,
        "products": products,
        "stores": stores,
        "daily": daily,
        "transactions": transactions,
    }


SHOP_FOREIGN_KEYS = {
    ("transactions", ("customer_id",), "customers"),
    ("transactions", ("product_id",), "products"),
    ("transactions", ("store",), "stores"),
    ("transactions", ("store", "day"), "daily"),
    ("daily", ("store",), "stores"),
}


def write_sqlite(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    with sqlite3.connect(path) as con:
        for name, frame in frames.items():
            frame.to_sql(name, con, index=False)
    con.close()
    return path


def write_duckdb(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    con = duckdb.connect(str(path))
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
        con.unregister("frame")
    con.close()
    return path


def write_folder(frames: dict[str, pd.DataFrame], folder: Path, csv: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if name in csv:
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def foreign_key_set(schema) -> set:
    return {
        (name, fk.columns, fk.references_table) for name, table in schema.tables.items() for fk in table.foreign_keys
    }


@pytest.fixture
def shop() -> dict[str, pd.DataFrame]:
    return shop_frames()


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory) -> str:
    """The shop database as a SQLite file, once per test module."""
    return str(write_sqlite(shop_frames(), tmp_path_factory.mktemp("db") / "shop.sqlite"))


def pytest_configure(config):
    """Fits train the default network alone: fit's default budget also tries a candidate network, which would
    double every fit here (module-scoped fixtures included). tests/test_candidates.py passes budgets."""
    from relpool.workflow import candidates

    candidates.DEFAULT_BUDGET_MINUTES = 0.0


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def run_cli(runner):
    """Run the CLI; return (exit code, stdout, stderr)."""

    def run(*args: str):
        result = runner.invoke(app, [str(a) for a in args])
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def reads(monkeypatch):
    """The databases a loaded model read and encoded, one entry per read (a reused preparation adds none)."""
    from relpool.train import model_session as session_module

    calls = []
    original = session_module.prepare_for_model

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(session_module, "prepare_for_model", counting)
    return calls


@pytest.fixture(scope="module")
def postgres_url():
    """A real PostgreSQL server of the module's own (tests/postgres_server.py), as a URL."""
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql); .ci/run installs them")
    with postgres_server(bin_dir) as url:
        yield url
