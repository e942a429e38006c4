"""A real PostgreSQL server, started by the test in its own data folder and port."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from relpool.db import inspect_database


def _server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bin_dir = _server_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql); .ci/run installs them")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="relpool-pg-"))
    if as_postgres:
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run([*as_postgres, bin_dir / "initdb", "-D", data / "data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", data / "data", "-l", data / "log", "-w", "start",
                    "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", data / "data", "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def shop_in_postgres(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url.replace("postgresql://", "postgresql://", 1), autocommit=True) as con:
        con.execute("""
            CREATE TABLE customer (cid integer PRIMARY KEY, name text, joined timestamptz);
            CREATE TABLE item (sku text PRIMARY KEY, price numeric(8, 2));
            CREATE TABLE purchase (pid bigint PRIMARY KEY, buyer integer REFERENCES customer (cid),
                                   sku text REFERENCES item (sku), at timestamp, qty smallint);
            INSERT INTO customer VALUES (1, 'ann', '2021-01-01 10:00+02'), (2, 'bob', '2021-02-01 00:00+00');
            INSERT INTO item VALUES ('A', 9.99), ('B', 20.00);
            INSERT INTO purchase VALUES (10, 1, 'A', '2021-03-01 12:00', 1), (11, 2, 'B', '2021-03-02 08:30', 2),
                                        (12, 2, 'A', '2021-03-03 09:00', 3);
        """)
        yield postgres_url


def _row_counts(url):
    import psycopg

    with psycopg.connect(url) as con:
        return [con.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {t} t").fetchone()
                for t in ("customer", "item", "purchase")]


def test_postgres_tables_types_and_declared_keys(shop_in_postgres, run_cli):
    before = _row_counts(shop_in_postgres)
    inspection = inspect_database(shop_in_postgres)
    schema = inspection.schema
    assert inspection.rows == {"customer": 2, "item": 2, "purchase": 3}
    assert schema.tables["purchase"].primary_key == ("pid",)
    fks = {(fk.columns, fk.references_table, fk.references_columns) for fk in schema.tables["purchase"].foreign_keys}
    assert fks == {(("buyer",), "customer", ("cid",)), (("sku",), "item", ("sku",))}
    assert all(fk.evidence.startswith("declared in postgresql") for fk in schema.tables["purchase"].foreign_keys)
    assert schema.tables["purchase"].time_column == "at"
    assert inspection.time_ranges["customer"] == ("2021-01-01 08:00:00", "2021-02-01 00:00:00")  # UTC
    assert inspection.database.columns("item")["price"] == "DOUBLE"
    assert inspection.database.scalar("SELECT sum(price) FROM item") == pytest.approx(29.99)
    code, _, stderr = run_cli("inspect", shop_in_postgres)
    assert code == 0, stderr
    assert _row_counts(shop_in_postgres) == before
