"""The writers behind ``relpool predict --out``, on small frames shaped as predict's: every target kind round
trips (lists included), appends check columns, a failure half-way leaves the target as it was, and the
input database is recognised however it is spelt. Real PostgreSQL: tests/test_predict_targets.py."""

from __future__ import annotations

import json
import os
import re
import sqlite3

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import shop_frames, write_sqlite

import relpool
from relpool.errors import RelpoolError
from relpool.sinks import duckdb_table, open_target
from relpool.sinks.identity import is_input_database
from relpool.sinks.target import TableTarget, parse_target

KINDS = {"parquet": "p.parquet", "csv": "p.csv", "duckdb": "p.duckdb::preds", "sqlite": "p.sqlite::preds"}


def _binary(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "cutoff": pd.Timestamp("2020-01-20"),
            "probability": np.linspace(0.1, 0.9, n).astype("float32"),
        }
    )


def _link() -> pd.DataFrame:
    """Link prediction's column: a list of item keys per entity (one empty)."""
    return pd.DataFrame(
        {"customer_id": [1, 2, 3], "cutoff": pd.Timestamp("2020-01-20"), "top_k": [["P001", "P007"], ["P002"], []]}
    )


def _read(tmp_path, kind: str) -> pd.DataFrame:
    if kind == "parquet":
        return pd.read_parquet(tmp_path / "p.parquet")
    if kind == "csv":
        return pd.read_csv(tmp_path / "p.csv")
    if kind == "duckdb":
        with duckdb.connect(str(tmp_path / "p.duckdb"), read_only=True) as con:
            return con.execute("SELECT * FROM preds").df()
    with sqlite3.connect(tmp_path / "p.sqlite") as con:
        frame = pd.read_sql("SELECT * FROM preds", con)
    con.close()
    return frame


def _write(tmp_path, kind: str, frame: pd.DataFrame, mode: str = "create", model_id: str = "m1"):
    return relpool.write_predictions(frame, str(tmp_path / KINDS[kind]), model_id=model_id, input_db=None, mode=mode)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_round_trips_with_model_id_and_created_at(tmp_path, kind):
    before = pd.Timestamp.now(tz="UTC")
    _write(tmp_path, kind, _binary())
    back = _read(tmp_path, kind)
    assert list(back.columns) == ["customer_id", "cutoff", "probability", "model_id", "created_at"]
    assert back["customer_id"].tolist() == [1, 2, 3, 4, 5]
    assert (pd.to_datetime(back["cutoff"]) == pd.Timestamp("2020-01-20")).all()
    np.testing.assert_allclose(back["probability"], _binary()["probability"], rtol=1e-6)
    assert set(back["model_id"]) == {"m1"}
    created = pd.to_datetime(back["created_at"].astype(str), utc=True)  # SQLite keeps UTC text without an offset
    assert created.nunique() == 1 and before <= created.iloc[0] <= pd.Timestamp.now(tz="UTC")


@pytest.mark.parametrize("kind", KINDS)
def test_link_predictions_stay_lists_or_become_json_text(tmp_path, kind):
    _write(tmp_path, kind, _link())
    values = _read(tmp_path, kind)["top_k"].tolist()
    lists = [json.loads(v) if isinstance(v, str) else list(v) for v in values]
    assert lists == [["P001", "P007"], ["P002"], []]
    assert all(isinstance(v, str) for v in values) == (kind in ("csv", "sqlite"))


@pytest.mark.parametrize("kind", KINDS)
def test_create_refuses_append_adds_and_replace_overwrites(tmp_path, kind):
    _write(tmp_path, kind, _binary(3), model_id="first")
    with pytest.raises(RelpoolError, match="already exists; use --mode append .* or --mode replace"):
        _write(tmp_path, kind, _binary(3))
    _write(tmp_path, kind, _binary(4), mode="append", model_id="second")
    assert _read(tmp_path, kind)["model_id"].tolist() == ["first"] * 3 + ["second"] * 4
    _write(tmp_path, kind, _binary(2), mode="replace", model_id="third")
    assert _read(tmp_path, kind)["model_id"].tolist() == ["third"] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_append_with_other_columns_is_one_clear_error(tmp_path, kind):
    _write(tmp_path, kind, _binary())
    before = _read(tmp_path, kind)
    with pytest.raises(RelpoolError, match=r"cannot append to .*: its columns \(customer_id, .*\) are not the"):
        _write(tmp_path, kind, _binary().assign(explanation="[]"), mode="append")
    pd.testing.assert_frame_equal(_read(tmp_path, kind), before)


def _failing(original):
    """A writer that writes (part of) its output, then fails as a full disk or a lost connection would."""

    def write(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    return write


@pytest.fixture
def writer_fails(monkeypatch):
    def fail(kind: str) -> None:
        if kind == "parquet":
            monkeypatch.setattr(pq, "write_table", _failing(pq.write_table))
        elif kind == "duckdb":
            monkeypatch.setattr(duckdb_table, "_fill", _failing(duckdb_table._fill))
        else:  # CSV, and SQLite through SQLAlchemy
            method = "to_csv" if kind == "csv" else "to_sql"
            monkeypatch.setattr(pd.DataFrame, method, _failing(getattr(pd.DataFrame, method)))

    return fail


@pytest.mark.parametrize("mode", ["replace", "append"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_failure_half_way_leaves_the_target_as_it_was(tmp_path, kind, mode, writer_fails):
    _write(tmp_path, kind, _binary(3))
    before, files = _read(tmp_path, kind), sorted(os.listdir(tmp_path))
    writer_fails(kind)
    with pytest.raises(RuntimeError, match="disk full"):
        _write(tmp_path, kind, _binary(5), mode=mode)
    pd.testing.assert_frame_equal(_read(tmp_path, kind), before)
    assert sorted(os.listdir(tmp_path)) == files  # no temporary file left
    if kind == "sqlite":  # nor a temporary table
        with sqlite3.connect(tmp_path / "p.sqlite") as con:
            assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("preds",)]
        con.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_first_write_leaves_no_file(tmp_path, kind, writer_fails):
    writer_fails(kind)
    with pytest.raises(RuntimeError, match="disk full"):
        _write(tmp_path, kind, _binary())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("foo.duckdb::", "names no table after '::'"),
        ("::t", "names no file or URL before '::'"),
        ("p.txt", "--out must end in .parquet or .csv, or name a table"),
        ("p.duckdb", "names no table; add it after '::'"),
        ("p.duckdb::bad-name", "'bad-name' is not a table name relpool writes"),
        ("p.duckdb::a.b.c", "'a.b.c' is not a table name"),
        ("p.duckdb::1st", "'1st' is not a table name"),
        ("p.xlsx::t", "unknown database file suffix '.xlsx'"),
        ("p.db::t", "a new .db file could be SQLite or DuckDB"),
        ("p.sqlite::s.t", "a SQLite file has no schemas"),
        ("postgresql://localhost/db", "names no table; add '::TABLE' after the URL"),
        ("postgresql://[::1]:5432/db", "names no table"),
        ("postgresql://host:port/db::t", "is not a valid SQLAlchemy URL"),
        ("nosuchdb://host/db::t", "cannot write nosuchdb://host/db: SQLAlchemy has no dialect 'nosuchdb'"),
        ("no+such+dialect://host/db::t", "SQLAlchemy has no dialect 'no+such+dialect'"),
        ("sqlite://::t", "the URL names no file"),
    ],
)
def test_malformed_targets_are_one_clear_error(target, message):
    with pytest.raises(RelpoolError, match=re.escape(message)):
        open_target(target, input_db=None)


def test_an_existing_file_is_recognised_by_its_header_not_its_suffix(tmp_path):
    duckdb.connect(str(tmp_path / "data.db")).close()
    write_sqlite({"t": pd.DataFrame({"x": [1]})}, tmp_path / "other.duckdb")
    assert parse_target(f"{tmp_path / 'data.db'}::t").kind == "duckdb"
    assert parse_target(f"{tmp_path / 'other.duckdb'}::t").kind == "sqlite"
    (tmp_path / "notes.sqlite").write_text("not a database")
    with pytest.raises(RelpoolError, match="is neither a SQLite nor a DuckDB database"):
        parse_target(f"{tmp_path / 'notes.sqlite'}::t")


def test_a_missing_schema_is_named(tmp_path):
    duckdb.connect(str(tmp_path / "p.duckdb")).close()
    with pytest.raises(RelpoolError, match="schema analytics does not exist in"):
        open_target(f"{tmp_path / 'p.duckdb'}::analytics.t", input_db=None)


def test_the_input_file_is_recognised_however_it_is_spelt(tmp_path, monkeypatch):
    db = write_sqlite(shop_frames(), tmp_path / "shop.sqlite")
    (tmp_path / "link.sqlite").symlink_to(db)
    os.link(db, tmp_path / "hard.sqlite")
    monkeypatch.chdir(tmp_path)
    for given in ("shop.sqlite", str(db), f"sqlite:///{db}", "./link.sqlite"):
        for spelt in ("shop.sqlite", "link.sqlite", "hard.sqlite", f"sqlite:///{db}"):
            assert is_input_database(parse_target(f"{spelt}::t"), given), (spelt, given)
    assert not is_input_database(parse_target("other.sqlite::t"), "shop.sqlite")
    assert not is_input_database(parse_target("shop.sqlite::t"), shop_frames())


def _server(url: str) -> TableTarget:
    target = parse_target(f"{url}::t")
    assert isinstance(target, TableTarget)
    return target


def test_a_server_database_is_recognised_by_host_port_and_name(monkeypatch):
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGPORT", raising=False)
    monkeypatch.delenv("PGDATABASE", raising=False)
    same = [
        "postgresql://ann@127.0.0.1:5432/shop",
        "postgresql+psycopg://bob:secret@localhost/shop",
        "postgresql://[::1]/shop",
        "postgresql:///shop?host=/var/run/postgresql",
        "postgresql://ann@localhost:5432/shop?schema=analytics",
    ]
    for a in same:
        for b in same:
            assert is_input_database(_server(a), b), (a, b)
    assert is_input_database(_server("postgresql://shop@localhost"), "postgresql://shop@127.0.0.1/shop")  # db = user
    for other in ("postgresql://localhost/other", "postgresql://localhost:5433/shop", "mysql://localhost/shop"):
        assert not is_input_database(_server(other), "postgresql://localhost/shop"), other
