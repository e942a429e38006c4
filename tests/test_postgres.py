"""Reading a real PostgreSQL server (``postgres_url``: tests/postgres_server.py, started once per module)."""

from __future__ import annotations

import pytest

from relpool.db import inspect_database


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
        return [
            con.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {t} t").fetchone()
            for t in ("customer", "item", "purchase")
        ]


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


@pytest.fixture(scope="module")
def wild_postgres(postgres_url):
    """A database of its own with the types real schemas use: uuid/text keys, enums, jsonb, arrays, ..."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE DATABASE wild")
    url = postgres_url.rsplit("/", 1)[0] + "/wild"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("""
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
            CREATE DOMAIN cents AS numeric(12, 0);
            CREATE TABLE account (
                code text PRIMARY KEY, uid uuid UNIQUE NOT NULL, balance numeric, rate numeric(5, 3),
                huge numeric(30, 0), legacy_id numeric(10, 0), fee cents, paid money, mood mood, tags text[],
                scores integer[], meta jsonb, opened timestamptz NOT NULL, grace interval, ip inet, flag boolean,
                raw bytea, region char(3));
            CREATE TABLE session (sid uuid PRIMARY KEY, account text NOT NULL REFERENCES account (code),
                                  started timestamptz NOT NULL, mood mood, payload jsonb);
            CREATE TABLE event (eid bigint, session uuid REFERENCES session (sid), at timestamptz NOT NULL,
                                kind text, PRIMARY KEY (eid, at)) PARTITION BY RANGE (at);
            CREATE TABLE event_2021q1 PARTITION OF event FOR VALUES FROM ('2021-01-01') TO ('2021-04-01');
            CREATE TABLE event_rest PARTITION OF event DEFAULT;
            CREATE TABLE "it's odd" (n integer);
            CREATE SCHEMA archive;
            CREATE TABLE archive.old_account (code text PRIMARY KEY, closed timestamptz);
            INSERT INTO archive.old_account VALUES ('Z9', '2019-01-01 00:00+00');
            INSERT INTO account VALUES
              ('A1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 12.5, 1.234, 123456789012345678901234567890, 42, 1999,
               12.34, 'ok', '{x,y}', '{1,2}', '{"a": 1}', '2021-01-01 10:00+02', '1 day 2 hours', '10.0.0.1', true,
               '\\xdeadbeef', 'NO'),
              ('B2', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'NaN', NULL, NULL, 'NaN', NULL, NULL, NULL, '{}', NULL,
               'null', '2021-02-01 00:00+00', NULL, NULL, NULL, NULL, 'SE');
            INSERT INTO session VALUES
              ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'A1', '2021-03-01 12:00+00', 'happy', '{"k": "v"}'),
              ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a14', 'B2', '2021-03-02 12:00+05', 'sad', NULL),
              ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a15', 'A1', '2021-05-03 12:00-03', NULL, '[1, 2]');
            INSERT INTO event VALUES (1, 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', '2021-03-01 12:05+00', 'click'),
                                     (2, 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a15', '2021-05-03 12:10-03', 'buy'),
                                     (3, 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a15', '2021-05-03 12:20-03', 'click');
            INSERT INTO "it's odd" VALUES (1), (2);
        """)
    return url


def test_postgres_real_world_types_read_with_keys_and_times(wild_postgres, run_cli):
    inspection = inspect_database(wild_postgres)
    db, tables = inspection.database, inspection.schema.tables
    assert inspection.rows == {"account": 2, "session": 3, "event": 3, "it's odd": 2}  # partitions not read twice
    assert db.columns("account") == {
        "code": "VARCHAR",
        "uid": "VARCHAR",
        "balance": "DOUBLE",
        "rate": "DOUBLE",
        "huge": "DOUBLE",
        "legacy_id": "BIGINT",
        "fee": "BIGINT",
        "paid": "DOUBLE",
        "mood": "VARCHAR",
        "tags": "VARCHAR",
        "scores": "VARCHAR",
        "meta": "VARCHAR",
        "opened": "TIMESTAMP WITH TIME ZONE",
        "grace": "DOUBLE",
        "ip": "VARCHAR",
        "flag": "BOOLEAN",
        "raw": "BLOB",
        "region": "VARCHAR",
    }
    a1 = db.execute(
        "SELECT uid, balance, legacy_id, fee, paid, mood, tags, scores, meta, grace, raw, region "
        "FROM account WHERE code = 'A1'"
    ).fetchone()
    assert a1 == (
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        12.5,
        42,
        1999,
        12.34,
        "ok",
        "{x,y}",
        "{1,2}",
        '{"a": 1}',
        93600.0,
        b"\xde\xad\xbe\xef",
        "NO",
    )
    b2 = db.execute("SELECT isnan(balance), legacy_id, tags, meta FROM account WHERE code = 'B2'").fetchone()
    assert b2 == (True, None, "{}", "null")  # NaN kept in a float, NULL in an integer
    assert tables["account"].primary_key == ("code",)
    assert tables["session"].primary_key == ("sid",)  # a uuid key
    fks = {
        (name, fk.columns, fk.references_table, fk.references_columns)
        for name in ("session", "event")
        for fk in tables[name].foreign_keys
    }
    assert {("session", ("account",), "account", ("code",)), ("event", ("session",), "session", ("sid",))} <= fks
    assert tables["session"].time_column == "started"
    assert tables["event"].time_column == "at"
    assert inspection.time_ranges["session"] == ("2021-03-01 12:00:00", "2021-05-03 15:00:00")  # UTC
    assert db.scalar("SELECT count(*) FROM session s JOIN account a ON s.account = a.code") == 3
    assert db.scalar("SELECT count(*) FROM event e JOIN session s ON e.session = s.sid") == 3
    assert inspection.validation.errors == []
    code, _, stderr = run_cli("inspect", wild_postgres)
    assert code == 0, stderr


def test_postgres_schema_query_parameter_selects_the_schema(wild_postgres):
    inspection = inspect_database(wild_postgres + "?schema=archive")
    assert inspection.rows == {"old_account": 1}
    assert inspection.schema.tables["old_account"].primary_key == ("code",)


def test_the_wild_database_written_by_pandas_into_postgres_reads_and_trains(postgres_url, run_cli, tmp_path):
    """``DataFrame.to_sql`` over SQLAlchemy, as users fill PostgreSQL: the canonical keys, then the whole workflow."""
    import psycopg
    import sqlalchemy as sa
    from wild import WILD_FOREIGN_KEYS, WILD_KEYS, WILD_TIMES, run_workflow, schema_summary, wild_frames

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE DATABASE wild_pandas")
    url = postgres_url.rsplit("/", 1)[0] + "/wild_pandas"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    for name, frame in wild_frames().items():
        frame.to_sql(name, engine, index=False)
    engine.dispose()
    assert schema_summary(inspect_database(url)) == (WILD_KEYS, WILD_FOREIGN_KEYS, WILD_TIMES)
    run_workflow(run_cli, url, tmp_path)
