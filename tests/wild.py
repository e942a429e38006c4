"""A small database with the quirks of real ones, and the ways users' tools write it out.

The quirks, each one that broke relpool at first contact with a database nobody here wrote:
- integer columns holding a NULL, which pandas stores as floats (``orders.customer_id`` = 17.0,
  ``memberships.year`` = 2021.0, ``customers.birth_year``);
- text ids that look like numbers (``products.sku`` = "0101") and columns whose first rows are NULL;
- an integer-year time column (``store_years.year``) and a float one (``memberships.year``);
- two unique (foreign key, year) pairs in one table — ``store_years`` (store_id, year) and
  (chain_id, year) — where only the first is what other tables carry, as (year, store_id);
- a table so sparse (``returns``: 3 customers' orders) that most sampled batches hold none of it;
- text with quotes, ``;`` and newlines inside, and non-ASCII letters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from conftest import write_duckdb, write_sqlite  # pandas to_sql into SQLite; DuckDB from pandas

QUERY = "PREDICT COUNT(orders.*, 0, 14, days) > 0 FOR EACH customers.customer_id"
FIT = [
    "--epochs",
    "1",
    "--max-steps",
    "3",
    "--batch-size",
    "16",
    "--channels",
    "8",
    "--fanout",
    "4,2",
    "--text-embedder",
    "hashing",
    "--step",
    "7 days",
    "--no-baselines",
]


def wild_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_customers, n_orders, n_stores = 120, 1500, 6
    days = pd.date_range("2021-01-01", periods=120, freq="D")
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "zip": [f"0{rng.integers(1000, 9999)}" for _ in range(n_customers)],
            "birth_year": np.where(rng.random(n_customers) < 0.1, np.nan, rng.integers(1940, 2005, n_customers)),
            "nickname": [None] * 40 + [f"Zoë «{i}»" for i in range(n_customers - 40)],
            "signup": days[rng.integers(0, 10, n_customers)],
        }
    )
    products = pd.DataFrame(
        {
            "sku": [f"0{100 + i}" for i in range(40)],
            "category": rng.choice(["food", "toys", "books"], 40),
            "price": rng.uniform(1, 50, 40).round(2),
        }
    )
    chains = pd.DataFrame({"chain_id": np.arange(10, 10 + n_stores), "chain": [f"chain {i}" for i in range(n_stores)]})
    stores = pd.DataFrame(
        {
            "store_id": [f"S{i:02d}" for i in range(n_stores)],
            "chain_id": chains["chain_id"],
            "city": rng.choice(["Lyon", "Köln", "Oslo"], n_stores),
        }
    )
    years = [2019, 2020, 2021]
    store_years = pd.DataFrame(
        {
            "store_id": np.repeat(stores["store_id"].to_numpy(), len(years)),
            "chain_id": np.repeat(stores["chain_id"].to_numpy(), len(years)),
            "year": np.tile(years, n_stores),
            "revenue": rng.uniform(1e5, 1e6, n_stores * len(years)).round(0),
        }
    )
    twice = pd.concat([store_years[["year", "store_id"]]] * 2, ignore_index=True)  # children, not 1:1
    audits = twice.assign(audit_score=rng.uniform(0, 10, len(twice)).round(1))
    staffing = twice.assign(shift=np.repeat(["day", "night"], len(store_years)), staff=rng.integers(3, 30, len(twice)))
    customer_ids = rng.integers(1, n_customers + 1, n_orders).astype(float)
    customer_ids[rng.choice(n_orders, 5, replace=False)] = np.nan  # -> the column is float64, as pandas writes it
    notes = [None] * 30 + [
        rng.choice(['say "hi"; ring twice', "line one\nline two", "plain", "ça va"]) for _ in range(n_orders - 30)
    ]
    orders = (
        pd.DataFrame(
            {
                "order_id": np.arange(1, n_orders + 1),
                "customer_id": customer_ids,
                "sku": rng.choice(products["sku"].to_numpy(), n_orders),
                "store_id": rng.choice(stores["store_id"].to_numpy(), n_orders),
                "ordered_at": days[rng.integers(0, len(days), n_orders)]
                + pd.to_timedelta(rng.integers(0, 86400, n_orders), "s"),
                "amount": rng.uniform(1, 100, n_orders).round(2),
                "note": notes,
            }
        )
        .sort_values("ordered_at", kind="stable")
        .reset_index(drop=True)
    )
    rare = orders[orders["customer_id"].isin([3.0, 4.0, 5.0])].head(6)
    returns = pd.DataFrame(
        {
            "return_id": np.arange(1, len(rare) + 1),
            "order_id": rare["order_id"].to_numpy(),
            "returned_at": rare["ordered_at"].to_numpy() + np.timedelta64(2, "D"),
        }
    )
    memberships = pd.DataFrame(
        {
            "customer_id": np.repeat(customers["customer_id"].to_numpy()[:60], 2),
            "year": np.tile([2020.0, 2021.0], 60),
            "tier": rng.choice(["gold", "silver"], 120),
        }
    )
    memberships.loc[7, "year"] = np.nan
    return {
        "customers": customers,
        "products": products,
        "chains": chains,
        "stores": stores,
        "store_years": store_years,
        "audits": audits,
        "staffing": staffing,
        "orders": orders,
        "returns": returns,
        "memberships": memberships,
    }


# What any reading of the wild database must find (the canonical reading is the dict of frames).
WILD_KEYS = {
    "customers": ("customer_id",),
    "products": ("sku",),
    "chains": ("chain_id",),
    "stores": ("store_id",),
    "store_years": ("store_id", "year"),
    "orders": ("order_id",),
    "returns": ("return_id",),
}
WILD_FOREIGN_KEYS = {
    ("orders", ("customer_id",), "customers"),
    ("orders", ("sku",), "products"),
    ("orders", ("store_id",), "stores"),
    ("returns", ("order_id",), "orders"),
    ("memberships", ("customer_id",), "customers"),
    ("stores", ("chain_id",), "chains"),
    ("store_years", ("store_id",), "stores"),
    ("store_years", ("chain_id",), "chains"),
    ("audits", ("store_id", "year"), "store_years"),
    ("staffing", ("store_id", "year"), "store_years"),
    ("audits", ("store_id",), "stores"),
    ("staffing", ("store_id",), "stores"),
}
WILD_TIMES = {
    "customers": "signup",
    "orders": "ordered_at",
    "returns": "returned_at",
    "store_years": "year",
    "audits": "year",
    "staffing": "year",
    "memberships": "year",
}


def to_sqlite_sqlalchemy(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    """SQLAlchemy models with declared primary and foreign keys (composite ones included), rows appended."""
    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sa.MetaData()
    types = {"i": sa.Integer, "u": sa.Integer, "f": sa.Float, "M": sa.DateTime, "b": sa.Boolean}
    for name, frame in frames.items():
        columns = [sa.Column(c, types.get(frame[c].dtype.kind, sa.Text)) for c in frame.columns]
        constraints = []
        if name in WILD_KEYS:
            constraints.append(sa.PrimaryKeyConstraint(*WILD_KEYS[name]))
        for child, cols, parent in sorted(WILD_FOREIGN_KEYS):
            if child == name:
                constraints.append(sa.ForeignKeyConstraint(list(cols), [f"{parent}.{c}" for c in WILD_KEYS[parent]]))
        sa.Table(name, meta, *columns, *constraints)
    meta.create_all(engine)
    with engine.begin() as con:
        for name, frame in frames.items():
            frame.to_sql(name, con, index=False, if_exists="append")
    engine.dispose()
    return path


def to_parquet_pandas(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def to_parquet_pyarrow(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    """pyarrow's own choices: large strings, dictionary-encoded text, timestamps with a zone, in ms."""
    folder.mkdir()
    for name, frame in frames.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        fields = []
        for field in table.schema:
            if pa.types.is_string(field.type):
                kind = (
                    pa.dictionary(pa.int32(), pa.string()) if field.name in ("category", "tier") else pa.large_string()
                )
                fields.append(pa.field(field.name, kind))
            elif pa.types.is_timestamp(field.type):
                fields.append(pa.field(field.name, pa.timestamp("ms", tz="UTC")))
            else:
                fields.append(field)
        pq.write_table(table.cast(pa.schema(fields)), folder / f"{name}.parquet")
    return folder


def _to_csv(frames: dict[str, pd.DataFrame], folder: Path, **options) -> Path:
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **options)
    return folder


def to_csv_bom(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    """What Excel and many Windows tools write: UTF-8 with a byte-order mark."""
    return _to_csv(frames, folder, encoding="utf-8-sig")


def to_csv_semicolon(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    """European locales: ``;`` between fields (text with ``;`` or newlines inside is quoted)."""
    return _to_csv(frames, folder, sep=";")


WRITERS = {
    "sqlite-pandas": write_sqlite,
    "sqlite-sqlalchemy": to_sqlite_sqlalchemy,
    "duckdb": write_duckdb,
    "parquet-pandas": to_parquet_pandas,
    "parquet-pyarrow": to_parquet_pyarrow,
    "csv-bom": to_csv_bom,
    "csv-semicolon": to_csv_semicolon,
}
SUFFIX = {"sqlite-pandas": ".sqlite", "sqlite-sqlalchemy": ".sqlite", "duckdb": ".duckdb"}


def write_wild(kind: str, folder: Path) -> Path:
    return WRITERS[kind](wild_frames(), folder / f"wild{SUFFIX.get(kind, '')}")


def schema_summary(inspection) -> tuple[dict, set, dict]:
    """(primary keys, foreign keys, time columns): what two readings of one database must agree on."""
    tables = inspection.schema.tables
    keys = {name: t.primary_key for name, t in tables.items() if t.primary_key}
    fks = {(name, fk.columns, fk.references_table) for name, t in tables.items() for fk in t.foreign_keys}
    times = {name: t.time_column for name, t in tables.items() if t.time_column}
    return keys, fks, times


def run_workflow(run_cli, db: str, tmp_path: Path) -> None:
    """inspect -> task -> fit (a few steps) -> predict -> evaluate -> baseline, each exiting 0 without a traceback."""
    run = tmp_path / "runs" / "wild"  # runs/ does not exist yet: fit creates it
    steps = [
        ("inspect", db, "--json"),
        ("task", db, QUERY, "--step", "7 days"),
        ("fit", db, QUERY, "--out", run, *FIT),
        ("predict", run, db, "--out", tmp_path / "predictions.parquet"),
        ("evaluate", run, db, "--json"),
        ("baseline", db, QUERY, "--kind", "autofeat", "--step", "7 days", "--out", tmp_path / "autofeat"),
    ]
    for args in steps:
        code, out, err = run_cli(*args)
        assert code == 0 and "Traceback" not in out + err, f"relpool {args[0]}: {err[-2000:]}"
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    assert len(predictions) > 0 and predictions.select_dtypes("number").notna().all().all()
    assert (tmp_path / "autofeat" / "metrics.json").is_file()
