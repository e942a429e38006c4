"""``relpool predict --out TARGET`` end to end: a tiny model's predictions into every target kind (Parquet,
CSV, SQLite, DuckDB, a real PostgreSQL), read back and compared with ``Model.predict``; the modes; the
input database refused (and left byte for byte as it was); malformed targets as one line, exit 2."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import shop_frames

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.train.model_dir import model_id

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days", baselines=False)
AT = "2020-01-20"
COLUMNS = ["customer_id", "cutoff", "probability", "model_id", "created_at"]


@pytest.fixture(scope="module")
def model(shop_db, tmp_path_factory) -> relpool.Model:
    return relpool.fit(
        shop_db, QUERY, tmp_path_factory.mktemp("targets") / "m", text_embedder=HashingEmbedder(8), **TINY
    )


@pytest.fixture(scope="module")
def expected(model, shop_db) -> pd.DataFrame:
    return model.predict(shop_db, at=AT)


def _same_predictions(back: pd.DataFrame, expected: pd.DataFrame, model: relpool.Model) -> None:
    assert list(back.columns) == COLUMNS
    back = back.sort_values("customer_id").reset_index(drop=True)
    assert back["customer_id"].tolist() == expected["customer_id"].tolist()
    assert (pd.to_datetime(back["cutoff"]) == pd.Timestamp(AT)).all()
    np.testing.assert_allclose(back["probability"], expected["probability"], rtol=1e-6)
    assert set(back["model_id"]) == {model.id}
    assert pd.to_datetime(back["created_at"].astype(str), utc=True).nunique() == 1


def _read_back(target: Path, table: str) -> pd.DataFrame:
    if target.suffix == ".parquet":
        return pd.read_parquet(target)
    if target.suffix == ".csv":
        return pd.read_csv(target)
    if target.suffix == ".duckdb":
        with duckdb.connect(str(target), read_only=True) as con:
            return con.execute(f"SELECT * FROM {table}").df()
    with sqlite3.connect(target) as con:
        frame = pd.read_sql(f"SELECT * FROM {table}", con)
    con.close()
    return frame


@pytest.mark.parametrize("name", ["p.parquet", "p.csv", "p.duckdb", "p.sqlite"])
def test_predict_writes_each_file_kind(model, expected, shop_db, run_cli, tmp_path, name):
    target = tmp_path / "new folder" / name
    out = str(target) if name.endswith((".parquet", ".csv")) else f"{target}::late_customers"
    code, _, err = run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out)
    assert code == 0, err
    assert f"{len(expected)} predictions written to" in err
    _same_predictions(_read_back(target, "late_customers"), expected, model)


def test_the_modes_through_the_cli(model, expected, shop_db, run_cli, tmp_path):
    out = f"{tmp_path / 'p.duckdb'}::late"
    assert run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out)[0] == 0
    code, _, err = run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out)
    assert code == 2 and "table late in" in err and "already exists; use --mode append" in err
    assert run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out, "--mode", "append")[0] == 0
    assert len(_read_back(tmp_path / "p.duckdb", "late")) == 2 * len(expected)
    assert run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out, "--mode", "replace")[0] == 0
    _same_predictions(_read_back(tmp_path / "p.duckdb", "late"), expected, model)
    code, _, err = run_cli("predict", model.folder, shop_db, "--out", out, "--mode", "upsert")
    assert code == 2 and "--mode must be one of create, append, replace, got 'upsert'" in err


def test_append_into_a_table_of_other_columns_is_refused(model, shop_db, run_cli, tmp_path):
    with duckdb.connect(str(tmp_path / "p.duckdb")) as con:
        con.execute("CREATE TABLE late (customer_id BIGINT, score DOUBLE)")
    code, _, err = run_cli(
        "predict", model.folder, shop_db, "--out", f"{tmp_path / 'p.duckdb'}::late", "--mode", "append"
    )
    assert code == 2 and "cannot append to table late in" in err and "(customer_id, score)" in err


@pytest.fixture
def input_db(shop_db, tmp_path) -> Path:
    return Path(shutil.copy(shop_db, tmp_path / "shop.sqlite"))


@pytest.mark.parametrize(
    ("spelt", "options", "message"),
    [
        ("{db}::preds", [], "refusing to write into the input database"),
        ("sqlite:///{db}::preds", [], "refusing to write into the input database"),
        ("{db}::preds", ["--allow-input-db", "--mode", "append"], "--mode append into the input database"),
        ("{db}::preds", ["--allow-input-db", "--mode", "replace"], "--mode replace into the input database"),
        ("{db}::customers", ["--allow-input-db"], "already exists in the input database"),
    ],
)
def test_the_input_database_is_refused_and_left_as_it_was(model, input_db, run_cli, spelt, options, message):
    before = input_db.read_bytes()
    code, _, err = run_cli("predict", model.folder, input_db, "--out", spelt.format(db=input_db), *options)
    assert code == 2 and message in " ".join(err.split()) and "Traceback" not in err
    assert input_db.read_bytes() == before


def test_a_new_table_in_the_input_database_only_with_allow_input_db(model, expected, input_db, run_cli):
    with sqlite3.connect(input_db) as con:
        tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in shop_frames()}
    con.close()
    code, _, err = run_cli(
        "predict", model.folder, input_db, "--at", AT, "--out", f"{input_db}::preds", "--allow-input-db"
    )
    assert code == 0, err
    _same_predictions(_read_back(input_db, "preds"), expected, model)
    with sqlite3.connect(input_db) as con:
        assert {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in shop_frames()} == tables
    con.close()


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("foo.duckdb::", "names no table after '::'"),
        ("::t", "names no file or URL before '::'"),
        ("p.txt", "--out must end in .parquet or .csv, or name a table"),
        ("p.duckdb::bad-name", "'bad-name' is not a table name relpool writes"),
        ("p.duckdb::drop table x", "is not a table name relpool writes"),
    ],
)
def test_a_malformed_target_is_one_line_and_exit_2(model, shop_db, run_cli, tmp_path, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli("predict", model.folder, shop_db, "--out", out)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in stdout + err
    assert list(tmp_path.iterdir()) == []


# ---- a real PostgreSQL server ----


def _engine(url: str):
    import sqlalchemy as sa

    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _database(postgres_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def warehouse(postgres_url) -> str:
    """A database of its own with a schema ``analytics``, where predictions go."""
    import psycopg

    url = _database(postgres_url, "warehouse")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE SCHEMA analytics")
    return url


def _pg_table(url: str, table: str) -> pd.DataFrame:
    engine = _engine(url)
    with engine.connect() as con:
        frame = pd.read_sql(f"SELECT * FROM {table}", con)
    engine.dispose()
    return frame


def _pg_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as con:
        return sorted(
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        )


def test_predict_into_postgresql_with_every_mode(model, expected, shop_db, run_cli, warehouse):
    out = f"{warehouse}::analytics.late_customers"
    code, _, err = run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out)
    assert code == 0, err
    back = _pg_table(warehouse, "analytics.late_customers")
    _same_predictions(back, expected, model)
    assert str(back["created_at"].dtype) == "datetime64[ns, UTC]"  # timestamptz
    code, _, err = run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out)
    assert code == 2 and "already exists; use --mode append" in err
    assert run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out, "--mode", "append")[0] == 0
    assert len(_pg_table(warehouse, "analytics.late_customers")) == 2 * len(expected)
    assert run_cli("predict", model.folder, shop_db, "--at", AT, "--out", out, "--mode", "replace")[0] == 0
    _same_predictions(_pg_table(warehouse, "analytics.late_customers"), expected, model)
    code, _, err = run_cli("predict", model.folder, shop_db, "--out", f"{warehouse}::nowhere.t")
    assert code == 2 and "schema nowhere does not exist in" in err
    assert _pg_tables(warehouse) == ["analytics.late_customers"]  # no temporary table left


def test_a_failed_write_to_postgresql_changes_nothing(model, expected, warehouse, monkeypatch):
    out = f"{warehouse}::analytics.kept"
    relpool.write_predictions(expected, out, model_id=model.id, input_db=None)
    before, tables = _pg_table(warehouse, "analytics.kept"), _pg_tables(warehouse)
    original = pd.DataFrame.to_sql

    def fails_after_writing(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(pd.DataFrame, "to_sql", fails_after_writing)
    for mode in ("replace", "append"):
        with pytest.raises(RuntimeError, match="connection lost"):
            relpool.write_predictions(expected, out, model_id=model.id, input_db=None, mode=mode)
        pd.testing.assert_frame_equal(_pg_table(warehouse, "analytics.kept"), before)
        assert _pg_tables(warehouse) == tables


@pytest.fixture(scope="module")
def shop_in_postgres(postgres_url) -> str:
    url = _database(postgres_url, "shop")
    engine = _engine(url)
    for name, frame in shop_frames().items():
        frame.to_sql(name, engine, index=False)
    engine.dispose()
    return url


def _fingerprint(url: str) -> list:
    import psycopg

    with psycopg.connect(url) as con:
        return [
            con.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {t} t").fetchone()
            for t in shop_frames()
        ]


def test_the_input_postgresql_database_is_recognised_and_refused(model, expected, shop_in_postgres, run_cli):
    before, tables = _fingerprint(shop_in_postgres), _pg_tables(shop_in_postgres)
    localhost = shop_in_postgres.replace("127.0.0.1", "localhost")  # the same server, spelt otherwise
    for out, options, message in [
        (f"{localhost}::preds", [], "refusing to write into the input database"),
        (f"{localhost}::public.preds", ["--allow-input-db", "--mode", "replace"], "--mode replace into the input"),
        (f"{shop_in_postgres}::customers", ["--allow-input-db"], "already exists in the input database"),
    ]:
        code, _, err = run_cli("predict", model.folder, shop_in_postgres, "--out", out, *options)
        assert code == 2 and message in " ".join(err.split()), err
    assert _fingerprint(shop_in_postgres) == before and _pg_tables(shop_in_postgres) == tables
    with pytest.raises(RelpoolError, match="refusing to write into the input database"):
        relpool.write_predictions(expected, f"{localhost}::preds", model_id=model.id, input_db=shop_in_postgres)
    relpool.write_predictions(
        expected, f"{localhost}::preds", model_id=model.id, input_db=shop_in_postgres, allow_input_db=True
    )
    _same_predictions(_pg_table(shop_in_postgres, "preds"), expected, model)
    assert _fingerprint(shop_in_postgres) == before


def test_link_predictions_and_missing_values_reach_postgresql(warehouse):
    frame = pd.DataFrame(
        {"tailnum": ["N1", "N2", "N3"], "cutoff": pd.Timestamp(AT), "top_k": [["LAX", "SFO"], [], None]}
    )
    relpool.write_predictions(frame, f"{warehouse}::analytics.links", model_id="m", input_db=None)
    back = _pg_table(warehouse, "analytics.links")
    assert back["top_k"].tolist() == ['["LAX", "SFO"]', "[]", None]  # JSON text; NULL stays NULL


def test_the_model_id_is_stable_and_names_the_trained_model(model, tmp_path):
    copy = Path(shutil.copytree(model.folder, tmp_path / "copy"))
    assert relpool.Model.load(copy).id == model.id and len(model.id) == 16 and int(model.id, 16) >= 0
    other = {**model.config, "config_sha256": "0" * 64}  # another run's config (and so weights)
    assert model_id(model.folder, other) != model.id
    (copy / "metrics.json").write_text('{"chosen": "autofeat"}')  # a served baseline is part of the model
    (copy / "baselines" / "autofeat").mkdir(parents=True)
    (copy / "baselines" / "autofeat" / "served.json").write_text('{"model_sha256": "ab"}')
    assert model_id(copy, model.config) != model.id
