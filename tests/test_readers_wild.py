"""Readers on databases as they come in the wild: type mixes, odd encodings, ragged files, bad URLs."""

from __future__ import annotations

import importlib.util
import math
import sqlite3
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relpool.db.sources import read_database
from relpool.errors import RelpoolError


def _sqlite(path: Path, script: str, rows: dict[str, list[tuple]] | None = None) -> Path:
    with sqlite3.connect(path) as con:
        con.executescript(script)
        for table, values in (rows or {}).items():
            marks = ", ".join("?" * len(values[0]))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    con.close()
    return path


def _values(db, table: str, column: str, order: str = "id") -> list:
    return [r[0] for r in db.execute(f'SELECT "{column}" FROM "{table}" ORDER BY "{order}"').fetchall()]


# --- SQLite: every storage-class mix reads --------------------------------------------------------


def test_sqlite_columns_starting_with_more_nulls_than_a_batch_read(tmp_path):
    n = 3000  # ADBC types a column from its first 1024 rows
    rows = [(i, None, None, None, None) for i in range(n)] + [(n, "late text", 7, 2.5, b"\x00\xff")]
    script = "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, i INTEGER, r REAL, b BLOB)"
    path = _sqlite(tmp_path / "late.sqlite", script, {"t": rows})
    db = read_database(path)
    assert db.columns("t") == {"id": "BIGINT", "s": "VARCHAR", "i": "BIGINT", "r": "DOUBLE", "b": "BLOB"}
    assert db.execute("SELECT s, i, r, b FROM t WHERE id = ?", [n]).fetchone() == ("late text", 7, 2.5, b"\x00\xff")
    assert db.row_count("t") == n + 1


def test_sqlite_integer_column_that_later_holds_reals_is_read_as_double(tmp_path):
    rows = [(i, i) for i in range(2000)] + [(2000, 1933.5), (2001, 2**62)]
    path = _sqlite(tmp_path / "mix.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, year INTEGER)", {"t": rows})
    db = read_database(path)
    assert db.columns("t")["year"] == "DOUBLE"
    assert _values(db, "t", "year")[-3:] == [1999.0, 1933.5, float(2**62)]


def test_sqlite_pandas_integers_with_a_missing_value_read_as_double(tmp_path):
    path = tmp_path / "pandas.sqlite"
    with sqlite3.connect(path) as con:
        pd.DataFrame({"id": [1, 2, 3], "year": [1933, None, 1950]}).to_sql("t", con, index=False)
    con.close()
    db = read_database(path)
    assert db.columns("t")["year"] == "DOUBLE"
    assert _values(db, "t", "year") == [1933.0, None, 1950.0]


def test_sqlite_blobs_alone_stay_bytes_and_mixed_with_text_become_hex(tmp_path):
    rows = [(1, b"\x01\x02", b"\xde\xad"), (2, None, "text"), (3, b"", 12)]
    path = _sqlite(tmp_path / "blob.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, raw BLOB, mixed)", {"t": rows})
    db = read_database(path)
    assert db.columns("t") == {"id": "BIGINT", "raw": "BLOB", "mixed": "VARCHAR"}
    assert _values(db, "t", "raw") == [b"\x01\x02", None, b""]
    assert _values(db, "t", "mixed") == ["DEAD", "text", "12"]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("INTEGER", "BIGINT"),
        ("BIGINT", "BIGINT"),
        ("REAL", "DOUBLE"),
        ("DOUBLE PRECISION", "DOUBLE"),
        ("VARCHAR(20)", "VARCHAR"),
        ("DATETIME", "VARCHAR"),
        ("", "VARCHAR"),
        ("BLOB", "VARCHAR"),
    ],
)
def test_sqlite_all_null_and_empty_columns_take_the_declared_affinity(declared, expected, tmp_path):
    path = _sqlite(
        tmp_path / "nulls.sqlite",
        f"""
        CREATE TABLE full (id INTEGER PRIMARY KEY, v {declared}); INSERT INTO full VALUES (1, NULL), (2, NULL);
        CREATE TABLE empty (id INTEGER PRIMARY KEY, v {declared});""",
    )
    db = read_database(path)
    assert db.columns("full")["v"] == expected
    assert db.columns("empty")["v"] == expected
    assert _values(db, "full", "v") == [None, None]
    assert db.row_count("empty") == 0


def test_sqlite_text_that_is_not_utf8_is_read_with_replacement_characters(tmp_path):
    path = _sqlite(
        tmp_path / "latin1.sqlite",
        """
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO t VALUES (1, 'ok'), (2, CAST(X'436166E9' AS TEXT)), (3, 'caf\u00e9');""",
    )
    db = read_database(path)
    assert _values(db, "t", "name") == ["ok", "Caf\ufffd", "caf\u00e9"]


def _wal_sqlite(path: Path) -> sqlite3.Connection:
    """A WAL-mode SQLite file whose writer stays open (its last rows only in the -wal file)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE users (uid INTEGER PRIMARY KEY, name TEXT)")
    con.executemany("INSERT INTO users VALUES (?, ?)", [(i, f"u{i}") for i in range(50)])
    con.commit()
    return con


def test_sqlite_in_wal_mode_is_read_without_leaving_files_beside_it(tmp_path):
    _wal_sqlite(tmp_path / "wal.sqlite").close()  # the last close checkpoints and removes -wal and -shm
    assert [p.name for p in tmp_path.iterdir()] == ["wal.sqlite"]
    from relpool.db import inspect_database

    assert inspect_database(tmp_path / "wal.sqlite").rows == {"users": 50}
    assert [p.name for p in tmp_path.iterdir()] == ["wal.sqlite"]


def test_sqlite_with_a_wal_file_reads_the_rows_only_in_it(tmp_path):
    writer = _wal_sqlite(tmp_path / "wal.sqlite")
    try:
        assert (tmp_path / "wal.sqlite-wal").exists()
        assert read_database(tmp_path / "wal.sqlite").row_count("users") == 50
    finally:
        writer.close()


def test_sqlite_declared_foreign_key_to_a_missing_table_is_a_warning_and_ignored(tmp_path):
    from relpool.db import inspect_database

    path = _sqlite(
        tmp_path / "ghost.sqlite",
        """
        CREATE TABLE users (uid INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (oid INTEGER PRIMARY KEY, uid INTEGER REFERENCES users(uid), ts TEXT,
                             FOREIGN KEY (ts) REFERENCES ghost(x));""",
        {
            "users": [(i, f"u{i}") for i in range(5)],
            "orders": [(i, i % 5, f"2022-01-{1 + i:02d} 10:00:00") for i in range(20)],
        },
    )
    inspection = inspect_database(path)
    assert inspection.validation.errors == []
    assert [(fk.columns, fk.references_table) for fk in inspection.schema.tables["orders"].foreign_keys] == [
        (("uid",), "users")
    ]
    warnings = [p.message for p in inspection.validation.problems if p.level == "warning"]
    assert any("references table 'ghost', which is not in the database" in w and "ignored" in w for w in warnings)
    schema = {"tables": {"orders": {"foreign_keys": [{"columns": ["ts"], "references_table": "ghost"}]}}}
    with pytest.raises(RelpoolError, match="references table 'ghost'"):
        inspect_database(path, schema)  # the user's own schema: still an error


_VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),  # SQLite stores NaN as NULL
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    st.binary(max_size=8),
)
# Leading NULLs: none, a few, or more than ADBC's first batch of 1024 rows.
_COLUMN = st.tuples(st.sampled_from([0, 1, 5, 1030]), st.lists(_VALUE, max_size=12))


def _expected(values: list) -> tuple[str, list]:
    """The documented rule (relpool.db.sources.sqlite_types), written independently."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "VARCHAR", values  # no declared type: TEXT
    if kinds == {int}:
        return "BIGINT", values
    if kinds <= {int, float}:
        return "DOUBLE", [None if v is None else float(v) for v in values]
    if kinds == {bytes}:
        return "BLOB", values
    return "VARCHAR", [v.hex().upper() if isinstance(v, bytes) else v for v in values]


def _same(got, want) -> bool:
    if isinstance(want, float) and isinstance(got, str):  # a real in a text column, as SQLite writes it
        return math.isclose(float(got), want, rel_tol=1e-14) or float(got) == want
    if isinstance(want, int) and isinstance(got, str):
        return got == str(want)
    return got == want


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(_COLUMN, min_size=1, max_size=3))
def test_sqlite_any_sequence_of_storage_classes_reads_with_values_kept(columns):
    length = max(lead + len(vals) for lead, vals in columns)
    series = [[None] * lead + vals + [None] * (length - lead - len(vals)) for lead, vals in columns]
    names = [f"c{i}" for i in range(len(series))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wild.sqlite"
        with sqlite3.connect(path) as con:
            con.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {', '.join(names)})")  # no declared types
            con.executemany(
                f"INSERT INTO t VALUES (?{', ?' * len(names)})", [(i, *(s[i] for s in series)) for i in range(length)]
            )
        con.close()
        db = read_database(path)
        types = db.columns("t")
        assert db.row_count("t") == length
        for name, values in zip(names, series):
            want_type, want = _expected(values)
            assert types[name] == want_type, (name, values)
            got = _values(db, "t", name)
            assert all(_same(g, w) for g, w in zip(got, want, strict=True)), (name, got, want)


# --- CSV: dialects, encodings, ragged rows ---------------------------------------------------------

_ROWS = [("1", "ann", "1.5"), ("2", 'Zoë, "the" boss', "-2.25"), ("3", "multi\nline", "30")]
_EXPECTED = [(1, "ann", 1.5), (2, 'Zoë, "the" boss', -2.25), (3, "multi\nline", 30.0)]


def _csv_text(delimiter: str = ",", decimal: str = ".") -> str:
    def field(v: str) -> str:
        v = v.replace(".", decimal) if v[-1].isdigit() else v
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in (delimiter, '"', "\n")) else v

    lines = [delimiter.join(("id", "name", "amount"))] + [delimiter.join(map(field, row)) for row in _ROWS]
    return "\n".join(lines) + "\n"


def _table(db, name: str = "people") -> tuple[dict, list]:
    return db.columns(name), db.execute(f'SELECT * FROM "{name}" ORDER BY id').fetchall()


@pytest.mark.parametrize(
    ("label", "content"),
    [
        pytest.param("comma", _csv_text().encode(), id="comma"),
        pytest.param("bom", b"\xef\xbb\xbf" + _csv_text().encode(), id="bom"),
        pytest.param("semicolon", _csv_text(";").encode(), id="semicolon"),
        pytest.param("semicolon, decimal comma", _csv_text(";", ",").encode(), id="semicolon, decimal comma"),
        pytest.param("tab", _csv_text("\t").encode(), id="tab"),
        pytest.param(
            "crlf", _csv_text().replace("\n", "\r\n").replace("multi\r\nline", "multi\nline").encode(), id="crlf"
        ),
        pytest.param("latin-1", _csv_text().encode("latin-1"), id="latin-1"),
        pytest.param("cp1252", _csv_text().replace("the", "\u201cthe\u201d").encode("cp1252"), id="cp1252"),
        pytest.param("utf-16", _csv_text().encode("utf-16"), id="utf-16"),
    ],
)
def test_csv_dialects_and_encodings_read_like_the_plain_comma_file(label, content, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    columns, rows = _table(read_database(path))
    assert columns == {"id": "BIGINT", "name": "VARCHAR", "amount": "DOUBLE"}, label
    expected = (
        _EXPECTED
        if label != "cp1252"
        else [r if r[0] != 2 else (2, 'Zoë, "\u201cthe\u201d" boss', -2.25) for r in _EXPECTED]
    )
    assert rows == expected, label
    assert path.read_bytes() == content and [p.name for p in tmp_path.iterdir()] == ["people.csv"]


@pytest.mark.parametrize(("bad_line", "expected"), [("20,short", "Found: 2"), ("20,long,1,extra", "Found: 4")])
def test_csv_with_ragged_rows_is_one_error_naming_file_and_line_not_one_text_column(
    bad_line, expected, tmp_path, run_cli
):
    lines = ["id,name,amount"] + [f"{i},n{i},{i}.5" for i in range(2000)]
    lines.insert(1500, bad_line)  # line 1501 of the file
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RelpoolError, match=rf"ragged\.csv: 1 of 2001 rows .*line 1501: .*{expected}"):
        read_database(tmp_path)
    code, _, stderr = run_cli("inspect", str(path))
    assert code == 2 and stderr.startswith("error: ") and "line 1501" in stderr and "Traceback" not in stderr


def test_csv_one_real_column_whose_name_holds_a_comma_is_kept(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text('"last, first"\n"smith, john"\n"doe, jane"\n')
    db = read_database(path)
    assert db.columns("names") == {"last, first": "VARCHAR"}
    assert db.row_count("names") == 2


def test_csv_quoted_thousands_in_a_comma_file_stay_text(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text('id,total\n1,"1,500"\n2,"2,250"\n')
    db = read_database(path)
    assert db.execute("SELECT total FROM sales ORDER BY id").fetchall() == [("1,500",), ("2,250",)]


# --- Folders: partitioned subfolders, names that clash, repeated column names ------------------------


def _warnings(path) -> list[str]:
    from relpool.db import inspect_database

    return [p.message for p in inspect_database(path).validation.problems if p.level == "warning"]


def test_folder_subfolder_of_parquet_parts_is_one_table_with_hive_keys(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pd.DataFrame({"user_id": [1, 2, 3]}).to_parquet(tmp_path / "users.parquet")
    for year, ids in ((2021, [1, 2]), (2022, [3])):
        (tmp_path / "orders" / f"year={year}").mkdir(parents=True)
        pq.write_table(
            pa.table({"order_id": ids, "user_id": [1] * len(ids)}),
            tmp_path / "orders" / f"year={year}" / "part-0.parquet",
        )
    (tmp_path / "orders" / "_SUCCESS").touch()
    (tmp_path / "orders" / "_temporary").mkdir()
    pq.write_table(pa.table({"order_id": [99]}), tmp_path / "orders" / "_temporary" / "part-9.parquet")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.csv").write_text("x\n1\n")
    db = read_database(tmp_path)
    assert db.tables == ["orders", "users"]
    assert db.execute("SELECT order_id, year FROM orders ORDER BY order_id").fetchall() == [
        (1, 2021),
        (2, 2021),
        (3, 2022),
    ]
    assert any("notes: subfolder skipped" in w for w in _warnings(tmp_path))


def test_folder_files_whose_names_differ_only_in_case_are_one_error_naming_both(tmp_path):
    (tmp_path / "users.csv").write_text("id\n1\n")
    (tmp_path / "Users.CSV").write_text("id\n2\n")
    with pytest.raises(
        RelpoolError, match=r"both named 'Users' \(Users\.CSV and users\.csv; table names ignore case\)"
    ):
        read_database(tmp_path)


def test_repeated_column_names_in_csv_and_parquet_are_a_warning(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "users.csv").write_text("user_id,name,name\n1,a,b\n2,c,d\n")
    pq.write_table(pa.table([[1, 2], [0.5, 1.5], [2.5, 3.5]], names=["id", "Val", "val"]), tmp_path / "m.parquet")
    warnings = _warnings(tmp_path)
    assert any("users.csv: column names repeat" in w and "'name' as name_1" in w for w in warnings)
    assert any("m.parquet: column names repeat" in w and "'val' as val_1" in w for w in warnings)


def test_folder_without_repeats_has_no_renaming_warning(tmp_path):
    (tmp_path / "people.csv").write_bytes(_csv_text().encode("latin-1"))
    assert not any("repeat" in w for w in _warnings(tmp_path))


def test_output_where_nothing_can_be_created_is_one_error(tmp_path):
    from relpool.files import StagedFolder, write_atomically

    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc")
    with pytest.raises(RelpoolError, match="cannot write /proc/relpool-x"):
        StagedFolder(Path("/proc/relpool-x")).create()
    with pytest.raises(RelpoolError, match="cannot write /proc/relpool-y/a.json"):
        write_atomically(Path("/proc/relpool-y/a.json"), lambda tmp: tmp.write_text("{}"))


# --- Times stored in a form that is not read as times ------------------------------------------------


def _times_sqlite(tmp_path, paid_at: list, created: list) -> Path:
    return _sqlite(
        tmp_path / "pay.sqlite",
        """
        CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, created INTEGER);
        CREATE TABLE payments (payment_id INTEGER PRIMARY KEY, customer_id INTEGER, paid_at, amount REAL);""",
        {
            "customers": [(i, c) for i, c in enumerate(created)],
            "payments": [(i, i % len(created), t, 1.5) for i, t in enumerate(paid_at)],
        },
    )


@pytest.mark.parametrize(
    ("paid_at", "kind"),
    [
        ([1609461703 + 3600 * i for i in range(30)], "epoch seconds"),
        ([1609461703000 + 3600000 * i for i in range(30)], "epoch milliseconds"),
    ],
)
def test_epoch_numbers_named_like_a_time_are_the_time_column_and_hide_the_future(tmp_path, paid_at, kind):
    import pandas as pd

    from relpool.db import inspect_database
    from relpool.query.inputs import visible_rows

    path = _times_sqlite(tmp_path, paid_at, created=[1, 2, 3])
    inspection = inspect_database(path)
    payments = inspection.schema.tables["payments"]
    assert payments.time_column == "paid_at" and kind in payments.evidence["time_column"]
    assert inspection.schema.tables["customers"].time_column is None  # small integers: not epoch times
    assert inspection.time_ranges["payments"] == ("2021-01-01 00:41:43", "2021-01-02 05:41:43")
    # Payment i is at 00:41:43 + i hours: at 05:41:43 customer 0 (payments 0, 3, ...) sees 0 and 3 only.
    cutoff = pd.Timestamp("2021-01-01 05:41:43")
    seen = visible_rows(inspection, "customers", "payments", pd.DataFrame({"entity": [0], "cutoff": [cutoff]}))
    assert sorted(seen["payment_id"]) == [0, 3]
    assert not [p for p in inspection.validation.problems if p.level == "warning" and "paid_at" in p.message]


def test_day_first_dates_are_a_warning_naming_the_column_and_the_leak(tmp_path):
    from relpool.db import inspect_database

    kind = "day- or month-first dates"
    path = _times_sqlite(tmp_path, [f"{1 + i % 28:02d}/03/2021" for i in range(30)], created=[1, 2, 3])
    inspection = inspect_database(path)
    assert inspection.schema.tables["payments"].time_column is None
    warnings = [p.message for p in inspection.validation.problems if p.level == "warning"]
    assert [w for w in warnings if "payments.paid_at" in w] == [w for w in warnings if kind in w]
    assert any(f"payments.paid_at looks like {kind}" in w and "always visible" in w for w in warnings)
    declared = inspect_database(path, {"tables": {"payments": {"time_column": "paid_at"}}})
    message = " ".join(p.message for p in declared.validation.errors)
    assert "no value parses as a time" in message and kind in message


# --- SQLAlchemy URLs: missing dialects and drivers, refused connections -----------------------------


@pytest.mark.parametrize(
    ("url", "module", "names"),
    [
        ("mysql://u@h/db", "MySQLdb", ["mysql", "mysqlclient"]),
        ("mysql+pymysql://u@h/db", "pymysql", ["mysql+pymysql", "PyMySQL"]),
        ("mssql+pyodbc://u:secret@h/db?driver=ODBC+Driver+18", "pyodbc", ["mssql+pyodbc", "pip install pyodbc"]),
        ("oracle://u@h/db", "oracledb", ["oracle", "oracledb"]),
        ("postgresql+psycopg2://u@h/db", "psycopg2", ["postgresql+psycopg2", "psycopg2-binary"]),
        ("postgresql+asyncpg://u@h/db", None, ["asyncio", "postgresql://"]),
        ("snowflake://u@account/db", "snowflake.sqlalchemy", ["snowflake", "snowflake-sqlalchemy"]),
        ("foo://x", None, ["'foo'", "install the package"]),
    ],
)
def test_sql_url_with_a_missing_dialect_or_driver_is_one_error_naming_the_package(url, module, names, run_cli):
    if module and importlib.util.find_spec(module.split(".")[0]):
        pytest.skip(f"{module} is installed here")
    with pytest.raises(RelpoolError) as caught:
        read_database(url)
    message = str(caught.value)
    assert all(n in message for n in names), message
    assert "secret" not in message and "\n" not in message
    code, _, stderr = run_cli("inspect", url)
    assert code == 2 and stderr.startswith("error: ") and "Traceback" not in stderr


def test_sql_url_to_a_closed_port_is_one_error_saying_so():
    import socket

    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        pattern = rf"cannot connect to postgresql(\+psycopg)?://u@127\.0\.0\.1:{port}/db: .*refused"
        with pytest.raises(RelpoolError, match=pattern):
            read_database(f"postgresql://u@127.0.0.1:{port}/db")


def test_sqlite_and_duckdb_urls_are_read_by_the_read_only_file_readers(tmp_path):
    script = "CREATE TABLE t (id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 'a'), (2, 3)"
    path = _sqlite(tmp_path / "u.sqlite", script)
    db = read_database(f"sqlite:///{path}")
    assert _values(db, "t", "v") == ["a", "3"]  # a type mix pandas' reader would choke on
    con = duckdb.connect(str(tmp_path / "d.duckdb"))
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
    con.close()
    assert read_database(f"duckdb:///{tmp_path / 'd.duckdb'}").row_count("t") == 2
    with pytest.raises(RelpoolError, match="database not found"):
        read_database(f"sqlite:///{tmp_path / 'missing.sqlite'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb", "u.sqlite"]  # SQLAlchemy would create it


def test_other_dialects_frames_with_mixed_object_columns_become_text():
    from relpool.db.sources.sql_url import arrow_from_frame

    table = arrow_from_frame(pd.DataFrame({"id": [1, 2, 3], "v": ["a", 2.5, None], "w": [b"x", None, b"y"]}))
    assert table.column("v").to_pylist() == ["a", "2.5", None]
    assert table.column("w").to_pylist() == [b"x", None, b"y"]


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"orders": "order_id"}, "table 'orders' should be a mapping (pkey, fkeys, time_col), got 'order_id'"),
        ({"orders": {"pkey": ["order_id"]}}, "table 'orders': pkey should be one column name, got ['order_id']"),
        ({"orders": {"fkeys": ["customer_id"]}}, "fkeys should map each column to the table it references"),
    ],
)
def test_relbench_manifest_mistakes_are_one_clear_error(tmp_path, tables, message, run_cli):
    import pandas as pd
    import yaml

    (tmp_path / "rb" / "db").mkdir(parents=True)
    pd.DataFrame({"order_id": [1, 2], "customer_id": [1, 1]}).to_parquet(tmp_path / "rb" / "db" / "orders.parquet")
    (tmp_path / "rb" / "manifest.yaml").write_text(yaml.safe_dump({"tables": tables}))
    code, _, stderr = run_cli("inspect", tmp_path / "rb")
    assert code == 2 and message in " ".join(stderr.split()) and "Traceback" not in stderr


def test_api_arguments_of_the_wrong_kind_are_one_clear_error():
    from relpool.db import inspect_database
    from relpool.query.splits import parse_step, parse_time
    from relpool.query.task import build_task

    with pytest.raises(RelpoolError, match="the database must be a path, a URL"):
        inspect_database([1, 2])
    with pytest.raises(RelpoolError, match="build_task needs an Inspection, got a dict"):
        build_task({}, "PREDICT COUNT(transactions.*, 0, 7, days) FOR EACH customers.customer_id")
    with pytest.raises(RelpoolError, match="--step must be text such as '7 days', got 7"):
        parse_step(7)
    with pytest.raises(RelpoolError, match="not the number 20231001"):
        parse_time(20231001, "--at")
